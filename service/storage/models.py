"""The tables: the only module that knows how mentormail's state is stored."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from service.mail.kinds import Topic


class PairingState(StrEnum):
    INVITED = "invited"
    AGREEING = "agreeing"
    ACTIVE = "active"
    PAUSED = "paused"
    REEVALUATING = "reevaluating"
    CLOSING = "closing"
    CLOSED = "closed"


class OutboundStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class InboundStatus(StrEnum):
    PENDING = "pending"
    # Commands from a coordinator's address to the plain one, until the coordinator
    # confirms them through their own signed address.
    HELD = "held"
    PROCESSED = "processed"
    IGNORED = "ignored"
    REFUSED = "refused"
    FAILED = "failed"


class Program(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=300, unique=True)
    coordinator_email = fields.CharField(max_length=254, null=True)
    # When its coordinators' digests go: weekday (0 Monday) and hour in the program's zone.
    timezone = fields.CharField(max_length=64, default="UTC")
    digest_weekday = fields.IntField(default=0)
    digest_hour = fields.IntField(default=8)
    created_at = fields.DatetimeField()
    # Its days off (service.program.holidays): a country's public holidays (ISO code, and
    # the holidays library's region), and its own dates {"2026-12-24": "Office closed"}.
    holiday_country = fields.CharField(max_length=8, null=True)
    holiday_region = fields.CharField(max_length=16, null=True)
    own_holidays: dict[str, str] | None = fields.JSONField(null=True)

    class Meta:
        table = "program"


class DigestEvery(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    OFF = "off"


class MailStopped(StrEnum):
    """Why no more mail goes to a person's address."""

    BOUNCES = "bounces"  # it kept bouncing: undeliverable
    COMPLAINT = "complaint"  # its owner marked our mail as spam


class Coordinator(Model):
    """Someone who looks after a program: gets its digest and may act on its pairings."""

    id = fields.IntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        "models.Program", related_name="coordinators", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254, db_index=True)
    digest_every = fields.CharEnumField(DigestEvery, max_length=8, default=DigestEvery.WEEKLY)
    # The message that asked for a digest up to now, until that digest is queued: it is made
    # after the reply is committed, not inside its transaction.
    digest_asked_by = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    program_id: int

    class Meta:
        table = "coordinator"
        unique_together = (("program", "email"),)


class Person(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=300)
    # The name emails greet them by, where the roster gave one (else their first given name).
    greeting = fields.CharField(max_length=100, null=True)
    timezone = fields.CharField(max_length=64)
    wants_receipts = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    # Bounce scoring: hard bounces count 1, soft ones 0.5, one a day at most; a score left
    # alone for a week starts again from zero. At the threshold no more mail is sent.
    bounce_score = fields.FloatField(default=0)
    bounce_scored_on = fields.DateField(null=True)
    mail_disabled_at = fields.DatetimeField(null=True)
    # Why it stopped: bounces, or one spam complaint (which needs no score).
    mail_stopped = fields.CharEnumField(MailStopped, max_length=16, null=True)

    class Meta:
        table = "person"


class Pairing(Model):
    id = fields.IntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        "models.Program", related_name="pairings", on_delete=fields.RESTRICT
    )
    mentor: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="mentoring", on_delete=fields.RESTRICT
    )
    mentee: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="mentored", on_delete=fields.RESTRICT
    )
    state = fields.CharEnumField(PairingState, max_length=16, default=PairingState.INVITED)
    start_date = fields.DateField()
    terms: dict[str, Any] = fields.JSONField()
    terms_version = fields.IntField(default=1)
    # Where the current cadence starts: meeting `anchor_number` falls on `anchor_day` (local).
    # Both change when the frequency does; before that meeting 1 is the anchor.
    anchor_day = fields.DateField(null=True)
    anchor_number = fields.IntField(default=1)
    reevaluated_at = fields.DatetimeField(null=True)
    # When the planning tick must next look at this pairing (a meeting to issue, the projected
    # end), and when to ask for the re-evaluation: a tick reads only what is due, however
    # large the program.
    plan_at = fields.DatetimeField(null=True, db_index=True)
    reevaluate_at = fields.DatetimeField(null=True, db_index=True)
    mentor_agreed_at = fields.DatetimeField(null=True)
    mentee_agreed_at = fields.DatetimeField(null=True)
    signed_at = fields.DatetimeField(null=True)
    # Phasing out: how it began (a participant, the projected end, the coordinator), when,
    # and when the pairing closed. While closing, plan_at is when to close it.
    closing_path = fields.CharField(max_length=20, null=True)
    closing_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    program_id: int
    mentor_id: int
    mentee_id: int

    class Meta:
        table = "pairing"
        unique_together = (("program", "mentor", "mentee"),)


