from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_phasing_out')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Reflection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pairing', fields.ForeignKeyField('models.Pairing', source_field='pairing_id', db_constraint=True, to_field='id', related_name='reflections', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='reflections', on_delete=OnDelete.CASCADE)),
                ('topic', fields.CharField(max_length=40)),
                ('sealed', fields.BinaryField()),
                ('shared', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reflection', 'app': 'models', 'pk_attr': 'id', 'table_description': "A participant's answer to a reflection or check-in prompt, sealed at rest."},
            bases=['Model'],
        ),
    ]
