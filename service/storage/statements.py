"""The statements every reply and every send runs, as SQL kept once per dialect.

The ORM builds a statement's SQL anew on every call: reading a row by its id costs about
0.09 ms of CPU that way, where the database answers in under 0.01 ms. A reply reads its
person, its pairing and its meeting, numbers its action item and records itself, one
statement each; the sender claims its rows and marks them sent. Here each of those is SQL
written once, run with its values, and its rows made into the same model objects the ORM
makes (`Model._init_from_db`, which converts each column as the ORM does). Values are
written as the ORM writes them (`Field.to_db_value`). Placeholders are written `?` and
numbered for PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from service.storage.models import (
    AgendaItem,
    Meeting,
    OutboundMessage,
    OutboundStatus,
    Pairing,
    Person,
    Program,
)

M = TypeVar("M", bound=Model)


@cache
def _dialect_sql(dialect: str, sql: str) -> str:
    """`sql` with its `?` placeholders as `dialect` wants them."""
    if dialect != "postgres":
        return sql
    parts = sql.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]


async def _rows(connection: BaseDBAsyncClient, sql: str, values: Sequence[Any]) -> list[Any]:
    _, rows = await connection.execute_query(
        _dialect_sql(connection.capabilities.dialect, sql), list(values)
    )
    return list(rows)


async def _run(connection: BaseDBAsyncClient, sql: str, values: Sequence[Any]) -> int:
    count, _ = await connection.execute_query(
        _dialect_sql(connection.capabilities.dialect, sql), list(values)
    )
    return int(count)


@cache
def _columns(model: type[Model]) -> tuple[str, ...]:
    """Every column of the model's table, as the ORM selects them (foreign keys' included)."""
    select = str(model._meta.basequery_all_fields)
    listed = select[len("SELECT ") : select.index(" FROM ")]
    return tuple(column.strip().strip('"') for column in listed.split(","))


@cache
def _select(model: type[Model]) -> str:
    """`SELECT <every column> FROM <table>`, the ORM's own."""
    return str(model._meta.basequery_all_fields)


async def _models(
    connection: BaseDBAsyncClient, model: type[M], where: str, values: Sequence[Any]
) -> list[M]:
    rows = await _rows(connection, f"{_select(model)} WHERE {where}", values)
    return [model._init_from_db(**row) for row in rows]


async def person(connection: BaseDBAsyncClient, person_id: int) -> Person | None:
    found = await _models(connection, Person, '"id"=? LIMIT 1', (person_id,))
    return found[0] if found else None


# What a pairing is read with: (attribute, model), joined by `<attribute>_id` under the
# attribute's name.
PROGRAM: tuple[tuple[str, type[Model]], ...] = (("program", Program),)
CAST: tuple[tuple[str, type[Model]], ...] = (*PROGRAM, ("mentor", Person), ("mentee", Person))


@cache
def _pairings_with(dialect: str, related: tuple[tuple[str, type[Model]], ...], where: str) -> str:
    selected = [f'"pairing"."{column}"' for column in _columns(Pairing)]
    joins = []
    for name, model in related:
        selected += [f'"{name}"."{column}" "{name}.{column}"' for column in _columns(model)]
        joins.append(
            f'JOIN "{model._meta.db_table}" "{name}" ON "{name}"."id"="pairing"."{name}_id"'
        )
    return _dialect_sql(
        dialect, f'SELECT {",".join(selected)} FROM "pairing" {" ".join(joins)} WHERE {where}'
    )


async def _pairings(
    connection: BaseDBAsyncClient,
    related: tuple[tuple[str, type[Model]], ...],
    where: str,
    values: Sequence[Any],
) -> list[Pairing]:
    """Pairings with the rows they name, made as the ORM's `select_related` makes them,
    except that a row several of them name (their program, a mentor of two) is made once
    and shared."""
    sql = _pairings_with(connection.capabilities.dialect, related, where)
    _, rows = await connection.execute_query(sql, list(values))
    found = []
    made: dict[tuple[str, Any], Model] = {}
    for row in rows:
        items = list(dict(row).items())
        end = len(_columns(Pairing))
        pairing = Pairing._init_from_db(**dict(items[:end]))
        for name, model in related:
            start, end = end, end + len(_columns(model))
            key = (model._meta.db_table, row[f"{name}.id"])
            other = made.get(key)
            if other is None:
                columns = {k.partition(".")[2]: v for k, v in items[start:end]}
                other = made[key] = model._init_from_db(**columns)
            object.__setattr__(pairing, f"_{name}", other)
        found.append(pairing)
    return found


