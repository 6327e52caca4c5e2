"""The migrated database has every index the models declare, on SQLite and PostgreSQL: the
tick finds what is due through them."""

from __future__ import annotations

import re

from tortoise import Tortoise, connections

from service.app import AppContext


def declared() -> list[tuple[str, tuple[str, ...]]]:
    """(table, leading columns) of each index the models ask for, keys and unique fields
    aside (those are indexed by their constraint)."""
    wanted = []
    for models in Tortoise.apps.values():
        for model in models.values():
            meta = model._meta
            for name in meta.db_fields:
                field = meta.fields_map[meta.fields_db_projection_reverse[name]]
                if field.index and not field.pk and not field.unique:
                    wanted.append((meta.db_table, (name,)))
            for index in meta.indexes:
                wanted.append((meta.db_table, tuple(index)))
    return wanted


async def existing(table: str) -> list[tuple[str, ...]]:
    """The columns of each index on `table`, in order."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "sqlite":
        found = []
        for index in await connection.execute_query_dict(f"PRAGMA index_list('{table}')"):
            columns = await connection.execute_query_dict(f"PRAGMA index_info('{index['name']}')")
            found.append(tuple(str(c["name"]) for c in columns))
        return found
    rows = await connection.execute_query_dict(
        "SELECT indexdef FROM pg_indexes WHERE tablename = $1", [table]
    )
    found = []
    for row in rows:
        columns = re.search(r"\((.*)\)", str(row["indexdef"]))
        if columns:
            found.append(tuple(c.strip().strip('"') for c in columns.group(1).split(",")))
    return found


async def test_every_declared_index_exists(app: AppContext) -> None:
    wanted = declared()
    assert ("pairing", ("plan_at",)) in wanted and ("meeting", ("prompt_at",)) in wanted
    missing = [
        (table, columns)
        for table, columns in wanted
        if not any(have[: len(columns)] == columns for have in await existing(table))
    ]
    assert not missing
