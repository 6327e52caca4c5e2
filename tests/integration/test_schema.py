"""The migrated database has every index and unique constraint the models declare, on SQLite
and PostgreSQL: the tick finds what is due through them, and a meeting or an action item is
never numbered twice."""

from __future__ import annotations

import re

from tortoise import Tortoise, connections

from service.app import AppContext


def declared() -> list[tuple[str, tuple[str, ...], bool]]:
    """(table, columns, unique) of each index the models ask for, single-column keys and
    unique fields aside (their constraints are checked by the database's own tests)."""
    wanted = []
    for models in Tortoise.apps.values():
        for model in models.values():
            meta = model._meta
            for name in meta.db_fields:
                field = meta.fields_map[meta.fields_db_projection_reverse[name]]
                if field.index and not field.pk and not field.unique:
                    wanted.append((meta.db_table, (name,), False))
            for index in meta.indexes:
                wanted.append((meta.db_table, tuple(index), False))
            for together in meta.unique_together:
                columns = tuple(meta.fields_map[name].source_field or name for name in together)
                wanted.append((meta.db_table, columns, True))
    return wanted


async def existing(table: str) -> list[tuple[tuple[str, ...], bool]]:
    """(columns in order, unique) of each index on `table`."""
    connection = connections.get("default")
    found = []
    if connection.capabilities.dialect == "sqlite":
        for index in await connection.execute_query_dict(f"PRAGMA index_list('{table}')"):
            columns = await connection.execute_query_dict(f"PRAGMA index_info('{index['name']}')")
            found.append((tuple(str(c["name"]) for c in columns), bool(index["unique"])))
        return found
    rows = await connection.execute_query_dict(
        "SELECT indexdef FROM pg_indexes WHERE tablename = $1", [table]
    )
    for row in rows:
        definition = str(row["indexdef"])
        columns = re.search(r"\((.*)\)", definition)
        if columns:
            names = tuple(c.strip().strip('"') for c in columns.group(1).split(","))
            found.append((names, definition.startswith("CREATE UNIQUE")))
    return found


def covered(
    columns: tuple[str, ...], unique: bool, indexes: list[tuple[tuple[str, ...], bool]]
) -> bool:
    """A unique constraint needs a unique index of exactly its columns; a plain index, any
    index that begins with them."""
    if unique:
        return any(have == columns and is_unique for have, is_unique in indexes)
    return any(have[: len(columns)] == columns for have, _ in indexes)


async def test_every_declared_index_and_unique_constraint_exists(app: AppContext) -> None:
    wanted = declared()
    assert ("pairing", ("plan_at",), False) in wanted
    assert ("meeting", ("pairing_id", "number"), True) in wanted
    missing = [
        (table, columns, "unique" if unique else "index")
        for table, columns, unique in wanted
        if not covered(columns, unique, await existing(table))
    ]
    assert not missing
