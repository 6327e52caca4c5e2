"""What a person wrote in a reply: their text without the quoted original and the signature.

Mail clients mark the start of the original in many ways: "On … wrote:" in a dozen
languages (on one line or wrapped over several), a block of Outlook headers ("From: …
Sent: …"), a separator line, or just `>` quoting. The rules here are written from what
real clients send; what follows a `>`-quoted block is kept (people answer inline), what
follows an unquoted original (Outlook's way) is not.
"""

from __future__ import annotations

import re

from service.mail.reading.invisible import without_invisible

# Words that end an attribution line: "… wrote:", "… schrieb:", "… написал:".
_WROTE = (
    "wrote", "writes", "sent", "schrieb", "a écrit", "escribió", "escribio", "schreef",
    "geschreven", "skrev", "napisał", "napisal", "написал", "написала", "đã viết",
    "ha scritto", "scrisse", "escreveu", "kirjoitti", "yazdı", "írta", "napsal", "napísal",
    "έγραψε", "写道", "寫道", "のメッセージ",
)  # fmt: skip


def _ends_wrote(text: str, *, colon: bool) -> bool:
    """Whether `text` ends with an attribution word (and a colon, when asked)."""
    tail = text.rstrip()
    if colon:
        if not tail.endswith(":"):
            return False
        tail = tail[:-1].rstrip()
    else:
        tail = tail.rstrip(":").rstrip()
    tail = tail[-24:].lower()
    for word in _WROTE:
        if tail.endswith(word):
            before = tail[-len(word) - 1 : -len(word)]
            # "rewrote:" is not "wrote:"; CJK words follow a name with no space.
            if not before or not before.isalnum() or not word.isascii():
                return True
    return False


# Words attribution lines begin with, before the date.
_STARTS = re.compile(
    r"^(?:on|am|le|el|op|den|på|il|em|w dniu|vào|dne|в|el día|le \w+)\b", re.IGNORECASE
)
_DATE = re.compile(
    r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\b\d{1,2}:\d{2}\b|\b(?:19|20)\d{2}\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"[^\s<>()\[\]]+@[^\s<>()\[\]]+")
# "---- John Smith wrote ----", "------On 12/29/1987 17:32 PM, Julius Caesar wrote-----"
_DASHED = re.compile(r"^-{2,}\s*(?P<inner>.+?)\s*-{2,}$")
# "bla-bla - bla--- On Wed, Apr 4, 2012 at 3:59 PM, me@domain.com wrote:"
_SHARED_LINE = re.compile(r"^(?P<keep>.*?\S)\s*-{2,}\s*(?P<header>on\b.+:)\s*$", re.IGNORECASE)

# Outlook's header block, in the languages participants write in.
_LABELS = {
    "from": r"from|von|de|van|da|fra|från|od|от|mittente|remitente|afzender|lähettäjä|feladó",
    "sent": r"sent|date|gesendet|datum|envoyé|envoye|enviado|fecha|verzonden|sendt|skickat|"
    r"wysłano|отправлено|дата|inviato|data|lähetetty|elküldve",
    "to": r"to|an|à|a|para|aan|til|till|do|кому|per|vastaanottaja|címzett",
    "subject": r"subject|betreff|objet|asunto|onderwerp|emne|ämne|temat|тема|oggetto|assunto|"
    r"aihe|tárgy",
    "cc": r"cc|kopie|copie|kopia|копия",
}
_LABEL = re.compile(
    r"^\*{0,2}(?P<label>" + "|".join(_LABELS.values()) + r")\s*:\*{0,2}\s*", re.IGNORECASE
)
_LABEL_KIND = {
    word: kind for kind, words in _LABELS.items() for word in words.replace("\n", "").split("|")
}
# Lines that start the original whatever follows them.
_MARKERS = re.compile(
    r"^(?:-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|oorspronkelijk bericht|oprindelig meddelelse|ursprungligt meddelande|"
    r"messaggio originale|mensagem original|исходное сообщение|wiadomość oryginalna)\s*-{2,}|"
    r"-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|doorgestuurd bericht)\s*-{2,}|"
    r"begin forwarded message:?|_{20,})$",
    re.IGNORECASE,
)
# A horizontal rule: Outlook's underscores, dashes, or "* * *" from an HTML <hr>.
_RULE = re.compile(r"^(?:[-_=]{3,}|(?:\* ?){3,})$")

