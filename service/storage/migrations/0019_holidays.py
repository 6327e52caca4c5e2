from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# A program's days off: a country's public holidays and its own dates. Programs made before
# have none until a coordinator sets them (`mentormail holidays`).


class Migration(migrations.Migration):
    dependencies = [('models', '0018_complaints')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Program',
            name='holiday_country',
            field=fields.CharField(max_length=8, null=True),
        ),
        ops.AddField(
            model_name='Program',
            name='holiday_region',
            field=fields.CharField(max_length=16, null=True),
        ),
        ops.AddField(
            model_name='Program',
            name='own_holidays',
            field=fields.JSONField(null=True),
        ),
    ]
