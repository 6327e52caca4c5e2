"""Performance conversations (the guide's "hard conversations"): the mentor's summary form,
the follow-up it becomes, and the guide's words around them.

Pure: no database, no mail. The service keeps what is read here sealed, and sends it to the
mentor and the mentee alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from service.action_items.rules import read_task

# The guide's five steps, in our words: the checklist the mentor gets after the meeting.
FIVE_STEPS = (
    "Frame the conversation around your mentee's professional goals.",
    "Keep it private: take your mentee aside (with a member of the mentoring team if that "
    "helps), and speak sensitively and directly.",
    "Be specific: go back to the expectations you agreed and name recent, exact incidents, "
    'rather than "you always" or "you never".',
    "Restate your expectations and ask your mentee for their own plan to improve; offer "
    "resources, remove barriers, ask what reasonable accommodation would help.",
    "Follow up in writing: short, a summary, and the action items your mentee came up with. "
    "That is the email this one prepares.",
)

# When the check-back finds things have not improved (the guide, after the five steps).
TRANSITION_ADVICE = (
    "The guide reads this as a sign that this pairing's environment is unlikely to work, "
    "and that is nobody's failure.",
    "Your institution has accepted ways to hand the mentoring role on to one or more other "
    "mentors; your program coordinator can tell you what they are.",
    "To ask your program coordinator in confidence, reply with help: followed by your note. "
    "Nothing about this conversation is passed on unless you write it there.",
    "If you decide to end the mentoring relationship, write phase out: you both get the "
    "guide's advice on ending well, and a last meeting.",
)

# Form labels, as the summary request shows them; any of the spellings reads.
FORM = (
    ("summary", "Summary", ("summary",)),
    (
        "expectation",
        "Expectation not met",
        ("expectation not met", "expectations not met", "expectation", "expectations"),
    ),
    ("incidents", "Incidents", ("incidents", "incident", "specific incidents", "examples")),
    ("action", "Action item", ("action items", "action item", "action", "actions")),
)
_LABELS = {spelling: key for key, _, spellings in FORM for spelling in spellings}
_LINE = re.compile(
    r"^\s*(?:[-*•]\s*)?(?P<label>"
    + "|".join(re.escape(s) for s in sorted(_LABELS, key=len, reverse=True))
    + r")\s*(?:\d+\s*)?[:=]\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# Generalisations the guide asks to avoid, flagged back to the mentor in the draft.
_SWEEPING = re.compile(r"\b(?:you|she|he|they)\s+(?:always|never)\b", re.IGNORECASE)
MAX_FIELD = 2000
MAX_ITEMS = 10


@dataclass(frozen=True)
class ActionItem:
    text: str
    due: date | None


@dataclass(frozen=True)
class FollowUp:
    """What the mentor wrote after the conversation; the follow-up email is made of it."""

    summary: str = ""
    expectation: str = ""
    incidents: str = ""
    items: tuple[ActionItem, ...] = ()

    def problems(self) -> list[str]:
        """What stands between this and a follow-up the guide would recognise."""
        found: list[str] = []
        if not self.summary:
            found.append('No summary yet: add a "Summary:" line.')
        if not self.items:
            found.append(
                'No action items yet: add one "Action item:" line for each step your mentee '
                "proposed, with a date (by Jan 15)."
            )
        for item in self.items:
            if item.due is None:
                found.append(f'"{item.text}" has no date: add one, as in "by Jan 15".')
        return found

    def sweeping(self) -> list[str]:
        """Sentences that generalise ("you always…"): the guide asks for exact incidents."""
        text = " ".join((self.summary, self.expectation, self.incidents))
        return sorted({m.group(0) for m in _SWEEPING.finditer(text)}, key=str.lower)

    @property
    def last_due(self) -> date | None:
        return max((i.due for i in self.items if i.due), default=None)

    def to_json(self) -> str:
        return json.dumps(
            {
                "summary": self.summary,
                "expectation": self.expectation,
                "incidents": self.incidents,
                "items": [
                    {"text": i.text, "due": i.due.isoformat() if i.due else None}
                    for i in self.items
                ],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> FollowUp:
        data: dict[str, Any] = json.loads(text)
        return cls(
            summary=data.get("summary", ""),
            expectation=data.get("expectation", ""),
            incidents=data.get("incidents", ""),
            items=tuple(
                ActionItem(i["text"], date.fromisoformat(i["due"]) if i.get("due") else None)
                for i in data.get("items", [])
            ),
        )


@dataclass
class _Reading:
    fields: dict[str, list[str]] = field(default_factory=dict)
    items: list[str] = field(default_factory=list)


def read_summary(
    text: str, today: date, *, before: FollowUp | None = None, tzid: str = "UTC"
) -> FollowUp:
    """The mentor's form: `Summary:`, `Expectation not met:`, `Incidents:` (lines below a
    label continue it) and one `Action item:` per step, each with a date in words.

    Fields left out keep their value from `before` (an edit of the draft changes only what
    it names); action items given replace the earlier list.
    """
    reading = _Reading()
    current: str | None = None
    for raw_line in text.splitlines()[:200]:
        line = raw_line.strip()[:MAX_FIELD]
        match = _LINE.match(line)
        if match:
            current = _LABELS[" ".join(match.group("label").lower().split())]
            value = match.group("value").strip()
            if current == "action":
                if value:
                    reading.items.append(value)
            else:
                reading.fields.setdefault(current, [])
                if value:
                    reading.fields[current].append(value)
            continue
        if not line or current is None:
            continue
        if current == "action":
            # Action items listed under one label, a bullet or a line each.
            reading.items.append(_BULLET.sub("", line))
        else:
            reading.fields[current].append(line)
    base = before or FollowUp()
    joined = {key: " ".join(lines)[:MAX_FIELD] for key, lines in reading.fields.items()}
    items = tuple(_item(text, today, tzid) for text in reading.items[:MAX_ITEMS] if text.strip())
    return replace(
        base,
        summary=joined.get("summary", base.summary),
        expectation=joined.get("expectation", base.expectation),
        incidents=joined.get("incidents", base.incidents),
        items=items or base.items,
    )


def _item(text: str, today: date, tzid: str) -> ActionItem:
    read = read_task(text, today, tzid)
    return ActionItem(read.text[:500], read.due)


def has_form(text: str) -> bool:
    """Whether the text fills in any line of the form."""
    return any(_LINE.match(line.strip()) for line in text.splitlines())


_YES = re.compile(r"^(?:yes|yep|yeah|it has|they have|improved|better)\b", re.IGNORECASE)
_NO = re.compile(r"^(?:no|nope|not really|not yet|it has not|hasn't|has not|worse)\b", re.I)


def improved(text: str) -> bool | None:
    """The answer to "has it improved?": True, False, or None when the reply does not say."""
    for line in text.splitlines():
        line = _BULLET.sub("", line.strip())
        if _NO.match(line):
            return False
        if _YES.match(line):
            return True
    return None