class Meeting(Model):
    id = fields.IntField(primary_key=True)
    pairing: fields.ForeignKeyRelation[Pairing] = fields.ForeignKeyField(
        "models.Pairing", related_name="meetings", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    uid = fields.CharField(max_length=200, unique=True)
    sequence = fields.IntField(default=0)
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField()
    tzid = fields.CharField(max_length=64)
    cancelled = fields.BooleanField(default=False)
    # When the next prompt around this meeting falls due (agenda request, agenda, after it).
    prompt_at = fields.DatetimeField(null=True, db_index=True)
    # A performance conversation's meeting: outside the cadence (its number is negative),
    # marked private in calendars, and never counted or named in a coordinator's view.
    private = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    pairing_id: int

    class Meta:
        table = "meeting"
        unique_together = (("pairing", "number"),)


class AgendaItem(Model):
    """A topic for a meeting, sent in by a participant."""

    id = fields.IntField(primary_key=True)
    meeting: fields.ForeignKeyRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="agenda_items", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="agenda_items", on_delete=fields.CASCADE
    )
    text = fields.CharField(max_length=500)
    created_at = fields.DatetimeField()

    meeting_id: int
    author_id: int

    class Meta:
        table = "agenda_item"
        unique_together = (("meeting", "text"),)


class MeetingAnswer(Model):
    """A participant's calendar answer to a meeting: the newest one they wrote (rule 17)."""

    id = fields.IntField(primary_key=True)
    meeting: fields.ForeignKeyRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="answers", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="meeting_answers", on_delete=fields.CASCADE
    )
    partstat = fields.CharField(max_length=20)
    comment = fields.CharField(max_length=1000, null=True)
    # When the client wrote it (DTSTAMP, or Outlook's reply time); received_at when absent.
    answered_at = fields.DatetimeField()
    received_at = fields.DatetimeField()

    meeting_id: int
    person_id: int

    class Meta:
        table = "meeting_answer"
        unique_together = (("meeting", "person"),)


class Reflection(Model):
    """A participant's answer to a reflection or check-in prompt, sealed at rest.

    Private to its writer unless they wrote `share`; never in a digest, a log or an error.
    """

    id = fields.IntField(primary_key=True)
    pairing: fields.ForeignKeyRelation[Pairing] = fields.ForeignKeyField(
        "models.Pairing", related_name="reflections", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="reflections", on_delete=fields.CASCADE
    )
    topic = fields.CharField(max_length=40)  # the prompt answered: "after12", "checkin12"…
    sealed = fields.BinaryField()
    shared = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    pairing_id: int
    person_id: int

    class Meta:
        table = "reflection"


class PerformanceState(StrEnum):
    SCHEDULED = "scheduled"  # the private meeting is planned
    SUMMARY = "summary"  # after it: waiting for the mentor's summary
    DRAFTED = "drafted"  # the draft follow-up is with the mentor
    SENT = "sent"  # the follow-up went to the mentee; action items under way
    CHECKING = "checking"  # the check-back was asked
    CLOSED = "closed"


class PerformanceConversation(Model):
    """A mentor's hard conversation about performance, and its written follow-up.

    Everything said in it is sealed in `sealed` (the follow-up as JSON); no coordinator,
    digest, log line or error report ever names it.
    """

    id = fields.IntField(primary_key=True)
    pairing: fields.ForeignKeyRelation[Pairing] = fields.ForeignKeyField(
        "models.Pairing", related_name="performance_conversations", on_delete=fields.CASCADE
    )
    meeting: fields.ForeignKeyNullableRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="performance", null=True, on_delete=fields.SET_NULL
    )
    state = fields.CharEnumField(PerformanceState, max_length=16)
    sealed = fields.BinaryField(null=True)
    draft_version = fields.IntField(default=0)
    # When to ask both whether things improved: the latest action item's due date.
    check_back_at = fields.DatetimeField(null=True, db_index=True)
    sent_at = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)
    improved = fields.BooleanField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    pairing_id: int
    meeting_id: int | None

    class Meta:
        table = "performance_conversation"


class HelpNote(Model):
    """A participant's `help:` note: for their program's coordinators, and nobody else."""

    id = fields.IntField(primary_key=True)
    pairing: fields.ForeignKeyRelation[Pairing] = fields.ForeignKeyField(
        "models.Pairing", related_name="help_notes", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="help_notes", on_delete=fields.CASCADE
    )
    text = fields.TextField()
    created_at = fields.DatetimeField(db_index=True)

    pairing_id: int
    person_id: int

    class Meta:
        table = "help_note"


class ProposalState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"


class TimeProposal(Model):
    """A new time one participant's calendar proposed (iTIP COUNTER), offered to the other."""

    id = fields.IntField(primary_key=True)
    meeting: fields.ForeignKeyRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="proposals", on_delete=fields.CASCADE
    )
    proposer: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="proposals", on_delete=fields.CASCADE
    )
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    comment = fields.CharField(max_length=1000, null=True)
    state = fields.CharEnumField(ProposalState, max_length=20, default=ProposalState.OPEN)
    created_at = fields.DatetimeField()

    meeting_id: int
    proposer_id: int

    class Meta:
        table = "time_proposal"


class TaskState(StrEnum):
    OPEN = "open"
    DONE = "done"


