from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# What an answer waiting for the next morning gathers: the writer's replies of a day that
# already brought them enough mail, each with what was done.


class Migration(migrations.Migration):
    dependencies = [('models', '0020_greeting')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboundMessage',
            name='gathered',
            field=fields.JSONField(null=True),
        ),
    ]