_BOILERPLATE = re.compile(
    r"^(?:sent from my (?:[\w-]+ ?){1,5}|sent from (?:outlook|mail|yahoo mail)\b.*|"
    r"get outlook for \w+.*|sent with sparrow\b.*|"
    r"von meinem \w+ gesendet|envoy[ée] de mon \w+|enviado desde mi \w+|"
    r"verzonden vanaf mijn \w+|skickat från min \w+)$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^(?:best|best regards|best wishes|kind regards|warm regards|regards|many thanks|thanks|"
    r"thank you|cheers|sincerely|yours sincerely|all the best|"
    r"mit freundlichen grüßen|mit freundlichen grüssen|viele grüße|liebe grüße|beste grüße|"
    r"gruß|grüße|lg|mfg|cordialement|bien à vous|bien cordialement|amitiés|"
    r"saludos|un saludo|atentamente|cordiali saluti|saluti|atenciosamente|abraços|"
    r"met vriendelijke groet|vriendelijke groet|groeten|groetjes|"
    r"med venlig hilsen|venlig hilsen|mvh|hilsen|kh|"
    r"med vänliga hälsningar|vänliga hälsningar|hälsningar|"
    r"pozdrawiam|z poważaniem|z powazaniem|pozdrowienia)[,.!]?$",
    re.IGNORECASE,
)
# "-Abhishek", "/John", "— Sam O.": a name signed under the message.
_SIGNED_NAME = re.compile(r"^(?:-|/|—|–)\s?[^\W\d_][\w.'-]*(?: [^\W\d_][\w.'-]*){0,2}$")
_SIGNATURE_DELIMITERS = ("--", "-- ", "—")


def _clean(line: str) -> str:
    return without_invisible(line).replace("\xa0", " ").strip()


def is_quoted(line: str) -> bool:
    stripped = line.lstrip()
    # ">>> http://example.com <<<" is decoration, not quoting.
    return stripped.startswith(">") and not stripped.rstrip().endswith("<")


def _label(line: str) -> str | None:
    match = _LABEL.match(_clean(line))
    return _LABEL_KIND.get(match.group("label").lower()) if match else None


def _header_block(lines: list[str], index: int) -> bool:
    """Outlook's "From: … Sent: … To: … Subject: …" block starting at `index`."""
    first = _label(lines[index])
    if first not in ("from", "sent"):
        return False
    labels = {first}
    # A long From line wraps ("From: bob [mailto:" / "bob@example.com]"): look a few lines on.
    for line in lines[index + 1 : index + 6]:
        kind = _label(line)
        if kind is not None:
            labels.add(kind)
    return len(labels) >= 2


def _followed_by_quote(lines: list[str], index: int) -> bool:
    for line in lines[index:]:
        if line.strip():
            return is_quoted(line)
    return False


MAX_ATTRIBUTION = 500  # characters


