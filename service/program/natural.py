"""How people write commands in sentences: the sentences of a line, the natural phrasings of
each command, and the signs that a sentence must not be acted on (a negation, a question, a
condition, a quotation). Pure text in, plain values out; the grammar turns them into
commands (`service/program/grammar.py`).

A sentence is acted on only when nothing in it holds it back: "I agree" and "Looks good, I
agree." are agreeing; "I don't agree yet", "should I mark 2 done?", "I'll agree once we
talk" and "you wrote 'done 2'" are not, and their writer is asked instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations a sentence does not end at: "Dr. Lee", "Dec. 3", "e.g. done 2".
_ABBREVIATIONS = frozenset(
    [
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "no",
        "vs",
        "etc",
        "approx",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "a.m",
        "p.m",
        "e.g",
        "i.e",
        "cf",
        "fig",
    ]
)
# A command written with its colon starts a segment that runs to the end of the line: its
# words are its own ("task: email Dr. Lee. Then the CV" is one task).
_COLON_COMMAND = re.compile(
    r"(?:^|(?<=[.!?;])\s+)(?=(?:new\s+)?(?:task|to-?do|action(?:\s+item)?|agenda(?:\s+item)?|"
    r"reschedule|frequency|done|help|performance\s+(?:conversation|talk))\s*:)",
    re.IGNORECASE,
)
_END = re.compile(r"[.!?;]+(?=\s|$)")


def sentences(line: str) -> list[str]:
    """The sentences of one line, in order; a colon command keeps the rest of the line."""
    head, tail = line, ""
    colon = _COLON_COMMAND.search(line)
    if colon is not None:
        head, tail = line[: colon.start()], line[colon.start() :].strip()
    found: list[str] = []
    start = 0
    for end in _END.finditer(head):
        word = head[max(start, end.start() - 12) : end.start()].split()[-1:] or [""]
        last = word[0].lower().rstrip(".")
        # "Dr." and "e.g." do not end a sentence; nor does a single letter ("J. Smith").
        if end.group() == "." and (last in _ABBREVIATIONS or len(last) == 1):
            continue
        found.append(head[start : end.end()].strip())
        start = end.end()
    found.append(head[start:].strip())
    if tail:
        found.append(tail)
    return [sentence for sentence in found if sentence]


# Words and lines that say nothing to act on or pass on: greetings, thanks, sign-offs.
_PLEASANTRY = re.compile(
    r"(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|thanks?|thank you|many thanks|"
    r"thx|ty|best|all the best|best wishes|best regards|kind regards|warm regards|regards|"
    r"warmly|cheers|sincerely|yours|yours sincerely|take care|see you|talk soon|speak soon|"
    r"looks good|sounds good|great|perfect|wonderful|excellent|ok|okay|sure|yes|yep|yeah|"
    r"no worries|no problem|sent from my \w+(?: \w+)?|get outlook for \w+|with thanks|"
    r"have a (?:good|great|nice) (?:day|week|weekend)|looking forward(?: to it)?|sorry|"
    r"so sorry|apologies|my apologies|something came up|sorry for the (?:delay|late reply))"
    r"(?:[ ,]+(?:so much|a lot|again|very much|for (?:the|your) \w+(?: \w+)?|everyone|all|"
    r"both|you|for (?:a|all|everything)(?: \w+){0,3}|\S+))?[\s!.,:;)(-]*",
    re.IGNORECASE,
)
# A name alone, as a signature: "Alice", "Sam Okafor", "Dr. Zoë O'Brien", "-- Sam".
# Letters only: "SHARED-91bc" is no name.
_NAME = re.compile(
    r"(?:--?\s*|—\s*)?(?:(?:dr|prof|mr|mrs|ms)\.?\s+)?"
    r"[A-ZÀ-Þ](?:[^\W\d_]|['’.-])*(?:\s+[A-ZÀ-Þ](?:[^\W\d_]|['’.-])*){0,3}"
    r"(?:,?\s+(?i:md|phd|mbbs|do|rn|msc|facp))*\.?",
)


def pleasantry(text: str) -> bool:
    """Whether a line or sentence is a greeting, a thanks, a sign-off or a name alone."""
    text = text.strip()
    if _PLEASANTRY.fullmatch(text):
        return True
    # A name alone signs a message; one word ending a sentence ("Proud.") says something.
    if _NAME.fullmatch(text) and len(text) <= 40 and not re.fullmatch(r"\w+\.", text):
        return True
    # "Thanks, looks good." is two of them.
    parts = [part for part in re.split(r"[,;.!]+\s*", text) if part.strip()]
    return len(parts) > 1 and all(_PLEASANTRY.fullmatch(part.strip()) for part in parts)


@dataclass(frozen=True)
class Found:
    """A command read from a sentence, by the command's name and its arguments; `span` is
    the part of the sentence its arguments were read from (not checked for held words)."""

    name: str
    args: dict[str, str]
    span: str = ""
    # The command's own definition, when it was read as written (two may share a name).
    syntax: object = None


_POLITE_START = re.compile(
    r"^(?:(?:yes|yep|yeah|ok|okay|sure|great|good|fine|perfect|absolutely|also|and|so|then|"
    r"hi|hello|thanks|thank you|ps|p\.s\.|please|kindly|just|all good|looks good|"
    r"sounds good|happy to report|fyi|update)\b[\s,!.:;—–-]*)+",
    re.IGNORECASE,
)
_POLITE_END = re.compile(
    r"(?:[\s,!.;:—–-]+(?:please|thanks|thank you|thanks a lot|many thanks|cheers|"
    r"for me))*[\s!.,;:]*$",
    re.IGNORECASE,
)


def core(sentence: str) -> str:
    """The sentence without what surrounds a command politely: "Yes, ", ", thanks!"."""
    text = _POLITE_START.sub("", sentence.strip())
    return _POLITE_END.sub("", text).strip()


def clauses(sentence: str) -> list[str]:
    """The parts of a sentence between commas, semicolons and dashes."""
    return [part.strip() for part in re.split(r"[,;]|\s[—–-]\s", sentence) if part.strip()]


_REFS = r"(?P<refs>#?\d+(?:\s*(?:,|and|&|\+)\s*#?\d+)*)"
_ITEM = r"(?:(?:the\s+)?(?:task|item|action\s+item|to-?do|number|no\.?)\s*)?"
_LATELY = r"(?:\s+(?:now|today|already|this\s+week|yesterday|at\s+last|finally))?"
_DONE_WORD = r"(?:done|finished|complete|completed|closed|ticked\s+off|sorted|handled|✓|✔)"


def _refs(text: str) -> list[str]:
    return re.findall(r"\d+", text)


_DONE_PATTERNS = (
    re.compile(
        r"(?:i(?:'ve|’ve| have)?\s+|we(?:'ve|’ve| have)?\s+)?(?:just\s+|now\s+|already\s+)?"
        r"(?:done|finished|completed|did|closed|ticked\s+off|wrapped\s+up|sorted)\s+"
        r"(?:with\s+)?" + _ITEM + r"#?\s*" + _REFS + _LATELY,
        re.IGNORECASE,
    ),
    re.compile(
        _ITEM + r"#?\s*" + _REFS + r"\s*(?:is|are|has been|have been|:|-|–|—)?\s*"
        r"(?:now\s+|all\s+|also\s+)?" + _DONE_WORD + _LATELY,
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:please\s+)?(?:mark|tick|check)\s+(?:off\s+)?"
        + _ITEM
        + r"#?\s*"
        + _REFS
        + r"\s+(?:as\s+)?(?:done|complete|completed|finished)?",
        re.IGNORECASE,
    ),
)
_DONE_TEXT = re.compile(
    r"(?:finished|completed|complete|done with)\s*:\s*(?P<text>.+)", re.IGNORECASE
)
_TASK_PATTERNS = (
    re.compile(
        r"(?:new\s+|one\s+more\s+|another\s+)?(?:task|to-?do|action(?:\s+item)?|next\s+step)"
        r"\s*(?:[:–—]|\s-\s|\sfor\s+me\s*:)\s*(?P<text>.+)",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:please\s+)?add\s+(?:a|an|another|one|this|the)?\s*(?:new\s+)?"
        r"(?:task|action\s+item|to-?do)\s*(?::|-|–|—|to|that|for\s+me\s*(?:to|:)?)\s*"
        r"(?P<text>.+)",
        re.IGNORECASE,
    ),
)
_AGENDA_PATTERNS = (
    re.compile(
        r"(?:agenda\s+item|for\s+(?:the|our)\s+agenda|(?:add\s+)?to\s+(?:the|our)\s+agenda|"
        r"on\s+the\s+agenda)\s*[:–—-]\s*(?P<text>.+)",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:please\s+)?(?:add|put)\s+(?P<text>.+?)\s+(?:to|on)\s+(?:the|our)\s+"
        r"(?:next\s+)?(?:meeting'?s\s+)?agenda",
        re.IGNORECASE,
    ),
)
_MEETING = (
    r"(?:(?:our|the|this|next|upcoming|tomorrow'?s|this\s+week'?s)\s+)*"
    r"(?:meeting|call|session|chat|catch[- ]up)"
)
_RESCHEDULE_PATTERNS = (
    re.compile(
        r"(?:let'?s\s+|let\s+us\s+|please\s+|we\s+need\s+to\s+|i\s+need\s+to\s+)?"
        r"(?:reschedule(?:\s+" + _MEETING + r")?|(?:move|push|shift|change)\s+" + _MEETING + r")"
        r"\s+(?:to|for|until)\s+(?P<when>.+)",
        re.IGNORECASE,
    ),
    re.compile(r"reschedule\s*(?:[–—]|\s-\s)\s*(?P<when>.+)", re.IGNORECASE),
    re.compile(
        r"(?:let'?s\s+|let\s+us\s+|please\s+)?reschedule\s+(?P<when>(?:mon|tue|wed|thu|"
        r"fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|tomorrow|next)\w*\b.*)",
        re.IGNORECASE,
    ),
)
_PAUSE = re.compile(
    r"(?:please\s+|let'?s\s+|let\s+us\s+)?pause(?:\s+(?:(?:our|the|my|all)\s+)?"
    r"(?:meetings|mentoring|sessions|reminders|everything))?(?:\s+(?:for\s+now|please))?",
    re.IGNORECASE,
)
_RESUME = re.compile(
    r"(?:please\s+|let'?s\s+|let\s+us\s+|we\s+can\s+|ready\s+to\s+|i'?m\s+back[,.]?\s+)?"
    r"(?:resume|restart|un-?pause|start\s+again)(?:\s+(?:our|the|my)\s+"
    r"(?:meetings|mentoring|sessions))?(?:\s+(?:now|please))?",
    re.IGNORECASE,
)
_PHASE_OUT = re.compile(
    r"(?:please\s+|let'?s\s+|let\s+us\s+)?phase[ -]?out(?:\s+(?:our|the|my)\s+"
    r"(?:mentoring|relationship|pairing|mentorship))?(?:\s+(?:now|please))?",
    re.IGNORECASE,
)
_AGREE_PATTERNS = (
    re.compile(
        r"(?:i|we)\s+(?:fully\s+|do\s+|hereby\s+|happily\s+|also\s+|both\s+|now\s+)?"
        r"(?:agree|accept|consent|approve)(?:\s+(?:to|with))?(?:\s+(?:the|this|these|it|that|"
        r"all|your|our|everything|both)\b.*)?(?:\s+too|\s+as\s+well)?",
        re.IGNORECASE,
    ),
    re.compile(r"agreed|accepted|(?:i'?m|i\s+am)\s+in", re.IGNORECASE),
    re.compile(
        r"(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:happy|fine|good|ok|okay|content)\s+with\s+"
        r"(?:the|this|these|it|everything)(?:\s+(?:agreement|terms|as\s+it\s+stands))?",
        re.IGNORECASE,
    ),
)


# What comes before a command in a question or a plan: "Can we …", "I'd like to …". Left out
# to find the command asked about; the sentence as written still holds it back.
_LEAD = re.compile(
    r"^(?:(?:should|shall|can|could|may|might|would|will|do|did)\s+(?:i|we|you)\s+"
    r"(?:please\s+|just\s+)?|(?:i|we)\s*(?:will|would|shall|might|may|could|should|'ll|’ll|"
    r"'d|’d|want\s+to|plan\s+to|hope\s+to|need\s+to|am\s+going\s+to|'m\s+going\s+to)"
    r"\s+(?:like\s+to\s+|love\s+to\s+|be\s+able\s+to\s+)?|maybe\s+(?:we\s+|i\s+)?)",
    re.IGNORECASE,
)


def unled(text: str) -> str:
    """The text without what leads a question or a plan ("Can you …"), if anything does."""
    return core(_LEAD.sub("", core(text.strip().rstrip("?")), count=1))


def read(sentence: str, grammar: str) -> list[Found]:
    """The commands one sentence writes naturally, for the grammar named (its value)."""
    text = core(sentence)
    found = _read(text, grammar)
    if not found and _LEAD.match(text):
        found = _read(core(_LEAD.sub("", text, count=1)), grammar)
    return found


def _read(text: str, grammar: str) -> list[Found]:
    if grammar == "agreement":
        if any(pattern.fullmatch(text) for pattern in _AGREE_PATTERNS):
            return [Found("agree", {})]
        return []
    if grammar != "everyday":
        return []
    for pattern in _DONE_PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            return [Found("done", {"ref": ref}) for ref in _refs(match.group("refs"))]
    match = _DONE_TEXT.fullmatch(text)
    if match is not None:
        return [Found("done", {"text": match.group("text").strip()}, match.group("text"))]
    for pattern in _TASK_PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            task = match.group("text").strip().rstrip(".")
            args = {"text": task}
            if re.search(r"\bfor (?:the )?mentor\b", task, re.IGNORECASE):
                args["for"] = "mentor"
            return [Found("task", args, task)]
    for pattern in _AGENDA_PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            topic = match.group("text").strip().rstrip(".")
            return [Found("agenda", {"text": topic}, topic)]
    for pattern in _RESCHEDULE_PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            when = match.group("when").strip().rstrip(".?!")
            return [Found("reschedule", {"when": when}, when)]
    for name, pattern in (("pause", _PAUSE), ("resume", _RESUME), ("phase_out", _PHASE_OUT)):
        if pattern.fullmatch(text):
            return [Found(name, {})]
    return []


# Sentences that mean a destructive command loosely: asked about, never acted on.
_LOOSE = (
    (
        "pause",
        re.compile(
            r"\b(?:pause|on\s+hold|take\s+a\s+break|a\s+break\s+from|hold\s+off|suspend|"
            r"stop\s+(?:the\s+)?(?:meetings|reminders))",
            re.IGNORECASE,
        ),
    ),
    ("resume", re.compile(r"\b(?:resume|restart|start\s+again|un-?pause)", re.IGNORECASE)),
    (
        "phase_out",
        re.compile(
            r"\b(?:phase[ -]?out|end\s+(?:our|the|this)\s+(?:mentor|relationship|pairing)|"
            r"wrap\s+up\s+(?:our|the)\s+mentor|stop\s+(?:our|the)\s+mentor|close\s+(?:our|the)\s+"
            r"(?:mentor|pairing)|part\s+ways)",
            re.IGNORECASE,
        ),
    ),
    ("agree", re.compile(r"\b(?:agree|accept|consent|sign)", re.IGNORECASE)),
    (
        "done",
        re.compile(
            r"\b(?:done|finished|completed?)\b.{0,40}?\b(?P<refs>\d+)\b|\b(?P<refs2>\d+)\b.{0,40}?"
            r"\b(?:done|finished|complete)",
            re.IGNORECASE,
        ),
    ),
    (
        "reschedule",
        re.compile(
            r"\b(?:reschedul\w*|postpone\w*|(?:move|push|shift)\s+(?:our|the|this|next)\s+"
            r"(?:\w+\s+)?(?:meeting|call|session))",
            re.IGNORECASE,
        ),
    ),
)


_WHEN = re.compile(
    r"(?:reschedul\w*|move\w*\s+(?:\w+\s+){0,3}?)\s*(?::|\bto\b|\bfor\b)\s*"
    r"(?P<when>[^?!'\"“”‘’`]{2,60}?)\s*[?.!'\"“”‘’`]*$",
    re.IGNORECASE,
)


def loosely(sentence: str) -> list[Found]:
    """The commands a sentence touches on without writing them: what to ask about."""
    found: list[Found] = []
    for name, pattern in _LOOSE:
        match = pattern.search(sentence)
        if match is None:
            continue
        if name == "done":
            ref = match.group("refs") or match.group("refs2")
            found.append(Found("done", {"ref": ref}))
        elif name == "reschedule":
            when = _WHEN.search(sentence)
            found.append(Found("reschedule", {"when": when.group("when")} if when else {}))
        else:
            found.append(Found(name, {}))
        break
    return found


_QUOTED = re.compile(r"(?:^|(?<=[\s(:]))[\"“”'‘`«][^\"“”'’`»]{1,80}[\"“”'’`»](?=$|[\s.,;:!?)])")
_QUOTING = re.compile(
    r"\b(?:you\s+wrote|you\s+said|it\s+says|the\s+email\s+says|(?:your|the)\s+email\s+said|"
    r"says\s+to|writing|typed?|reply\s+with|replying\s+with|for\s+example|e\.g\.|i\.e\.|"
    r"such\s+as|as\s+in|the\s+example)\b|\bwrit(?:e|ten)\b",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:should|shall|can|could|may|might|would|will|do|does|did|is|are|am|was|were|have|"
    r"has|had|why|what|how|when|where|who|whether|any\s+chance|is\s+it\s+ok|mind\s+if|"
    r"is\s+there)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|nothing|neither|nor|none|nope|without|yet|hardly|barely)\b|n[’']t\b|"
    r"\b(?:dont|doesnt|didnt|havent|hasnt|isnt|arent|wont|cant|cannot|shouldnt|wouldnt)\b",
    re.IGNORECASE,
)
_NOT_NEGATING = re.compile(
    r"\b(?:no\s+(?:problem|worries|changes?\s+from\s+me)|not\s+only)\b", re.I
)
_CONDITION = re.compile(
    r"\b(?:if|unless|once|whenever|until|till|provided|assuming|in\s+case|otherwise|"
    r"as\s+soon\s+as|depending|after\s+(?:we|i|you|the|our)|before\s+(?:we|i|you|the|our)|"
    r"when\s+(?:we|i|you|the|our))\b",
    re.IGNORECASE,
)
_NOT_NOW = re.compile(
    r"\b(?:will|would|shall|going\s+to|gonna|plan\s+to|planning\s+to|intend\s+to|want\s+to|"
    r"wanted\s+to|like\s+to|hope\s+to|try\s+to|about\s+to|might|may|could|should|must|"
    r"maybe|perhaps|probably|think|thinking|wonder|wondering|considering|soon|later|"
    r"tomorrow)\b|[’']ll\b|[’']d\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(?:but|except|however|although|though|apart\s+from)\b", re.IGNORECASE)


def held(sentence: str, found: list[Found], helps: tuple[str, ...] = ()) -> str | None:
    """Why a sentence that writes `found` must not be acted on, in words for its writer;
    None when nothing holds it back. The commands' own words (a task's text, a date) are not
    read for this: "task: call Dr. Lee before Friday" is not a condition."""
    text = sentence
    for one in found:
        if one.span:
            text = text.replace(one.span, " ")
    lowered = text.lower()
    if any(help_line and help_line in sentence.lower() for help_line in helps):
        return "it repeats our own email's example"
    if _QUOTED.search(text) or _QUOTING.search(text):
        return "it quotes a command rather than giving one"
    if "?" in text or (
        _QUESTION_START.match(core(text))
        and not re.match(r"(?:do|does|did)\s+not\b", core(text), re.I)
    ):
        return "it is a question"
    if _CONDITION.search(text):
        return "it depends on something first"
    for part in clauses(_NOT_NEGATING.sub(" ", lowered)):
        if _NEGATION.search(part) and (
            read(part, "everyday") or read(part, "agreement") or _touches(part)
        ):
            return "it says not to"
    if _NOT_NOW.search(text):
        return "it says what may happen, not what to do now"
    if _HEDGE.search(text):
        return "it has a 'but'"
    return None


def _touches(part: str) -> bool:
    return bool(loosely(part)) or bool(
        re.search(r"\b(?:done|finished|complete|agree|pause|resume|phase)", part, re.I)
    )