async def pairings_with_cast(connection: BaseDBAsyncClient, ids: Sequence[int]) -> list[Pairing]:
    """The pairings, in id order, each with its program, mentor and mentee."""
    if not ids:
        return []
    where = f'"pairing"."id" IN ({",".join("?" * len(ids))}) ORDER BY "pairing"."id"'
    return await _pairings(connection, CAST, where, ids)


async def pairing_for_update(connection: BaseDBAsyncClient, pairing_id: int) -> Pairing | None:
    """The pairing with its program, its row locked until the transaction ends (PostgreSQL;
    SQLite's writers take turns anyway). The program's row is not locked: every reply
    reads it."""
    lock = ' FOR UPDATE OF "pairing"' if connection.capabilities.dialect == "postgres" else ""
    found = await _pairings(connection, PROGRAM, f'"pairing"."id"=? LIMIT 1{lock}', (pairing_id,))
    return found[0] if found else None


async def last_task_number(connection: BaseDBAsyncClient, pairing_id: int) -> int:
    """The highest action item number the pairing has used, 0 before its first."""
    rows = await _rows(
        connection, 'SELECT MAX("number") "number" FROM "task" WHERE "pairing_id"=?', (pairing_id,)
    )
    return int(rows[0]["number"] or 0) if rows else 0


async def upcoming_meeting(
    connection: BaseDBAsyncClient, pairing_id: int, now: datetime, meeting_id: int | None
) -> Meeting | None:
    """The meeting a reply's topics are for: the one the email was about while it is ahead
    and not cancelled, else the pairing's next such meeting that is not private."""
    ahead = '"pairing_id"=? AND "cancelled"=? AND "starts_at">?'
    values: tuple[Any, ...] = (pairing_id, False, _db(Meeting, "starts_at", now))
    if meeting_id is not None:
        named = await _models(
            connection, Meeting, f'{ahead} AND "id"=? LIMIT 1', (*values, meeting_id)
        )
        if named:
            return named[0]
    found = await _models(
        connection,
        Meeting,
        f'{ahead} AND "private"=? ORDER BY "starts_at" LIMIT 1',
        (*values, False),
    )
    return found[0] if found else None


async def add_agenda_items(
    connection: BaseDBAsyncClient,
    meeting_id: int,
    author_id: int,
    texts: Iterable[str],
    now: datetime,
) -> None:
    """The topics on the meeting's agenda, in one statement; one already there stays as it was."""
    texts = list(dict.fromkeys(texts))
    if not texts:
        return
    created = _db(AgendaItem, "created_at", now)
    await _run(
        connection,
        'INSERT INTO "agenda_item" ("text","created_at","author_id","meeting_id") VALUES '
        + ",".join(["(?,?,?,?)"] * len(texts))
        + " ON CONFLICT DO NOTHING",
        [value for text in texts for value in (text, created, author_id, meeting_id)],
    )


def _column(model: type[Model], name: str) -> str:
    """The column of a field, or of a foreign key named by its `…_id`."""
    if name in model._meta.fields_db_projection:
        return model._meta.fields_db_projection[name]
    if name.endswith("_id") and name[:-3] in model._meta.fk_fields:
        return name
    raise KeyError(f"{model.__name__} has no field {name!r}")


def _db(model: type[Model], field: str, value: Any) -> Any:
    return model._meta.fields_map[field].to_db_value(value, model)


