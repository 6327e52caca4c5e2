from tortoise import migrations
from tortoise.migrations import operations as ops

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


class Migration(migrations.Migration):
    dependencies = [('models', '0011_coordinators')]

    initial = False

    operations = [
        ops.RunSQL(
            [f'CREATE INDEX IF NOT EXISTS "idx_{t}_{c}" ON "{t}" ("{c}")' for t, c in INDEXES],
            reverse_sql=[f'DROP INDEX IF EXISTS "idx_{t}_{c}"' for t, c in INDEXES],
        ),
    ]
