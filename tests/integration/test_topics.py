"""What a reply is about, however it comes back: for every kind of email and every topic its
replies may have, a reply through the signed address and one that lost it (In-Reply-To
only) are routed to the same place; a reply about a private matter is stored sealed,
handled as what it answers, and no word of it reaches anyone else in the clear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise import connections

from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.inbox.processing import process_inbound
from service.inbox.routing import route
from service.mail.kinds import KINDS, About, EmailKind, Topic
from service.mail.reading.parse import parse_message
from service.outbox.writer import OutboxWriter, Reader, wire_bytes
from service.program.people import Cast
from service.program.roster import read_roster
from service.storage import db
from service.storage.db import transaction
from service.storage.models import (
    AgendaItem,
    Coordinator,
    HelpNote,
    InboundMessage,
    InboundStatus,
    Meeting,
    OutboundMessage,
    Pairing,
    PerformanceConversation,
    PerformanceState,
    Task,
    TimeProposal,
)
from tests.integration.test_flow import activated
from tests.mail import reply_to
from tests.unit.test_templates import context

COORDINATOR = "lee@society.example"
CSV = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,weekday,time,coordinator_email\n"
    "Hematology 2027,Dr. Zoë O'Brien,zoe@hospital.example,America/New_York,"
    f"Sam Okafor,sam@university.example,Europe/Berlin,2026-12-01,Thursday,10:00,{COORDINATOR}\n"
).encode()


@dataclass
class World:
    """One active pairing with a row of every sort a topic can refer to."""

    pairing: Pairing
    cast: Cast
    coordinator: Coordinator
    refs: dict[str, int]


async def world(app: AppContext) -> World:
    roster = read_roster(CSV, app.clock.now().date())
    await import_roster(roster, OutboxWriter(app.settings, app.secret), app.clock.now())
    pairing = await activated(app)
    cast = await Cast.load(connections.get("default"), pairing)
    now = app.clock.now()
    meeting = await Meeting.filter(pairing_id=pairing.id).first()
    assert meeting is not None
    private = await Meeting.create(
        pairing=pairing,
        number=-1,
        uid="private@mentormail.example",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=1),
        tzid="UTC",
        private=True,
        created_at=now,
    )
    task = await Task.create(
        pairing=pairing, number=1, owner=cast.mentee, text="Draft the aims", created_at=now
    )
    proposal = await TimeProposal.create(
        meeting=meeting,
        proposer=cast.mentor,
        starts_at=now + timedelta(days=9),
        ends_at=now + timedelta(days=9, hours=1),
        created_at=now,
    )
    conversation = await PerformanceConversation.create(
        pairing=pairing,
        meeting=private,
        state=PerformanceState.SUMMARY,
        created_at=now,
        updated_at=now,
    )
    coordinator = await Coordinator.get(email=COORDINATOR)
    held = await InboundMessage.create(
        message_id="held@society.example",
        raw_bytes=b"From: " + COORDINATOR.encode() + b"\r\n\r\npause 1\r\n",
        status=InboundStatus.HELD,
        from_addr=COORDINATOR,
        received_at=now,
    )
    refs = {
        "message": held.id,
        "meeting": meeting.id,
        "task": task.id,
        "proposal": proposal.id,
        "conversation": conversation.id,
        "pairing": pairing.id,
        "coordinator": coordinator.id,
    }
    return World(pairing, cast, coordinator, refs)


def cases() -> list[tuple[EmailKind, Topic]]:
    return [(kind, topic) for kind in KINDS.values() for topic in kind.topics]


def about(topic: Topic, found: World) -> About:
    if topic.refers_to == "version":
        return About(topic, found.pairing.terms_version)
    if topic.refers_to == "nothing":
        return About(topic)
    return About(topic, found.refs[topic.refers_to])


def reader(kind: EmailKind, topic: Topic, found: World) -> Reader:
    if topic.for_coordinators:
        return Reader.coordinator(found.coordinator, found.cast.program.name)
    # The mentor's own mail goes to the mentor; everything else to the mentee.
    mentor_kinds = ("performance", "mentor_", "reevaluation")
    person = found.cast.mentor if kind.name.startswith(mentor_kinds) else found.cast.mentee
    return found.cast.reader(person)


async def send(app: AppContext, kind: EmailKind, topic: Topic, found: World) -> bytes:
    """One email of `kind` about `topic`, queued and read back as it went out."""
    fields = context(kind.name)
    key = f"table:{kind.name}:{topic.value}"
    async with transaction() as connection:
        await OutboxWriter(app.settings, app.secret).add(
            connection,
            kind=kind,
            dedupe_key=key,
            to=reader(kind, topic, found),
            about=about(topic, found),
            now=app.clock.now(),
            context={name: fields[name] for name in kind.fields},
        )
    return wire_bytes(await OutboundMessage.get(dedupe_key=key), app.secret)


async def clear_text_holding(marker: str) -> list[str]:
    """Every place the marker stands in the clear in the database."""
    found: list[str] = []
    for row in await OutboundMessage.filter(sealed=False):
        if marker.encode() in bytes(row.raw_bytes).replace(b"=\r\n", b""):
            found.append(f"outbound {row.kind} to {row.recipients}")
    for inbound in await InboundMessage.filter(sealed=False):
        if marker.encode() in bytes(inbound.raw_bytes):
            found.append(f"inbound {inbound.id}, {inbound.reason}")
        if marker in (inbound.reason or ""):
            found.append(f"inbound {inbound.id}'s reason")
    for model, name in ((AgendaItem, "agenda item"), (HelpNote, "help note"), (Task, "task")):
        if await model.filter(text__contains=marker).exists():
            found.append(name)
    return found


async def test_every_kind_s_replies_route_alike_and_private_ones_stay_sealed(
    app: AppContext,
) -> None:
    found = await world(app)
    problems: list[str] = []
    for kind, topic in cases():
        sent = await send(app, kind, topic, found)
        who = reader(kind, topic, found)
        marker = f"MARKER-{kind.name}-{topic.value}"
        body = f"{marker} my own thoughts on this"
        with_token = parse_message(reply_to(sent, sender=who.email, body=body))
        without = reply_to(sent, sender=who.email, body=body, use_token=False)
        async with transaction() as connection:
            by_address = await route(
                connection, app.secret, app.settings.service_address, with_token
            )
            by_thread = await route(
                connection, app.secret, app.settings.service_address, parse_message(without)
            )
        case = f"{kind.name} ({topic.name})"
        if (by_address.by, by_thread.by) != ("address", "thread"):
            problems.append(f"{case}: routed by {by_address.by} and {by_thread.by}")
        if by_address.token != by_thread.token or by_thread.token is None:
            problems.append(f"{case}: {by_address.token} by address, {by_thread.token} by thread")
            continue
        if by_thread.token.about != about(topic, found):
            problems.append(f"{case}: routed as {by_thread.token.about}")
        row = await InboundMessage.create(
            message_id=f"{marker}@example.org", raw_bytes=without, received_at=app.clock.now()
        )
        status = await process_inbound(app, row.id)
        stored = await InboundMessage.get(id=row.id)
        if status in (InboundStatus.FAILED, None):
            problems.append(f"{case}: {status}, {stored.reason}")
        if (stored.topic, stored.topic_ref) != (topic, about(topic, found).ref):
            problems.append(f"{case}: handled as {stored.topic} {stored.topic_ref}")
        if stored.sealed != topic.private:
            problems.append(f"{case}: stored {'sealed' if stored.sealed else 'in the clear'}")
        if topic.private:
            problems += [
                f"{case}: in the clear in {place}" for place in await clear_text_holding(marker)
            ]
            answers = await OutboundMessage.filter(created_at__gte=app.clock.now())
            told = [row.kind for row in answers if COORDINATOR in row.recipients]
            if told:
                problems.append(f"{case}: the coordinator got {told}")
    assert problems == []


async def test_mail_sent_before_topics_were_recorded_is_routed_by_what_it_was(
    tmp_path: Path,
) -> None:
    """The migration that began recording topics reads them once from the older rows."""
    url = f"sqlite://{tmp_path / 'older.sqlite3'}"
    from tortoise.migrations.api import migrate

    await migrate(config=db.tortoise_config(url), target="models.0015_digest_asked")
    await db.close()
    now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    await db.init(url, migrate_first=False)
    try:  # closed even when a row is refused: an open SQLite connection keeps pytest alive
        client = connections.get("default")
        # The rows as that schema holds them, written by hand: the models are today's, with
        # columns later migrations add.
        stamp = now.isoformat()
        await client.execute_query(
            'INSERT INTO "program" ("id","name","created_at","digest_hour","digest_weekday",'
            '"timezone") VALUES (1,?,?,16,4,?)',
            ["Older", stamp, "UTC"],
        )
        for number, name in ((1, "zoe"), (2, "sam")):
            await client.execute_query(
                'INSERT INTO "person" ("id","email","name","timezone","wants_receipts",'
                '"created_at","bounce_score") VALUES (?,?,?,?,0,?,0)',
                [number, f"{name}@example.org", name, "UTC", stamp],
            )
        await client.execute_query(
            'INSERT INTO "pairing" ("id","state","start_date","terms","terms_version","created_at",'
            '"updated_at","mentee_id","mentor_id","program_id","anchor_number") '
            "VALUES (1,?,?,?,1,?,?,2,1,1,0)",
            ["active", now.date().isoformat(), "{}", stamp, stamp],
        )
        older = [
            ("invite:meeting:7:seq:0:person:2", "invitation", 1, 2, 0),
            ("invite:meeting:8:seq:1:person:2", "invitation", 1, 2, 1),
            ("agenda_request:meeting:7:person:2", "agenda_request", 1, 2, 0),
            ("after_meeting:meeting:7:person:2", "after_meeting", 1, 2, 0),
            ("agreement_request:pairing:1:v3:person:2", "agreement_request", 1, 2, 0),
            ("task_overdue:task:5:week1", "task_overdue", 1, 2, 0),
            ("performance_followup_draft:conversation:4:v2", "performance_followup_draft", 1, 1, 1),
            ("reevaluation:pairing:1:person:2", "reevaluation", 1, 2, 0),
            ("refusal:x@example.org:tampered:2026-11-23", "refusal", None, None, 0),
        ]
        for key, kind, pairing_id, person_id, sealed in older:
            await client.execute_query(
                'INSERT INTO "outbound_message" ("dedupe_key","kind","pairing_id","person_id",'
                '"message_id","mail_from","recipients","raw","sealed","status","attempts",'
                '"not_before","created_at") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
                [
                    key,
                    kind,
                    pairing_id,
                    person_id,
                    f"{key}@m.example",
                    "m@m.example",
                    '["s@u.example"]',
                    b"x",
                    sealed,
                    "sent",
                    1,
                    now.isoformat(),
                    now.isoformat(),
                ],
            )
    finally:
        await db.close()
    await db.migrate(url)
    await db.init(url, migrate_first=False)
    try:
        rows = {
            row.dedupe_key: (row.topic, row.topic_ref, row.replies_private)
            for row in await OutboundMessage.all()
        }
    finally:
        await db.close()
    assert rows == {
        "invite:meeting:7:seq:0:person:2": (Topic.MEETING, 7, False),
        "invite:meeting:8:seq:1:person:2": (Topic.PRIVATE_MEETING, 8, True),
        "agenda_request:meeting:7:person:2": (Topic.AGENDA, 7, False),
        "after_meeting:meeting:7:person:2": (Topic.AFTER_MEETING, 7, True),
        "agreement_request:pairing:1:v3:person:2": (Topic.AGREEMENT, 3, False),
        "task_overdue:task:5:week1": (Topic.TASK, 5, False),
        "performance_followup_draft:conversation:4:v2": (Topic.PERFORMANCE_DRAFT, 4, True),
        "reevaluation:pairing:1:person:2": (Topic.REEVALUATION, 1, False),
        "refusal:x@example.org:tampered:2026-11-23": (None, None, False),
    }
