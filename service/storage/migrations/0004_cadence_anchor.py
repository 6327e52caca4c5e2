from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_tasks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Pairing',
            name='anchor_day',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Pairing',
            name='anchor_number',
            field=fields.IntField(default=1),
        ),
        ops.AddField(
            model_name='Pairing',
            name='reevaluated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
