from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_planning_due')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Person',
            name='bounce_score',
            field=fields.FloatField(default=0),
        ),
        ops.AddField(
            model_name='Person',
            name='bounce_scored_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Person',
            name='mail_disabled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
