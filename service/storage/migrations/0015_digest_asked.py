from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# A coordinator's "digest now" is recorded with the reply and the digest made after it is
# committed: reading a large program inside the reply's transaction held everyone up.


class Migration(migrations.Migration):
    dependencies = [('models', '0014_inbound_attempts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Coordinator',
            name='digest_asked_by',
            field=fields.BigIntField(null=True),
        ),
    ]
