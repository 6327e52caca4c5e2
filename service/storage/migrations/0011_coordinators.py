from tortoise import migrations
from tortoise.migrations import operations as ops
from service.storage.models import DigestEvery
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_performance')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Coordinator',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('program', fields.ForeignKeyField('models.Program', source_field='program_id', db_constraint=True, to_field='id', related_name='coordinators', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(db_index=True, max_length=254)),
                ('digest_every', fields.CharEnumField(default=DigestEvery.WEEKLY, description='DAILY: daily\nWEEKLY: weekly\nMONTHLY: monthly\nOFF: off', enum_type=DigestEvery, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'coordinator', 'app': 'models', 'unique_together': (('program', 'email'),), 'pk_attr': 'id', 'table_description': 'Someone who looks after a program: gets its digest and may act on its pairings.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HelpNote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pairing', fields.ForeignKeyField('models.Pairing', source_field='pairing_id', db_constraint=True, to_field='id', related_name='help_notes', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='help_notes', on_delete=OnDelete.CASCADE)),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'help_note', 'app': 'models', 'pk_attr': 'id', 'table_description': "A participant's `help:` note: for their program's coordinators, and nobody else."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Program',
            name='digest_hour',
            field=fields.IntField(default=8),
        ),
        ops.AddField(
            model_name='Program',
            name='digest_weekday',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Program',
            name='timezone',
            field=fields.CharField(default='UTC', max_length=64),
        ),
        # Programs imported before coordinators had rows of their own: their CSV's address.
        ops.RunSQL(
            "INSERT INTO coordinator (program_id, email, digest_every, created_at) "
            "SELECT id, coordinator_email, 'weekly', created_at FROM program "
            "WHERE coordinator_email IS NOT NULL",
            reverse_sql="DELETE FROM coordinator",
        ),
    ]
