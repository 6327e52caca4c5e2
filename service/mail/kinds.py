"""Every kind of email mentormail sends, and what replies to each are about: defined once.

An email's *topic* says what a reply to it is about (a meeting's agenda, a reflection, a
performance conversation…) and the row it refers to. It travels in the signed reply
address and is stored with the email, so that a reply routed by its address and one routed
by its thread headers reach the same handler, and a reply about a private matter is kept
sealed however it came back. Whether replies are private is a property of the topic, never
of a string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

# What a topic's reference names.
Refers = Literal[
    "nothing",
    "version",
    "meeting",
    "task",
    "proposal",
    "pairing",
    "conversation",
    "coordinator",
    "message",
]


class Topic(StrEnum):
    """What replies to an email are about. The value is the code a reply address carries,
    followed by the id it refers to: codes never change once mail has gone out."""

    private: bool
    refers_to: Refers

    def __new__(cls, code: str, private: bool, refers_to: Refers) -> Topic:
        member = str.__new__(cls, code)
        member._value_ = code
        member.private = private
        member.refers_to = refers_to
        return member

    GENERAL = "general", False, "nothing"
    # A private matter's mail that no other topic covers: a shared reflection, the record of
    # a closed pairing, the answer to a private reply.
    PRIVATE = "private", True, "nothing"
    AGREEMENT = "agreement", False, "version"
    MEETING = "meeting", False, "meeting"
    PRIVATE_MEETING = "pmeeting", True, "meeting"
    AGENDA = "agenda", False, "meeting"
    AFTER_MEETING = "after", True, "meeting"
    CHECKIN = "checkin", True, "meeting"
    REEVALUATION = "reeval", False, "pairing"
    # One action item: carried by reminders sent before a day's reminders made one email.
    TASK = "task", False, "task"
    PRIVATE_TASK = "ptask", True, "task"
    PROPOSAL = "proposal", False, "proposal"
    PRIVATE_PROPOSAL = "pproposal", True, "proposal"
    MENTORING_MAP = "map", True, "pairing"
    MENTOR_REFLECTION = "reflect", True, "pairing"
    CLOSURE = "closure", True, "pairing"
    PERFORMANCE_SUMMARY = "perf", True, "conversation"
    PERFORMANCE_DRAFT = "perfdraft", True, "conversation"
    PERFORMANCE_FOLLOWUP = "perfup", True, "conversation"
    PERFORMANCE_CHECKBACK = "perfcheck", True, "conversation"
    # A coordinator's own address: pairing 0, the coordinator in place of a person.
    COORDINATOR = "coord", False, "coordinator"
    UNSUBSCRIBE = "unsub", False, "coordinator"
    # Confirming a message that came to the plain address from a coordinator's: the
    # message held until they do.
    CONFIRM = "confirm", False, "message"

    @property
    def for_coordinators(self) -> bool:
        return self.refers_to == "coordinator" or self is Topic.CONFIRM


_CODE = re.compile(r"([a-z]+?)(\d*)")
_BY_CODE = {topic.value: topic for topic in Topic}


@dataclass(frozen=True)
class About:
    """One email's topic and the id it refers to (None where the topic names no row; for
    the agreement, the version of its terms, None meaning the current one)."""

    topic: Topic
    ref: int | None = None

    @property
    def private(self) -> bool:
        return self.topic.private

    @property
    def code(self) -> str:
        """The form a reply address carries: `meeting12`, `general`."""
        return self.topic.value + ("" if self.ref is None else str(self.ref))

    @classmethod
    def from_code(cls, code: str) -> About:
        """The topic a signed reply address names. A code this version does not know (an
        address made by another version) is taken as a private matter: kept sealed, read
        for nothing but commands."""
        match = _CODE.fullmatch(code)
        topic = _BY_CODE.get(match.group(1)) if match else None
        if match is None or topic is None:
            return cls(Topic.PRIVATE)
        return cls(topic, int(match.group(2)) if match.group(2) else None)

    @classmethod
    def meeting(cls, meeting_id: int, *, private: bool) -> About:
        return cls(Topic.PRIVATE_MEETING if private else Topic.MEETING, meeting_id)


# The context every email is given, whatever its kind.
COMMON_FIELDS = frozenset({"service_name", "recipient", "program"})


@dataclass(frozen=True)
class EmailKind:
    """One kind of email: its template prefix (also its X-Mentormail-Kind), what its
    template's context holds beyond COMMON_FIELDS, and what replies to it may be about."""

    name: str
    description: str
    expects_answer: bool
    # The topics its replies may have, the first one unless the sender names another. None
    # for mail whose replies go to the service's plain address (nothing to route by).
    topics: tuple[Topic, ...]
    fields: frozenset[str] = field(default_factory=frozenset)
    # The email itself is private: stored sealed, named "private" in logs and counters.
    sealed: bool = False

    def __str__(self) -> str:
        return self.name


