"""The agreement's rules: what one person's answer to the form does to the terms and to who
has agreed. Pure: the terms, who agreed, and the answer in; the new state and its words out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from service.agreement.times import Zones, in_agreement_zone
from service.program.terms import FORM_LABELS, Change, Terms, apply_changes

NOT_COUNTED = (
    'Your "I agree" was not counted: it answered an earlier version of the agreement, which '
    "has changed since. Please agree to it as it now stands, in the latest agreement email "
    "from us."
)
NOTHING_FOUND = 'No change and no "I agree" was found in your reply.'


@dataclass(frozen=True)
class Agreement:
    """Where the agreement stands: its terms, their version, and who agreed to them."""

    terms: Terms
    version: int
    mentor_agreed: bool
    mentee_agreed: bool

    @property
    def signed(self) -> bool:
        return self.mentor_agreed and self.mentee_agreed


@dataclass(frozen=True)
class Answered:
    """An answer's effect: the agreement after it, and what to tell and send whom."""

    agreement: Agreement
    applied: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    changed: bool = False  # the terms changed: the partner is asked to agree again
    outdated: bool = False  # it answered an older form: the writer gets the current one
    agreed: bool = False  # the writer's "I agree" counted


def answer(
    current: Agreement,
    role: str,
    changes: Sequence[Change],
    agrees: bool,
    answered_version: int,
    zones: Zones | None = None,
) -> Answered:
    """One person's reply to the agreement form: changed lines and, perhaps, "I agree".

    A change asks the other person to agree again; agreeing counts only for the version of
    the form it answered (the current one), so nobody agrees to terms they have not seen.
    Weekday and Time are read in the writer's own zone, given `zones`, and the change said
    in both people's.
    """
    applied: list[str] = []
    outdated = answered_version < current.version
    if agrees and outdated:
        agrees = False
        applied.append(NOT_COUNTED)
    times = in_agreement_zone(current.terms, changes, zones) if zones is not None else None
    result = apply_changes(current.terms, times.changes if times is not None else changes)
    changed = result.terms != current.terms
    mentor, mentee = current.mentor_agreed, current.mentee_agreed
    lines = result.applied
    if times is not None and times.said is not None:
        # The agreement's own zone is not the writer's: their words, in both zones, instead.
        own = tuple(f"{FORM_LABELS[key]}:" for key in ("weekday", "time"))
        lines = [line for line in lines if not line.startswith(own)]
        old, new = current.terms, result.terms
        if (old.weekday, old.time_of_day) != (new.weekday, new.time_of_day):
            lines.append(f"the meeting time: {times.said}")
    if changed:
        applied.extend(f"Changed {line}" for line in lines)
        # The partner agreed to different terms.
        mentee, mentor = (False, mentor) if role == "mentor" else (mentee, False)
    if agrees:
        mentor, mentee = (True, mentee) if role == "mentor" else (mentor, True)
        applied.append("You agreed to the agreement" + (" as changed above." if changed else "."))
    problems = [*(times.problems if times is not None else ()), *result.errors]
    if not agrees and not changed and not outdated and not (times and times.problems):
        problems.append(NOTHING_FOUND)
    after = Agreement(result.terms, current.version + changed, mentor, mentee)
    return Answered(after, applied, problems, changed, outdated, agrees)