async def update(
    connection: BaseDBAsyncClient, model: type[Model], row_id: int, changes: Mapping[str, Any]
) -> int:
    """Set fields of one row by its id; `changes` names fields, or foreign keys' `…_id`."""
    columns = [_column(model, name) for name in changes]
    projection = model._meta.fields_db_projection
    values = [
        _db(model, name, value) if name in projection else value for name, value in changes.items()
    ]
    assignments = ",".join(f'"{column}"=?' for column in columns)
    return await _run(
        connection,
        f'UPDATE "{model._meta.db_table}" SET {assignments} WHERE "id"=?',
        [*values, row_id],
    )


_UNCLAIMED = '("claimed_until" IS NULL OR "claimed_until"<?)'


async def claim_outbound(
    connection: BaseDBAsyncClient, now: datetime, until: datetime, token: str, limit: int
) -> list[tuple[int, str, str, list[str], bytes, bool, int]]:
    """Claim up to `limit` due, unclaimed outbox rows until `until` under `token`: (id, kind,
    mail_from, recipients, raw bytes, sealed, attempts) of each this claim took, in the
    order they fell due. The conditions are checked again by the claiming UPDATE, so a row
    another worker took in the meantime is left out."""
    pending = OutboundStatus.PENDING.value
    at = _db(OutboundMessage, "not_before", now)
    candidates = [
        int(row["id"])
        for row in await _rows(
            connection,
            'SELECT "id" FROM "outbound_message" WHERE "status"=? AND "not_before"<=? AND '
            f'{_UNCLAIMED} ORDER BY "not_before","id" LIMIT ?',
            (pending, at, at, limit),
        )
    ]
    if not candidates:
        return []
    listed = ",".join("?" * len(candidates))
    await _run(
        connection,
        f'UPDATE "outbound_message" SET "claimed_until"=?,"claim_token"=? WHERE "id" IN '
        f'({listed}) AND "status"=? AND {_UNCLAIMED}',
        (_db(OutboundMessage, "claimed_until", until), token, *candidates, pending, at),
    )
    recipients = OutboundMessage._meta.fields_map["recipients"]
    return [
        (
            int(row["id"]),
            str(row["kind"]),
            str(row["mail_from"]),
            list(recipients.to_python_value(row["recipients"])),
            bytes(row["raw"]),
            bool(row["sealed"]),
            int(row["attempts"]),
        )
        for row in await _rows(
            connection,
            'SELECT "id","kind","mail_from","recipients","raw","sealed","attempts" FROM '
            f'"outbound_message" WHERE "claim_token"=? AND "id" IN ({listed}) '
            'ORDER BY "not_before","id"',
            (token, *candidates),
        )
    ]


async def mark_sent(connection: BaseDBAsyncClient, ids: Sequence[int], now: datetime) -> None:
    """The rows handed over: sent now, one more attempt, no longer claimed."""
    await _run(
        connection,
        'UPDATE "outbound_message" SET "status"=?,"sent_at"=?,"attempts"="attempts"+1,'
        f'"claimed_until"=NULL WHERE "id" IN ({",".join("?" * len(ids))})',
        (OutboundStatus.SENT.value, _db(OutboundMessage, "sent_at", now), *ids),
    )


# Values in one statement at most: both databases take a little over 32,000.
MAX_VALUES = 30_000


async def insert(
    connection: BaseDBAsyncClient, model: type[Model], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Rows of the same fields (as `update` names them), as few statements as the databases
    take (one, unless thousands); their ids are not read back."""
    if not rows:
        return
    names = list(rows[0])
    columns = [_column(model, name) for name in names]
    fields = [
        model._meta.fields_map.get(name) if name in model._meta.fields_db_projection else None
        for name in names
    ]
    values = [
        [
            value if field is None else field.to_db_value(value, model)
            for field, value in zip(fields, row.values(), strict=True)
        ]
        for row in rows
    ]
    listed = ",".join(f'"{column}"' for column in columns)
    slots = "(" + ",".join("?" * len(columns)) + ")"
    step = MAX_VALUES // len(columns)
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        await _run(
            connection,
            f'INSERT INTO "{model._meta.db_table}" ({listed}) VALUES '
            + ",".join([slots] * len(chunk)),
            [value for row in chunk for value in row],
        )
