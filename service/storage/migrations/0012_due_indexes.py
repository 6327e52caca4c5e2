from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor

# The fields below were declared with db_index when they were added or altered (0005), but
# adding or altering a field creates no index: every tick read its whole table to find what
# was due. The benchmark's EXPLAIN of the tick found it. Created here, named after table and
# column; IF NOT EXISTS keeps this safe where someone added them by hand.
INDEXES = (
    ("meeting", "starts_at"),
    ("meeting", "prompt_at"),
    ("pairing", "plan_at"),
    ("pairing", "reevaluate_at"),
    ("task", "remind_at"),
)


# On SQLite, altering meeting.starts_at (0005) rebuilt the table without its unique
# (pairing_id, number): restored here, which also indexes a pairing's meetings. PostgreSQL
# kept its constraint.
MEETING_NUMBERS = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_meeting_pairing_number"'
    ' ON "meeting" ("pairing_id", "number")'
)


async def restore_meeting_numbers(apps: object, schema_editor: BaseSchemaEditor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script(MEETING_NUMBERS)


async def drop_meeting_numbers(apps: object, schema_editor: BaseSchemaEditor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script(
            'DROP INDEX IF EXISTS "uid_meeting_pairing_number"'
        )


class Migration(migrations.Migration):
    dependencies = [('models', '0011_coordinators')]

    initial = False

    operations = [
        ops.RunSQL(
            [f'CREATE INDEX IF NOT EXISTS "idx_{t}_{c}" ON "{t}" ("{c}")' for t, c in INDEXES],
            reverse_sql=[f'DROP INDEX IF EXISTS "idx_{t}_{c}"' for t, c in INDEXES],
        ),
        ops.RunPython(restore_meeting_numbers, drop_meeting_numbers),
    ]
