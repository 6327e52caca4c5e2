from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# A stored message whose applying keeps stopping the worker, or outlasting its job, is
# failed after a few starts rather than tried for ever (with its batch held up behind it).


class Migration(migrations.Migration):
    dependencies = [('models', '0013_reply_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='InboundMessage',
            name='attempts',
            field=fields.IntField(default=0),
        ),
    ]