class Task(Model):
    """An action item: numbered per pairing so that `done 2` names it."""

    id = fields.IntField(primary_key=True)
    pairing: fields.ForeignKeyRelation[Pairing] = fields.ForeignKeyField(
        "models.Pairing", related_name="tasks", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    owner: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="tasks", on_delete=fields.CASCADE
    )
    text = fields.CharField(max_length=500)
    due_date = fields.DateField(null=True)
    # An action item from a performance conversation: its text is kept sealed, `text` empty.
    private = fields.BooleanField(default=False)
    sealed = fields.BinaryField(null=True)
    state = fields.CharEnumField(TaskState, max_length=8, default=TaskState.OPEN)
    # When its next reminder or nudge falls due; None when there is none left.
    remind_at = fields.DatetimeField(null=True, db_index=True)
    created_at = fields.DatetimeField()
    done_at = fields.DatetimeField(null=True)

    pairing_id: int
    owner_id: int

    class Meta:
        table = "task"
        unique_together = (("pairing", "number"),)
        indexes = (("state", "due_date"),)


class OutboundMessage(Model):
    """The outbox: written in the same transaction as the decision, sent by another job."""

    id = fields.BigIntField(primary_key=True)
    dedupe_key = fields.CharField(max_length=200, unique=True)
    kind = fields.CharField(max_length=64)
    pairing: fields.ForeignKeyNullableRelation[Pairing] = fields.ForeignKeyField(
        "models.Pairing", related_name="outbound", null=True, on_delete=fields.SET_NULL
    )
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="outbound", null=True, on_delete=fields.SET_NULL
    )
    message_id = fields.CharField(max_length=250, unique=True)
    mail_from = fields.CharField(max_length=254)
    recipients: list[str] = fields.JSONField()
    # What replies to it are about and the row that names (service.mail.kinds), and whether
    # they are private: a reply that lost its signed address is routed by these, alike.
    topic = fields.CharEnumField(Topic, max_length=16, null=True)
    topic_ref = fields.BigIntField(null=True)
    replies_private = fields.BooleanField(default=False, db_default=False)
    # The coordinator a coordinator's mail was for (person_id names participants only).
    coordinator_id = fields.IntField(null=True)
    raw_bytes = fields.BinaryField(source_field="raw")
    # Private mail (performance conversations, shared reflections) is stored sealed.
    sealed = fields.BooleanField(default=False)
    status = fields.CharEnumField(OutboundStatus, max_length=16, default=OutboundStatus.PENDING)
    attempts = fields.IntField(default=0)
    not_before = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    claim_token = fields.CharField(max_length=32, null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    # What an email waiting to go carries for the one that may take its place: an answer's
    # replies of the day and what was done (a private one's sealed, as {"sealed": …}), or
    # a changed agreement form's changes, [label, old, new], which its reader has not seen.
    gathered: Any = fields.JSONField(null=True)

    pairing_id: int | None
    person_id: int | None

    class Meta:
        table = "outbound_message"
        # A pairing's prompts, for the digest's count of those left unanswered.
        indexes = (("status", "not_before"), ("pairing_id", "kind"))


class InboundMessage(Model):
    """Every message fetched, kept raw, whatever became of it."""

    id = fields.BigIntField(primary_key=True)
    message_id = fields.CharField(max_length=250, unique=True)
    raw_bytes = fields.BinaryField(source_field="raw")
    # A reply to a private prompt is sealed once applied (it is kept, unreadable without the key).
    sealed = fields.BooleanField(default=False)
    source_key = fields.CharField(max_length=100, null=True)
    status = fields.CharEnumField(InboundStatus, max_length=16, default=InboundStatus.PENDING)
    kind = fields.CharField(max_length=32, null=True)
    # What it was handled as, once routed: the topic of the email it answered.
    topic = fields.CharEnumField(Topic, max_length=16, null=True)
    topic_ref = fields.BigIntField(null=True)
    reason = fields.TextField(null=True)
    from_addr = fields.CharField(max_length=254, null=True)
    pairing: fields.ForeignKeyNullableRelation[Pairing] = fields.ForeignKeyField(
        "models.Pairing", related_name="inbound", null=True, on_delete=fields.SET_NULL
    )
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="inbound", null=True, on_delete=fields.SET_NULL
    )
    received_at = fields.DatetimeField()
    processed_at = fields.DatetimeField(null=True)
    # How many times applying it began and did not come back (the worker stopped, or its job
    # ran out of time): counted before each start, given back when an error is caught.
    attempts = fields.IntField(default=0)

    pairing_id: int | None
    person_id: int | None

    class Meta:
        table = "inbound_message"
        # A person's replies in a pairing, for the digest's count of prompts left unanswered.
        indexes = (("status", "received_at"), ("pairing_id", "person_id", "received_at"))


class Refusal(Model):
    """One polite refusal per address, kind and day at most."""

    id = fields.IntField(primary_key=True)
    address = fields.CharField(max_length=254)
    kind = fields.CharField(max_length=32)
    day = fields.DateField()
    count = fields.IntField(default=1)

    class Meta:
        table = "refusal"
        unique_together = (("address", "kind", "day"),)


MODELS_MODULE = __name__
