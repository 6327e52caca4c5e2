from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AgendaItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('models.Meeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name='agenda_items', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.Person', source_field='author_id', db_constraint=True, to_field='id', related_name='agenda_items', on_delete=OnDelete.CASCADE)),
                ('text', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'agenda_item', 'app': 'models', 'unique_together': (('meeting', 'text'),), 'pk_attr': 'id', 'table_description': 'A topic for a meeting, sent in by a participant.'},
            bases=['Model'],
        ),
    ]
