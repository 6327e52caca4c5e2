"""Every kind of email mentormail sends: the registry templates and tests are checked against."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str  # the X-Mentormail-Kind value and the template prefix
    description: str
    expects_answer: bool


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("agreement_request", "the mentor/mentee agreement, pre-filled, to agree to", True),
        Kind("agreement_signed", "the agreement as both signed it", False),
        Kind("invitation", "a meeting's calendar invitation (first or updated)", True),
        Kind("cancellation", "a meeting's calendar cancellation", False),
        Kind("meeting_declined", "the partner declined a meeting in their calendar", True),
        Kind("time_proposed", "the partner's calendar proposed a new time: accept or not", True),
        Kind("agenda_request", "asks the mentee for the next meeting's topics", True),
        Kind("agenda", "the next meeting's agenda, to both", True),
        Kind("after_meeting", "asks the mentee for action items and a reflection", True),
        Kind("mentor_checkin", "the guide's check-in questions, to the mentor", True),
        Kind("reevaluation", "the agreed re-evaluation: keep, increase or decrease", True),
        Kind("task_reminder", "an action item is due tomorrow", True),
        Kind("task_overdue", "an action item is past its due date", True),
        Kind("mentoring_map", "the mentee's mentoring map: who helps with what", True),
        Kind("mentor_reflection", "the mentor's reflection before the first meeting", True),
        Kind("closure", "phasing out: the last meeting and the guide's closure questions", True),
        Kind("closure_archive", "the record of a closed pairing, with an mbox attachment", False),
        Kind("reflection_shared", "a reflection its writer chose to share with the partner", False),
        Kind(
            "performance_summary_request",
            "after a performance conversation: the guide's steps and the mentor's summary form",
            True,
        ),
        Kind("performance_followup_draft", "the follow-up as drafted, to the mentor alone", True),
        Kind("performance_followup", "the follow-up to the mentee, the mentor in copy", True),
        Kind("performance_reply", "the mentee's confirmation or corrections, to the mentor", False),
        Kind("performance_checkback", "at the last due date: has it improved?", True),
        Kind("understood", "what a reply was understood to say", True),
        Kind("help", "what may be written in a reply", True),
        Kind("help_note", "a participant's confidential note to the program's coordinators", False),
        Kind("refusal", "a polite no to mail we cannot take", False),
        Kind("digest", "a program's digest for its coordinators, with commands to reply", True),
        Kind("coordinator_reply", "what a coordinator's commands did", True),
        Kind("nudge", "a coordinator's friendly reminder to a pair, naming what is pending", True),
        Kind("pairing_details", "a pairing's history for its coordinator, nothing private", True),
    )
}

# Mail whose content, and whose very existence, is for its recipients alone: stored sealed,
# named "private" in logs and counters, never in a coordinator's view.
PRIVATE_KINDS = frozenset(
    {
        "performance_summary_request",
        "performance_followup_draft",
        "performance_followup",
        "performance_reply",
        "performance_checkback",
        "reflection_shared",
    }
)


def log_kind(kind: str) -> str:
    """How a kind is named in logs and counters."""
    return "private" if kind in PRIVATE_KINDS else kind
