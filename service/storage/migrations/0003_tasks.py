from tortoise import migrations
from tortoise.migrations import operations as ops
from service.storage.models import TaskState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_agenda_items')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Task',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pairing', fields.ForeignKeyField('models.Pairing', source_field='pairing_id', db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('owner', fields.ForeignKeyField('models.Person', source_field='owner_id', db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.CASCADE)),
                ('text', fields.CharField(max_length=500)),
                ('due_date', fields.DateField(null=True)),
                ('state', fields.CharEnumField(default=TaskState.OPEN, description='OPEN: open\nDONE: done', enum_type=TaskState, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'task', 'app': 'models', 'unique_together': (('pairing', 'number'),), 'indexes': [Index(fields=['state', 'due_date'])], 'pk_attr': 'id', 'table_description': 'An action item: numbered per pairing so that `done 2` names it.'},
            bases=['Model'],
        ),
    ]
