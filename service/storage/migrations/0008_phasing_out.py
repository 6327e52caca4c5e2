from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_calendar_answers')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Pairing',
            name='closed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Pairing',
            name='closing_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Pairing',
            name='closing_path',
            field=fields.CharField(null=True, max_length=20),
        ),
    ]
