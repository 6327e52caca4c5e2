"""The statements written as SQL read and write exactly what the ORM reads and writes, on
SQLite and PostgreSQL: the same model objects, every column converted the same way and
stored as the ORM stores it; and the tables they list are the models' own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tortoise import connections, fields
from tortoise.fields.data import CharEnumFieldInstance
from tortoise.models import Model

from service.app import AppContext
from service.mail.kinds import Topic
from service.storage import statements, tables
from service.storage.db import transaction
from service.storage.models import (
    AgendaItem,
    InboundMessage,
    InboundStatus,
    MailStopped,
    Meeting,
    OutboundMessage,
    OutboundStatus,
    Pairing,
    PairingState,
    Person,
    Program,
    Task,
)

NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


def values(row: Model) -> dict[str, Any]:
    """Every column of a row, as its model object holds it (foreign keys by id)."""
    meta = row._meta
    names = [meta.fields_db_projection_reverse[c] for c in meta.db_fields] + [
        f"{name}_id" for name in meta.fk_fields
    ]
    return {name: getattr(row, name) for name in names}


def exact(found: dict[str, Any]) -> dict[str, tuple[Any, Any, Any]]:
    """Each value with its type and a datetime's zone: an equal value of another type (1 and
    True), or the same instant in another zone object, would pass `==`."""
    return {name: (type(v), v, getattr(v, "tzinfo", None)) for name, v in found.items()}


async def kept(table: str, row_id: int) -> dict[str, tuple[type, Any]]:
    """A row as the database keeps it (SQLite's text for a datetime), each value with its
    type, but its id."""
    connection = connections.get("default")
    mark = "$1" if connection.capabilities.dialect == "postgres" else "?"
    _, rows = await connection.execute_query(f'SELECT * FROM "{table}" WHERE "id"={mark}', [row_id])
    return {k: (type(v), v) for k, v in dict(rows[0]).items() if k != "id"}


# What converts each kind of the models' fields, as `tables` lists them; None: nothing.
CONVERSIONS = {
    fields.DatetimeField: tables.WHEN,
    fields.DateField: tables.DAY,
    fields.JSONField: tables.JSON,
    fields.BooleanField: tables.FLAG,
    fields.IntField: None,
    fields.BigIntField: None,
    fields.FloatField: None,
    fields.CharField: None,
    fields.TextField: None,
    fields.BinaryField: None,
}


@pytest.mark.parametrize("table", list(tables.TABLES.values()), ids=lambda t: t.name)
async def test_each_table_listed_is_its_model_column_by_column(
    app: AppContext, table: tables.Table[Any]
) -> None:
    meta = table.model._meta
    assert table.name == meta.db_table
    assert {c.field: c.name for c in table.columns} == meta.fields_db_projection
    for column in table.columns:
        field = meta.fields_map[column.field]
        if isinstance(field, CharEnumFieldInstance):
            assert isinstance(column.kind, CharEnumFieldInstance), column
            assert column.kind.enum_type is field.enum_type, column
        else:
            assert column.kind is CONVERSIONS[type(field)], column


async def pair() -> tuple[Program, Person, Person, Pairing]:
    program = await Program.create(name="Hematology Ω", timezone="Europe/Berlin", created_at=NOW)
    mentor = await Person.create(
        name="Dr. Søren Ødegård",
        email="mentor@hospital.example",
        timezone="America/New_York",
        bounce_score=0.5,
        bounce_scored_on=date(2027, 2, 27),
        mail_disabled_at=NOW - timedelta(days=1, microseconds=250),
        mail_stopped=MailStopped.BOUNCES,
        created_at=NOW,
    )
    mentee = await Person.create(
        name="Zoë", email="mentee@uni.example", timezone="Asia/Tokyo", created_at=NOW
    )
    pairing = await Pairing.create(
        program=program,
        mentor=mentor,
        mentee=mentee,
        state=PairingState.REEVALUATING,
        start_date=date(2027, 1, 4),
        terms={"frequency": "every 2 weeks", "goals": ["write — the review"]},
        anchor_day=date(2027, 1, 4),
        plan_at=NOW + timedelta(hours=3),
        signed_at=NOW - timedelta(days=50),
        created_at=NOW,
        updated_at=NOW,
    )
    return program, mentor, mentee, pairing


async def meeting(pairing: Pairing, number: int, starts: datetime, **more: Any) -> Meeting:
    return await Meeting.create(
        pairing=pairing,
        number=number,
        uid=f"m{number}@test.example",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        tzid="America/New_York",
        created_at=NOW,
        **more,
    )


async def test_rows_read_by_sql_are_the_objects_the_orm_reads(app: AppContext) -> None:
    program, mentor, _, pairing = await pair()
    async with transaction() as connection:
        person = await statements.person(connection, mentor.id)
        locked = await statements.pairing_for_update(connection, pairing.id)
        missing = await statements.person(connection, 999_999)
        gone = await statements.pairing_for_update(connection, 999_999)
    assert person is not None and locked is not None
    assert exact(values(person)) == exact(values(await Person.get(id=mentor.id)))
    assert exact(values(locked)) == exact(values(await Pairing.get(id=pairing.id)))
    assert exact(values(locked.program)) == exact(values(await Program.get(id=program.id)))
    assert locked.state is PairingState.REEVALUATING
    assert locked.terms["goals"] == ["write — the review"]
    assert missing is None and gone is None
    # What was read is saved as the row it came from, as the ORM's own objects are.
    person.name, locked.closing_path = "Søren", "participant"
    await person.save()
    await locked.save(update_fields=["closing_path"])
    assert (await Person.get(id=mentor.id)).name == "Søren"
    assert (await Pairing.get(id=pairing.id)).closing_path == "participant"
    assert (await Person.all().count(), await Pairing.all().count()) == (2, 1)

    _, _, ana, other = await pair_again(mentor)
    async with transaction() as connection:
        read = await statements.pairings_with_cast(connection, [other.id, 999_999, pairing.id])
        assert await statements.pairings_with_cast(connection, []) == []
    assert [p.id for p in read] == [pairing.id, other.id]
    for found, mentee in zip(
        read, (await Person.get(email="mentee@uni.example"), ana), strict=True
    ):
        assert exact(values(found)) == exact(values(await Pairing.get(id=found.id)))
        assert exact(values(found.program)) == exact(values(await Program.get(id=program.id)))
        assert exact(values(found.mentor)) == exact(values(await Person.get(id=mentor.id)))
        assert exact(values(found.mentee)) == exact(values(await Person.get(id=mentee.id)))


async def test_action_items_are_numbered_on_from_the_highest(app: AppContext) -> None:
    _, mentor, mentee, pairing = await pair()
    async with transaction() as connection:
        assert await statements.last_task_number(connection, pairing.id) == 0
    for number in (1, 7):
        await Task.create(pairing=pairing, owner=mentee, number=number, text="x", created_at=NOW)
    _, _, _, other = await pair_again(mentor)
    await Task.create(pairing=other, owner=mentor, number=12, text="y", created_at=NOW)
    async with transaction() as connection:
        assert await statements.last_task_number(connection, pairing.id) == 7


async def pair_again(mentor: Person) -> tuple[Program, Person, Person, Pairing]:
    """A second pairing of the same mentor, with a mentee of its own."""
    mentee = await Person.create(
        name="Ana", email="ana@uni.example", timezone="UTC", created_at=NOW
    )
    program = await Program.get(name="Hematology Ω")
    other = await Pairing.create(
        program=program,
        mentor=mentor,
        mentee=mentee,
        start_date=date(2027, 1, 4),
        terms={},
        created_at=NOW,
        updated_at=NOW,
    )
    return program, mentor, mentee, other


async def test_topics_go_to_the_meeting_named_while_it_is_ahead_else_the_next(
    app: AppContext,
) -> None:
    _, _, mentee, pairing = await pair()
    past = await meeting(pairing, 1, NOW - timedelta(days=3))
    private = await meeting(pairing, -1, NOW + timedelta(days=1), private=True)
    cancelled = await meeting(pairing, 2, NOW + timedelta(days=2), cancelled=True)
    after = await meeting(pairing, 4, NOW + timedelta(days=30))
    following = await meeting(pairing, 3, NOW + timedelta(days=16))
    async with transaction() as connection:
        found = {
            named: await statements.upcoming_meeting(connection, pairing.id, NOW, named)
            for named in (None, past.id, private.id, cancelled.id, after.id)
        }
    assert {named: m.id if m else None for named, m in found.items()} == {
        None: following.id,
        past.id: following.id,  # over: the next one
        private.id: private.id,  # named and ahead, private or not
        cancelled.id: following.id,
        after.id: after.id,
    }
    chosen = found[None]
    assert chosen is not None
    assert exact(values(chosen)) == exact(values(await Meeting.get(id=following.id)))
    async with transaction() as connection:
        # Exactly now is no longer ahead.
        assert await statements.upcoming_meeting(
            connection, pairing.id, following.starts_at, following.id
        ) == await Meeting.get(id=after.id)
        await statements.add_agenda_items(
            connection, following.id, mentee.id, ["budget", "Budget", "budget"], NOW
        )
        await statements.add_agenda_items(connection, following.id, mentee.id, ["budget"], NOW)
        await statements.add_agenda_items(connection, following.id, mentee.id, [], NOW)
    items = await AgendaItem.filter(meeting_id=following.id).order_by("id")
    assert [(i.text, i.author_id, i.created_at) for i in items] == [
        ("budget", mentee.id, NOW),
        ("Budget", mentee.id, NOW),
    ]
    twin = await AgendaItem.create(meeting=following, author=mentee, text="twin", created_at=NOW)
    by_orm = await kept("agenda_item", twin.id)
    assert (await kept("agenda_item", items[0].id))["created_at"] == by_orm["created_at"]


async def test_an_update_by_sql_stores_what_the_orm_reads_back(app: AppContext) -> None:
    _, mentor, _, pairing = await pair()
    row = await InboundMessage.create(
        message_id="<a@b.example>", raw_bytes=b"raw", received_at=NOW, source_key="1:2"
    )
    twin = await InboundMessage.create(
        message_id="<twin@b.example>", raw_bytes=b"raw", received_at=NOW, source_key="1:2"
    )
    later = NOW + timedelta(minutes=5, microseconds=7)
    changes: dict[str, Any] = {
        "status": InboundStatus.PROCESSED,
        "processed_at": later,
        "kind": "reply",
        "reason": None,
        "from_addr": "mentor@hospital.example",
        "person_id": mentor.id,
        "pairing_id": pairing.id,
        "raw_bytes": b"\x00sealed\xff",
        "sealed": True,
    }
    async with transaction() as connection:
        changed = await statements.update(connection, InboundMessage, row.id, changes)
        with pytest.raises(KeyError, match="no field 'colour'"):
            await statements.update(connection, InboundMessage, row.id, {"colour": "red"})
    assert changed == 1
    stored = await InboundMessage.get(id=row.id)
    assert values(stored) == {
        **values(row),
        "status": InboundStatus.PROCESSED,
        "processed_at": later,
        "kind": "reply",
        "from_addr": "mentor@hospital.example",
        "person_id": mentor.id,
        "pairing_id": pairing.id,
        "raw_bytes": b"\x00sealed\xff",
        "sealed": True,
    }
    assert stored.status is InboundStatus.PROCESSED
    # Stored as the ORM stores the same changes, column by column.
    for name, value in changes.items():
        setattr(twin, name, value)
    await twin.save()
    by_sql, by_orm = await kept("inbound_message", row.id), await kept("inbound_message", twin.id)
    assert {**by_sql, "message_id": None} == {**by_orm, "message_id": None}


async def outbox_row(key: str, due: datetime, **more: Any) -> OutboundMessage:
    return await OutboundMessage.create(
        dedupe_key=key,
        kind="invitation",
        message_id=f"{key}@test.example",
        mail_from="service@test.example",
        recipients=[f"{key}@uni.example", "Zoë <z@uni.example>"],
        raw_bytes=f"Subject: {key}\r\n\r\nbody\r\n".encode(),
        not_before=due,
        created_at=NOW,
        **more,
    )


async def test_a_claim_takes_due_unclaimed_rows_in_order_and_no_one_elses(
    app: AppContext,
) -> None:
    later = await outbox_row("later", NOW - timedelta(minutes=1), attempts=2)
    first = await outbox_row("first", NOW - timedelta(hours=1), sealed=True)
    await outbox_row("future", NOW + timedelta(seconds=1))
    await outbox_row("sent", NOW - timedelta(hours=2), status=OutboundStatus.SENT)
    await outbox_row("held", NOW - timedelta(hours=3), claimed_until=NOW + timedelta(minutes=1))
    lapsed = await outbox_row(
        "lapsed", NOW - timedelta(hours=4), claimed_until=NOW - timedelta(seconds=1)
    )
    connection = connections.get("default")
    until = NOW + timedelta(minutes=10)
    taken = await statements.claim_outbound(connection, NOW, until, "a" * 32, 2)
    assert taken == [
        (
            lapsed.id,
            "invitation",
            "service@test.example",
            ["lapsed@uni.example", "Zoë <z@uni.example>"],
            b"Subject: lapsed\r\n\r\nbody\r\n",
            False,
            0,
        ),
        (
            first.id,
            "invitation",
            "service@test.example",
            ["first@uni.example", "Zoë <z@uni.example>"],
            b"Subject: first\r\n\r\nbody\r\n",
            True,
            0,
        ),
    ]
    assert [tuple(map(type, row)) for row in taken] == [(int, str, str, list, bytes, bool, int)] * 2
    rest = await statements.claim_outbound(connection, NOW, until, "b" * 32, 10)
    assert [(row[0], row[6]) for row in rest] == [(later.id, 2)]
    assert await statements.claim_outbound(connection, NOW, until, "c" * 32, 10) == []
    claimed = await OutboundMessage.filter(claim_token="a" * 32).order_by("id")
    assert [(r.id, r.claimed_until) for r in claimed] == [(first.id, until), (lapsed.id, until)]

    sent_at = NOW + timedelta(seconds=30)
    await statements.mark_sent(connection, [first.id, later.id], sent_at)
    marked = {r.id: r for r in await OutboundMessage.filter(id__in=[first.id, later.id])}
    assert [
        (r.status, r.sent_at, r.attempts, r.claimed_until)
        for r in (marked[first.id], marked[later.id])
    ] == [
        (OutboundStatus.SENT, sent_at, 1, None),
        (OutboundStatus.SENT, sent_at, 3, None),
    ]
    # The times are stored as the ORM stores them.
    twin = await outbox_row("twin", NOW + timedelta(days=1), claimed_until=until, sent_at=sent_at)
    by_orm = await kept("outbound_message", twin.id)
    assert (await kept("outbound_message", lapsed.id))["claimed_until"] == by_orm["claimed_until"]
    assert (await kept("outbound_message", first.id))["sent_at"] == by_orm["sent_at"]


async def test_rows_inserted_by_sql_are_what_the_orm_reads(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, mentor, _, pairing = await pair()
    rows = [
        {
            "dedupe_key": f"k{n}",
            "kind": "agenda",
            "pairing_id": pairing.id if n % 2 else None,
            "person_id": mentor.id,
            "message_id": f"m{n}@test.example",
            "mail_from": "service@test.example",
            "recipients": [f"p{n}@uni.example", "Zoë <z@uni.example>"],
            "topic": Topic.AGENDA if n % 2 else None,
            "topic_ref": n if n % 2 else None,
            "replies_private": n % 4 == 1,
            "raw_bytes": bytes([0, n, 255]),
            "sealed": n % 3 == 0,
            "not_before": NOW + timedelta(minutes=n, microseconds=n),
            "created_at": NOW,
            "status": OutboundStatus.PENDING,
            "attempts": n,
        }
        for n in range(7)
    ]
    # Three statements of three, three and one rows.
    monkeypatch.setattr(statements, "MAX_VALUES", 3 * len(rows[0]) + 1)
    async with transaction() as connection:
        await statements.insert(connection, OutboundMessage, rows)
        await statements.insert(connection, OutboundMessage, [])
    stored = await OutboundMessage.all().order_by("id")
    assert [{name: getattr(row, name) for name in rows[0]} for row in stored] == rows
    assert all(row.claimed_until is None and row.sent_at is None for row in stored)
    # Stored as the ORM stores the same rows, column by column.
    unique = {"dedupe_key": None, "message_id": None}
    for row, mine in zip(rows, stored, strict=True):
        twin = await OutboundMessage.create(
            **{**row, "dedupe_key": f"orm-{row['dedupe_key']}", "message_id": f"orm-{mine.id}"}
        )
        by_sql, by_orm = (
            await kept("outbound_message", mine.id),
            await kept("outbound_message", twin.id),
        )
        assert {**by_sql, **unique} == {**by_orm, **unique}
