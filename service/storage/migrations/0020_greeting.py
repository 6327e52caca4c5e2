from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# The name emails greet a person by, where the roster gives one.


class Migration(migrations.Migration):
    dependencies = [('models', '0019_holidays')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Person',
            name='greeting',
            field=fields.CharField(max_length=100, null=True),
        ),
    ]