def _attribution(lines: list[str], index: int) -> int:
    """How many lines an "On … wrote:" attribution starting at `index` spans (0: none)."""
    first = _clean(lines[index])
    # An attribution is a line or two of names, a date and an address: a long line is text,
    # and the patterns below would take their time on it.
    if not first or is_quoted(first) or len(first) > MAX_ATTRIBUTION:
        return 0
    dashed = _DASHED.match(first)
    if dashed and _ends_wrote(dashed.group("inner"), colon=False):
        return 1
    addressed = bool(_ADDRESS.search(first))
    if addressed and _ends_wrote(first, colon=True):
        return 1  # "Sent from Samsung Mobile Name <a@b.example> wrote:"
    starts = bool(_STARTS.match(first))
    dated = bool(_DATE.search(first))
    if not (starts or dated):
        return 0
    joined = ""
    for span in range(1, 6):
        if index + span > len(lines):
            break
        line = _clean(lines[index + span - 1])
        if span > 1:
            line = line.lstrip(">").strip()
            addressed = addressed or bool(_ADDRESS.search(line))
        joined = f"{joined} {line}".strip()
        if len(joined) > MAX_ATTRIBUTION:
            break
        if _ends_wrote(joined, colon=True) and (starts or addressed):
            return span
        # "26.06.2014, 14:41, "Alexander" <a@b.example>:", any language: a date, an address
        # and a colon, at the start of the original or right above a quoted block.
        if (
            joined.endswith(":")
            and dated
            and addressed
            and (starts or _followed_by_quote(lines, index + span))
        ):
            return span
    # "2011/4/7 Nathan <support@example.com>" right above a quoted block.
    if dated and _ADDRESS.search(first) and _followed_by_quote(lines, index + 1):
        return 1
    return 0


def strip_quotation(text: str) -> str:
    """What the writer added: the text without the quoted original."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        clean = _clean(line)
        if is_quoted(line) or _wrapped_link(lines, index):
            index += 1
            continue
        shared = _SHARED_LINE.match(clean) if "-" in clean else None
        if (
            shared
            and _ends_wrote(shared.group("header"), colon=True)
            and _followed_by_quote(lines, index + 1)
        ):
            kept.append(shared.group("keep"))
            index += 1
            continue
        span = _attribution(lines, index)
        if span:
            after = index + span
            if not _followed_by_quote(lines, after):
                break  # the original follows unquoted: nothing after this is theirs
            # Skip the quoted block; what follows it is an inline answer.
            while after < len(lines) and (
                is_quoted(lines[after]) or not lines[after].strip() or _wrapped_link(lines, after)
            ):
                after += 1
            index = after
            continue
        if _MARKERS.match(clean) or _header_block(lines, index):
            break
        if _RULE.match(clean) and _rule_before_original(lines, index + 1):
            break
        kept.append(line)
        index += 1
    while kept and (not kept[-1].strip() or _RULE.match(_clean(kept[-1]))):
        kept.pop()
    return "\n".join(kept).strip("\n").strip()


def _wrapped_link(lines: list[str], index: int) -> bool:
    """The tail of a long link the quoting client wrapped without its `>`."""
    line = lines[index].strip()
    return (
        index > 0
        and bool(line)
        and " " not in line
        and is_quoted(lines[index - 1])
        and "http" in lines[index - 1]
        and _followed_by_quote(lines, index + 1)
    )


def _rule_before_original(lines: list[str], index: int) -> bool:
    while index < len(lines) and not _clean(lines[index]):
        index += 1
    return index < len(lines) and (_header_block(lines, index) or bool(_attribution(lines, index)))


def split_signature(text: str) -> tuple[str, str | None]:
    """The writer's message and their signature (if one is recognisable), without the
    boilerplate mail clients add ("Sent from my iPhone")."""
    lines = [line for line in text.split("\n") if not _BOILERPLATE.match(_clean(line))]
    signature: str | None = None
    for index, line in enumerate(lines):
        if line.rstrip() in _SIGNATURE_DELIMITERS:
            signature = "\n".join(lines[index + 1 :]).strip() or None
            lines = lines[:index]
            break
    else:
        content = [i for i, line in enumerate(lines) if line.strip()]
        if content and len(content) > 1 and _SIGNED_NAME.match(lines[content[-1]].strip()):
            last = content[-1]
            return "\n".join(lines[:last]).strip(), lines[last].strip()
        tail = content[-4:]
        for position, index in enumerate(tail):
            # A closing word followed by a line or two of name: that is a signature.
            if _CLOSING.match(lines[index].strip()) and len(tail) - position <= 3:
                signature = "\n".join(lines[index:]).strip() or None
                lines = lines[:index]
                break
    return "\n".join(lines).strip(), signature


def split_reply(text: str) -> tuple[str, str | None]:
    """The writer's own new text, and their signature (if one is recognisable)."""
    return split_signature(strip_quotation(text))
