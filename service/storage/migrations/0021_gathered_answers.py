from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# What an email waiting to go carries for the one that may take its place: an answer's
# replies of a day that already brought their writer enough mail, or a changed agreement
# form's changes that its reader has not seen yet.


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
