"""Coordinators through real servers (SMTP into Dovecot, the worker on Redis fetching over
IMAP, PostgreSQL or SQLite): the weekly digest and its headers, and acting by replying to
it: nudge, pause, resume, close, details, an import by email; nobody else may.
Two workers running the digest tick send one digest per coordinator per period; the
digest's chart is drawn off the event loop."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest

import service.coordinators.digest
from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.coordinators.commands import EMAIL_IMPORT_ROWS
from service.coordinators.digest_rules import Period
from service.jobs.runner import build_worker
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage.models import (
    Coordinator,
    DigestEvery,
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    Pairing,
    PairingState,
    Program,
)
from tests.integration.conftest import Live
from tests.mail import parse, reply_to

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"
PAT = "pat@society.example"  # the coordinator
COLUMNS = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,frequency,weekday,time,coordinator_email\n"
)
CSV = (
    COLUMNS + f"Hematology 2027,Dr. Zoë O'Brien,{ZOE},America/New_York,"
    f"Sam Okafor,{SAM},Europe/Berlin,2027-01-04,every 2 weeks,Thursday,10:00,{PAT}\n"
    "Hematology 2027,Dr. Ana Reyes,ana@hospital.example,America/Chicago,"
    "Grace Kim,grace@university.example,America/Chicago,2027-01-04,monthly,Tuesday,"
    f"14:00,{PAT}\n"
).encode()
# Monday 4 January 2027, 08:05 in New York (the program's zone: its first mentor's).
FIRST_DIGEST = datetime.fromisoformat("2027-01-04T13:05:00+00:00")


def text_of(raw: bytes) -> str:
    body = parse(raw).get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def start(live: Live) -> None:
    await import_roster(
        read_roster(CSV, live.clock.now().date()),
        OutboxWriter(live.app.settings, live.app.secret),
        live.clock.now(),
    )
    await live.run("send_outbox")
    for address in (SAM, ZOE):
        request = live.received(address, "agreement_request")[0]
        await live.send(reply_to(request, sender=address, body="I agree"), address)
    await live.run("poll_inbox", "send_outbox")


async def command(live: Live, received: bytes, body: str, sender: str = PAT) -> None:
    await live.send(reply_to(received, sender=sender, body=body), sender)
    await live.run("poll_inbox", "send_outbox")


async def confirmed(live: Live, raw: bytes, sender: str = PAT) -> None:
    """A message from the coordinator's address to the plain one, held until they confirm
    it through the signed address of the request we send them."""
    await live.send(raw, sender)
    await live.run("poll_inbox", "send_outbox")
    await command(live, live.received(PAT, "coordinator_confirm")[-1], "Confirm")


async def test_the_digest_and_the_commands_a_coordinator_replies_with(live: Live) -> None:
    await start(live)
    zoe_sam = await Pairing.get(mentor__email=ZOE)
    ana_grace = await Pairing.get(mentor__email="ana@hospital.example")
    live.clock.set(FIRST_DIGEST)
    await live.run("tick", "send_outbox")
    (digest,) = live.received(PAT, "digest")
    message = parse(digest)
    assert "Hematology 2027 digest <hematology-2027.digest." in str(message["List-Id"])
    assert str(message["List-Unsubscribe"]).strip().startswith("<mailto:")
    assert message["Auto-Submitted"] == "auto-generated"
    html = message.get_body(preferencelist=("html",))
    assert html is not None and 'src="cid:chart"' in str(html.get_content())
    (chart,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert str(chart["Content-ID"]) == "<chart>"
    assert bytes(chart.get_content()).startswith(b"\x89PNG")
    text = text_of(digest)
    # The plain part stands on its own: numbers, the chart in words, the flags, the table.
    assert "Meetings held against planned over the last 12 weeks" in text
    assert f"#{ana_grace.id} Dr. Ana Reyes and Grace Kim" in text  # not signed: flagged
    assert "agreement not signed" in text
    assert f"#{zoe_sam.id}  Dr. Zoë O'Brien / Sam Okafor: active" in text
    # The commands' examples name a pairing of theirs (the first needing attention).
    assert f"nudge {ana_grace.id}" in text and "pairing 12" not in text

    # nudge, pause, details in one reply; what was done comes back.
    await command(live, digest, f"nudge {ana_grace.id}\npause {zoe_sam.id}\ndetails {zoe_sam.id}")
    answer = text_of(live.received(PAT, "coordinator_reply")[-1])
    assert f"details {zoe_sam.id}" in answer and "details 12" not in answer
    assert "got a friendly nudge" in answer and "is paused" in answer
    nudge = text_of(live.received("grace@university.example", "nudge")[0])
    assert "agreement is waiting to be signed" in nudge
    assert (await Pairing.get(id=zoe_sam.id)).state == PairingState.PAUSED
    assert live.received(SAM, "cancellation") and live.received(ZOE, "cancellation")
    details = text_of(live.received(PAT, "pairing_details")[0])
    assert "Mentee     Sam Okafor <sam@university.example>" in details
    assert "cancelled" in details

    # resume, then close: the pair phases out on the coordinator's path.
    await command(live, live.received(PAT, "coordinator_reply")[-1], f"resume {zoe_sam.id}")
    assert (await Pairing.get(id=zoe_sam.id)).state == PairingState.ACTIVE
    await command(live, live.received(PAT, "coordinator_reply")[-1], f"close {zoe_sam.id}")
    closing = await Pairing.get(id=zoe_sam.id)
    assert closing.state == PairingState.CLOSING and closing.closing_path == "coordinator"
    assert live.received(SAM, "closure") and live.received(ZOE, "closure")
    # The next digest says how it ended, never why.
    live.clock.set(FIRST_DIGEST + timedelta(days=7))
    await live.run("tick", "send_outbox")
    assert f"#{zoe_sam.id} Dr. Zoë O'Brien and Sam Okafor: began phasing out, by a coordinator" in (
        text_of(live.received(PAT, "digest")[-1])
    )

    # A pairing number from elsewhere, and a line that is no command, are said back.
    await command(live, digest, "close 999\nnudge everyone")
    answer = text_of(live.received(PAT, "coordinator_reply")[-1])
    assert "no pairing 999 in a program you coordinate" in answer and "nudge everyone" in answer


async def test_digest_now_brings_this_week_so_far(live: Live) -> None:
    await start(live)
    live.clock.set(FIRST_DIGEST)
    await live.run("tick", "send_outbox")
    (digest,) = live.received(PAT, "digest")
    live.clock.set(FIRST_DIGEST + timedelta(days=2, hours=3))  # Wednesday 6 January
    await command(live, digest, "digest now")
    answer = text_of(live.received(PAT, "coordinator_reply")[-1])
    assert "Your digest, up to now, is on its way." in answer
    weekly, now = live.received(PAT, "digest")
    assert "Hematology 2027, 4 January 2027 to 6 January 2027:" in text_of(now)
    assert "to 4 January 2027:" in text_of(weekly)
    # Asked again at once: one an hour at most (it reads the whole program), and they are
    # told so; an hour later, another.
    await command(live, live.received(PAT, "coordinator_reply")[-1], "digest now")
    assert len(live.received(PAT, "digest")) == 2
    assert "less than an hour ago" in text_of(live.received(PAT, "coordinator_reply")[-1])
    live.clock.set(FIRST_DIGEST + timedelta(days=2, hours=4, minutes=1))
    await command(live, live.received(PAT, "coordinator_reply")[-1], "digest now")
    assert len(live.received(PAT, "digest")) == 3


async def test_digest_now_is_made_after_the_reply_and_tried_again_by_the_tick(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start(live)
    live.clock.set(FIRST_DIGEST)
    await live.run("tick", "send_outbox")
    (digest,) = live.received(PAT, "digest")

    async def broken(*args: object) -> None:
        raise RuntimeError("the digest could not be made")

    # Making the digest fails: the reply is applied and answered all the same.
    monkeypatch.setattr(service.coordinators.digest, "program_digest", broken)
    await command(live, digest, f"digest now\nnudge {(await Pairing.get(mentor__email=ZOE)).id}")
    answer = text_of(live.received(PAT, "coordinator_reply")[-1])
    assert "Your digest, up to now, is on its way." in answer and "friendly nudge" in answer
    assert live.received(SAM, "nudge")
    assert len(live.received(PAT, "digest")) == 1
    assert await InboundMessage.filter(status=InboundStatus.PROCESSED).count() == 3
    # The next tick makes it.
    monkeypatch.undo()
    live.clock.set(FIRST_DIGEST + timedelta(hours=1))
    await live.run("tick", "send_outbox")
    assert "4 January 2027 to 4 January 2027:" in text_of(live.received(PAT, "digest")[-1])
    assert await Coordinator.filter(digest_asked_by__isnull=False).count() == 0


def with_csv(data: bytes, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = live_address()
    message["Subject"] = "New pairs"
    message["Message-ID"] = f"<import-{len(data)}-{sender}>"
    message.set_content("import")
    message.add_attachment(data, maintype="text", subtype="csv", filename="pairs.csv")
    return message.as_bytes()


def live_address() -> str:
    from tests.conftest import SERVICE_DOMAIN
    from tests.servers import USER

    return f"{USER}@{SERVICE_DOMAIN}"


async def test_an_import_by_email_and_strangers_who_try(live: Live) -> None:
    await start(live)
    before = await Pairing.all().count()
    # An error: nothing is imported, and the answer names the line and the field.
    bad = (
        COLUMNS + "Hematology 2027,Dr. Lee,lee@x.example,Mars/Olympus,"
        "Kai,kai@x.example,UTC,2027-02-01,monthly,Monday,10:00,\n"
    ).encode()
    await confirmed(live, with_csv(bad, PAT))
    answer = text_of(live.received(PAT, "coordinator_reply")[-1])
    assert "nothing was imported" in answer and "line 2" in answer and "mentor_timezone" in answer
    assert await Pairing.all().count() == before
    good = (
        COLUMNS + "Hematology 2027,Dr. Lee,lee@x.example,Asia/Tokyo,"
        "Kai Tanaka,kai@x.example,Asia/Tokyo,2027-02-01,monthly,Monday,10:00,\n"
    ).encode()
    await confirmed(live, with_csv(good, PAT))
    assert "1 pairing imported" in text_of(live.received(PAT, "coordinator_reply")[-1])
    assert live.received("kai@x.example", "agreement_request")
    # A national roster is too large for one email: nothing is imported, and the answer says
    # what to do instead.
    large = COLUMNS + "".join(
        f"Hematology 2027,Dr. Lee,lee@x.example,Asia/Tokyo,"
        f"Mentee {n},mentee{n}@x.example,Asia/Tokyo,2027-02-01,monthly,Monday,10:00,\n"
        for n in range(EMAIL_IMPORT_ROWS + 1)
    )
    await confirmed(live, with_csv(large.encode(), PAT))
    answer = " ".join(text_of(live.received(PAT, "coordinator_reply")[-1]).split())
    assert "nothing was imported: one email imports at most 5,000 pairs" in answer
    assert "`mentormail import`" in answer
    assert await Pairing.all().count() == before + 1

    # A stranger's commands and import do nothing, and get one refusal a day however often.
    zoe_sam = await Pairing.get(mentor__email=ZOE)
    mallory = "mallory@elsewhere.example"
    for _ in range(2):
        await live.send(with_csv(good.replace(b"kai@", b"eve@"), mallory), mallory)
    live.clock.set(FIRST_DIGEST)
    await live.run("tick", "send_outbox")
    digest = live.received(PAT, "digest")[0]
    forged = reply_to(digest, sender=mallory, body=f"close {zoe_sam.id}")
    await live.send(forged, mallory)
    await live.run("poll_inbox", "send_outbox")
    assert [kind for to, kind in live.ours() if to == [mallory]] == ["refusal", "refusal"]
    assert (await Pairing.get(id=zoe_sam.id)).state == PairingState.ACTIVE
    assert not await Pairing.filter(mentee__email="eve@x.example").exists()
    # The digest's unsubscribe address turns it off.
    unsubscribe = str(parse(digest)["List-Unsubscribe"]).strip(" <>").split("?")[0]
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = PAT, unsubscribe[7:], "unsubscribe"
    message["Message-ID"] = "<unsub-1@society.example>"
    message.set_content("")
    await live.send(message.as_bytes(), PAT)
    await live.run("poll_inbox")
    assert {c.digest_every for c in await Coordinator.all()} == {DigestEvery.OFF}


async def test_two_workers_send_one_digest_per_period(live: Live, redis_url: str) -> None:
    await start(live)
    second = await build_worker(redis_url, app=live.app, burst=True, cron_jobs=[], poll_delay=0.01)
    pool = second.pool
    try:
        for when in (
            FIRST_DIGEST,
            FIRST_DIGEST + timedelta(hours=1),
            FIRST_DIGEST + timedelta(days=7),
        ):
            live.clock.set(when)
            await live.pool.enqueue_job("tick", _job_id=f"a:{when}")
            await pool.enqueue_job("tick", _job_id=f"b:{when}")
            await asyncio.gather(live.worker.async_run(), second.async_run())
    finally:
        await second.close()
    keys = await OutboundMessage.filter(kind="digest").values_list("dedupe_key", flat=True)
    assert sorted(str(k).rsplit(":", 1)[1] for k in keys) == ["2027-W01", "2027-W02"]


async def test_the_chart_is_drawn_off_the_event_loop(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawing takes tens of milliseconds: the worker's other jobs go on meanwhile."""
    drawn_on: list[int] = []
    draw = service.coordinators.digest.render_chart

    def render_chart(weeks: list[tuple[datetime, int, int]]) -> bytes:
        drawn_on.append(threading.get_ident())
        return draw(weeks)

    monkeypatch.setattr(service.coordinators.digest, "render_chart", render_chart)
    program = await Program.create(name="Charted", created_at=FIRST_DIGEST)
    period = Period("now", FIRST_DIGEST - timedelta(weeks=1), FIRST_DIGEST)
    content = await service.coordinators.digest.program_digest(program, period, FIRST_DIGEST)
    assert content.chart.startswith(b"\x89PNG")
    assert drawn_on and threading.get_ident() not in drawn_on
