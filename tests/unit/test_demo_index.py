"""The demo's outbox index opens each email as a mail client shows it: its HTML part, its
inline images in place, nothing that runs, and the raw message a click away."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from service.demo.summary import write_index
from service.mail.writing.compose import Rendered, build_message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
HOSTILE_SUBJECT = 'Re: <script>alert("subject")</script> & more'
HOSTILE_HTML = (
    '<html><body><p>Dear Zoë,</p><img src="cid:chart" alt="chart">'
    '<p title="&quot;></iframe><script>alert(1)</script>">x</p>'
    "<script>alert(2)</script></body></html>"
)


class Page(HTMLParser):
    """The tags of a page and their attributes, as a browser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def read(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def email(subject: str, markup: str, **extra: object) -> bytes:
    return build_message(
        "digest",
        Rendered(subject, "Dear Zoë,\nthe plain part.\n", markup),
        from_addr=("mentormail", "mentorship@mentormail.example"),
        to=("Dr. Zoë O'Brien", "zoe@hospital.example"),
        reply_to="mentorship@mentormail.example",
        message_id=f"{abs(hash(subject))}@mentormail.example",
        date=datetime(2027, 1, 4, 13, 5, tzinfo=UTC),
        **extra,  # type: ignore[arg-type]
    )


def test_the_index_links_a_rendering_of_each_email_and_its_raw_message(tmp_path: Path) -> None:
    (tmp_path / "000001-digest.eml").write_bytes(
        email(HOSTILE_SUBJECT, HOSTILE_HTML, inline=[("chart", "image/png", PNG)])
    )
    (tmp_path / "000002-coordinator_reply.eml").write_bytes(
        email(
            "Your report",
            "<html><body><p>Attached.</p></body></html>",
            attachments=[("pairings.csv", "text/csv", b"Pairing\r\n1\r\n")],
        )
    )
    assert write_index(tmp_path) == 2

    index = read(tmp_path / "index.html")
    links = [attrs["href"] for attrs in index.named("a")]
    for stem in ("000001-digest", "000002-coordinator_reply"):
        assert f"{stem}.html" in links and f"{stem}.eml" in links
        assert (tmp_path / f"{stem}.html").is_file()
    assert HOSTILE_SUBJECT in "".join(index.text) and not index.named("script")

    page = read(tmp_path / "000001-digest.html")
    # Nothing on the page runs, and it loads nothing from elsewhere.
    assert not page.named("script")
    (policy,) = [m for m in page.named("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in str(policy["content"])
    # The HTML part as it is, in a sandbox (no scripts), its chart inlined.
    (frame,) = page.named("iframe")
    assert "sandbox" in frame and not frame["sandbox"]  # nothing allowed, scripts least
    shown = str(frame["srcdoc"]).strip()
    chart = f"data:image/png;base64,{base64.b64encode(PNG).decode()}"
    assert shown == HOSTILE_HTML.replace("cid:chart", chart)
    # The headers as written, escaped; the plain part below; the raw message linked.
    assert HOSTILE_SUBJECT in "".join(page.text) and "the plain part." in "".join(page.text)
    assert "000001-digest.eml" in [attrs["href"] for attrs in page.named("a")]

    reply = read(tmp_path / "000002-coordinator_reply.html")
    (frame,) = reply.named("iframe")
    assert "<p>Attached.</p>" in str(frame["srcdoc"])
    assert "pairings.csv (text/csv, 12 bytes)" in "".join(reply.text)