def _kind(
    name: str,
    description: str,
    fields: str,
    *topics: Topic,
    answer: bool = True,
    sealed: bool = False,
) -> EmailKind:
    return EmailKind(name, description, answer, topics, frozenset(fields.split()), sealed)


_MEETING = (Topic.MEETING, Topic.PRIVATE_MEETING)
_PARTICIPANTS = tuple(t for t in Topic if not t.for_coordinators)

AGREEMENT_REQUEST = _kind(
    "agreement_request",
    "the mentor/mentee agreement, pre-filled, to agree to",
    "partner terms ground_rules form partner_agreed changed_by changes",
    Topic.AGREEMENT,
)
AGREEMENT_SIGNED = _kind(
    "agreement_signed",
    "the agreement as both signed it",
    "partner terms ground_rules mentor mentee mentor_signed_on mentee_signed_on first_meeting",
    Topic.AGREEMENT,
    answer=False,
)
INVITATION = _kind(
    "invitation",
    "a meeting's calendar invitation (first or updated)",
    "partner meeting is_update change_note agenda reschedule_notice",
    *_MEETING,
)
CANCELLATION = _kind(
    "cancellation",
    "a meeting's calendar cancellation",
    "partner meeting reason",
    *_MEETING,
    answer=False,
)
MEETING_DECLINED = _kind(
    "meeting_declined",
    "the partner declined a meeting in their calendar",
    "partner meeting comment example",
    *_MEETING,
)
TIME_PROPOSED = _kind(
    "time_proposed",
    "the partner's calendar proposed a new time: accept or not",
    "partner meeting proposed comment",
    Topic.PROPOSAL,
    Topic.PRIVATE_PROPOSAL,
)
AGENDA_REQUEST = _kind(
    "agenda_request",
    "asks the mentee for the next meeting's topics",
    "partner meeting help_text goals open_items checklist during talking_points unanswered",
    Topic.AGENDA,
)
AGENDA = _kind(
    "agenda",
    "the next meeting's agenda, to both",
    "partner meeting help_text items goals open_items",
    Topic.AGENDA,
)
AFTER_MEETING = _kind(
    "after_meeting",
    "asks the mentee for action items and a reflection",
    "partner meeting help_text questions stock_from between unanswered",
    Topic.AFTER_MEETING,
)
MENTOR_CHECKIN = _kind(
    "mentor_checkin",
    "the guide's check-in questions, to the mentor",
    "partner meeting help_text questions",
    Topic.CHECKIN,
)
REEVALUATION = _kind(
    "reevaluation",
    "the agreed re-evaluation: keep, increase or decrease",
    "partner months frequency held goals help_text",
    Topic.REEVALUATION,
)
# A person's reminders of one day make one email, named by what it holds; it lists several
# tasks, so replies are about the pairing (private ones apart), each task named by number.
TASK_REMINDER = _kind(
    "task_reminder",
    "the day's reminders: action items due soon, and any still open after their date",
    "partner soon late help_text",
    Topic.GENERAL,
    Topic.PRIVATE,
)
TASK_OVERDUE = _kind(
    "task_overdue",
    "the day's reminders: action items past their due date",
    "partner soon late help_text",
    Topic.GENERAL,
    Topic.PRIVATE,
)
MENTORING_MAP = _kind(
    "mentoring_map",
    "the mentee's mentoring map: who helps with what",
    "partner categories",
    Topic.MENTORING_MAP,
)
MENTOR_REFLECTION = _kind(
    "mentor_reflection",
    "the mentor's reflection before the first meeting",
    "partner first_meeting questions",
    Topic.MENTOR_REFLECTION,
)
CLOSURE = _kind(
    "closure",
    "phasing out: the last meeting and the guide's closure questions",
    "partner path started_by projected_months last_meeting cancelled questions advice",
    Topic.CLOSURE,
)
CLOSURE_ARCHIVE = _kind(
    "closure_archive",
    "the record of a closed pairing, with an mbox attachment",
    "partner goals frequency signed_on closed_on meetings done open",
    Topic.PRIVATE,
    answer=False,
    sealed=True,
)
REFLECTION_SHARED = _kind(
    "reflection_shared",
    "a reflection its writer chose to share with the partner",
    "partner text",
    Topic.PRIVATE,
    answer=False,
    sealed=True,
)
PARTNER_NOTE = _kind(
    "partner_note",
    "the lines of a reply meant for the partner (a question, an offer), passed on",
    "partner lines",
    Topic.GENERAL,
    Topic.MEETING,
    Topic.AGREEMENT,
    Topic.TASK,
    Topic.REEVALUATION,
    Topic.PROPOSAL,
)
PERFORMANCE_SUMMARY_REQUEST = _kind(
    "performance_summary_request",
    "after a performance conversation: the guide's steps and the mentor's summary form",
    "partner meeting steps goals form",
    Topic.PERFORMANCE_SUMMARY,
    sealed=True,
)
PERFORMANCE_FOLLOWUP_DRAFT = _kind(
    "performance_followup_draft",
    "the follow-up as drafted, to the mentor alone",
    "partner mentor mentee sent version follow_up problems sweeping form",
    Topic.PERFORMANCE_DRAFT,
    sealed=True,
)
PERFORMANCE_FOLLOWUP = _kind(
    "performance_followup",
    "the follow-up to the mentee, the mentor in copy",
    "mentor mentee sent follow_up",
    Topic.PERFORMANCE_FOLLOWUP,
    sealed=True,
)
PERFORMANCE_REPLY = _kind(
    "performance_reply",
    "the mentee's confirmation or corrections, to the mentor",
    "partner confirmed corrections",
    Topic.PERFORMANCE_FOLLOWUP,
    answer=False,
    sealed=True,
)
PERFORMANCE_CHECKBACK = _kind(
    "performance_checkback",
    "at the last due date: has it improved?",
    "partner items",
    Topic.PERFORMANCE_CHECKBACK,
    sealed=True,
)
UNDERSTOOD = _kind(
    "understood",
    "what a reply was understood to say, in its thread, with the day's action-item reminder"
    " that had not gone (or a full day's replies, the next morning); a reply to it goes on"
    " where that reply was",
    "subject applied not_understood held passed_on notes reminders gathered help_text",
    *_PARTICIPANTS,
)
HELP = _kind(
    "help",
    "what may be written in a reply",
    "help_text note_received note_unsent",
    Topic.GENERAL,
    Topic.PRIVATE,
)
HELP_NOTE = _kind(
    "help_note",
    "a participant's confidential note to the program's coordinators",
    "writer partner pairing_number note",
    answer=False,
)
REFUSAL = _kind("refusal", "a polite no to mail we cannot take", "reason", answer=False)
DIGEST = _kind(
    "digest",
    "a program's digest for its coordinators, with commands to reply",
    "period closed stopped stopped_more numbers chart_text attention attention_more table "
    "table_more commands every",
    Topic.COORDINATOR,
)
COORDINATOR_REPLY = _kind(
    "coordinator_reply",
    "what a coordinator's commands did",
    "done problems commands",
    Topic.COORDINATOR,
)
NUDGE = _kind(
    "nudge",
    "a coordinator's friendly reminder to a pair, naming what is pending",
    "partner state pending open_items next_meeting",
    Topic.GENERAL,
)
COORDINATOR_CONFIRM = _kind(
    "coordinator_confirm",
    "asks a coordinator whether they sent the commands that came from their address",
    "commands_found attachments expires",
    Topic.CONFIRM,
)
PAIRING_DETAILS = _kind(
    "pairing_details",
    "a pairing's history for its coordinator, nothing private",
    "pairing meetings tasks",
    Topic.COORDINATOR,
)
MAIL_WAITED = _kind(
    "mail_waited",
    "tells coordinators that mail waited for the mail server or its settings, and goes again",
    "span waited problem settings_problem waiting",
    Topic.COORDINATOR,
    answer=False,
)

KINDS: dict[str, EmailKind] = {
    kind.name: kind for kind in globals().copy().values() if isinstance(kind, EmailKind)
}


def log_kind(kind: str) -> str:
    """How a kind is named in logs and counters: a private one as "private" alone."""
    found = KINDS.get(kind)
    return "private" if found is None or found.sealed else kind
