from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_cadence_anchor')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Meeting',
            name='starts_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Pairing',
            name='plan_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Pairing',
            name='reevaluate_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Meeting',
            name='prompt_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Task',
            name='remind_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='claim_token',
            field=fields.CharField(null=True, max_length=32),
        ),
        # Pairings, meetings and action items already under way are looked at by the next
        # tick, which queues what is due and sets the real times.
        ops.RunSQL(
            [
                "UPDATE pairing SET plan_at = signed_at"
                " WHERE signed_at IS NOT NULL AND state IN ('active', 'reevaluating')",
                "UPDATE pairing SET reevaluate_at = signed_at"
                " WHERE signed_at IS NOT NULL AND state = 'active' AND reevaluated_at IS NULL",
                "UPDATE meeting SET prompt_at = created_at WHERE cancelled = FALSE",
                "UPDATE task SET remind_at = created_at"
                " WHERE state = 'open' AND due_date IS NOT NULL",
            ],
            reverse_sql=[],
        ),
    ]

