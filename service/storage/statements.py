"""The statements every reply and every send runs, as SQL kept once per dialect.

The ORM builds a statement's SQL anew on every call: reading a row by its id costs about
0.09 ms of CPU that way, where the database answers in under 0.01 ms. A reply reads its
person, its pairing and its meeting, numbers its action item and records itself, one
statement each; the sender claims its rows and marks them sent. Here each of those is SQL
written once and run through the ORM's public `execute_query` with its values. The columns
and their conversions are listed in `tables.py`: values are written and read as the ORM
writes and reads them. Rows a caller changes and saves become the model objects the ORM
would make (`Model.construct`); the sender's claim comes back as plain rows. Placeholders
are written `?` and numbered for PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from service.storage.models import Meeting, OutboundStatus, Pairing, Person
from service.storage.tables import (
    JSON,
    MEETING,
    PAIRING,
    PERSON,
    PROGRAM,
    WHEN,
    Table,
    table_of,
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
def _select(table: Table[Any]) -> str:
    """`SELECT <every column> FROM <table>`."""
    listed = ",".join(f'"{column.name}"' for column in table.columns)
    return f'SELECT {listed} FROM "{table.name}"'


async def _models(
    connection: BaseDBAsyncClient, table: Table[M], where: str, values: Sequence[Any]
) -> list[M]:
    rows = await _rows(connection, f"{_select(table)} WHERE {where}", values)
    return [table.make(row) for row in rows]


def _when(value: datetime) -> Any:
    return WHEN.to_db_value(value, Model)


async def person(connection: BaseDBAsyncClient, person_id: int) -> Person | None:
    found = await _models(connection, PERSON, '"id"=? LIMIT 1', (person_id,))
    return found[0] if found else None


# What a pairing is read with: (attribute, table), joined by `<attribute>_id` under the
# attribute's name.
PROGRAM_ONLY: tuple[tuple[str, Table[Any]], ...] = (("program", PROGRAM),)
CAST: tuple[tuple[str, Table[Any]], ...] = (*PROGRAM_ONLY, ("mentor", PERSON), ("mentee", PERSON))


@cache
def _pairings_with(dialect: str, related: tuple[tuple[str, Table[Any]], ...], where: str) -> str:
    selected = [f'"pairing"."{column.name}"' for column in PAIRING.columns]
    joins = []
    for name, table in related:
        selected += [f'"{name}"."{column.name}" "{name}.{column.name}"' for column in table.columns]
        joins.append(f'JOIN "{table.name}" "{name}" ON "{name}"."id"="pairing"."{name}_id"')
    return _dialect_sql(
        dialect, f'SELECT {",".join(selected)} FROM "pairing" {" ".join(joins)} WHERE {where}'
    )


async def _pairings(
    connection: BaseDBAsyncClient,
    related: tuple[tuple[str, Table[Any]], ...],
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
        named: dict[str, Model] = {}
        for name, table in related:
            key = (table.name, row[f"{name}.id"])
            other = made.get(key)
            if other is None:
                other = made[key] = table.make(row, f"{name}.")
            named[name] = other
        found.append(PAIRING.make(row, related=named))
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
    found = await _pairings(
        connection, PROGRAM_ONLY, f'"pairing"."id"=? LIMIT 1{lock}', (pairing_id,)
    )
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
    values: tuple[Any, ...] = (pairing_id, False, _when(now))
    if meeting_id is not None:
        named = await _models(
            connection, MEETING, f'{ahead} AND "id"=? LIMIT 1', (*values, meeting_id)
        )
        if named:
            return named[0]
    found = await _models(
        connection,
        MEETING,
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
    created = _when(now)
    await _run(
        connection,
        'INSERT INTO "agenda_item" ("text","created_at","author_id","meeting_id") VALUES '
        + ",".join(["(?,?,?,?)"] * len(texts))
        + " ON CONFLICT DO NOTHING",
        [value for text in texts for value in (text, created, author_id, meeting_id)],
    )


async def update(
    connection: BaseDBAsyncClient, model: type[Model], row_id: int, changes: Mapping[str, Any]
) -> int:
    """Set fields of one row by its id; `changes` names fields, or foreign keys' `…_id`."""
    table = table_of(model)
    columns = [table.column(name) for name in changes]
    values = [
        table.to_db(column, value) for column, value in zip(columns, changes.values(), strict=True)
    ]
    assignments = ",".join(f'"{column.name}"=?' for column in columns)
    return await _run(
        connection, f'UPDATE "{table.name}" SET {assignments} WHERE "id"=?', [*values, row_id]
    )


_UNCLAIMED = '("claimed_until" IS NULL OR "claimed_until"<?)'


class ClaimedRow(NamedTuple):
    """What sending an outbox row needs, read without the rest of it."""

    id: int
    kind: str
    mail_from: str
    recipients: list[str]
    raw: bytes
    sealed: bool
    attempts: int


async def claim_outbound(
    connection: BaseDBAsyncClient, now: datetime, until: datetime, token: str, limit: int
) -> list[ClaimedRow]:
    """Claim up to `limit` due, unclaimed outbox rows until `until` under `token`, and return
    each this claim took, in the order they fell due. The conditions are checked again by
    the claiming UPDATE, so a row another worker took in the meantime is left out."""
    pending = OutboundStatus.PENDING.value
    at = _when(now)
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
        (_when(until), token, *candidates, pending, at),
    )
    return [
        ClaimedRow(
            int(row["id"]),
            str(row["kind"]),
            str(row["mail_from"]),
            list(JSON.to_python_value(row["recipients"])),
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
        (OutboundStatus.SENT.value, _when(now), *ids),
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
    table = table_of(model)
    columns = [table.column(name) for name in rows[0]]
    values = [
        [table.to_db(column, value) for column, value in zip(columns, row.values(), strict=True)]
        for row in rows
    ]
    listed = ",".join(f'"{column.name}"' for column in columns)
    slots = "(" + ",".join("?" * len(columns)) + ")"
    step = MAX_VALUES // len(columns)
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        await _run(
            connection,
            f'INSERT INTO "{table.name}" ({listed}) VALUES ' + ",".join([slots] * len(chunk)),
            [value for row in chunk for value in row],
        )
