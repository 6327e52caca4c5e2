from tortoise import migrations
from tortoise.migrations import operations as ops
from service.storage.models import ProposalState
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_bounces')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MeetingAnswer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('models.Meeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name='answers', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='meeting_answers', on_delete=OnDelete.CASCADE)),
                ('partstat', fields.CharField(max_length=20)),
                ('comment', fields.CharField(null=True, max_length=1000)),
                ('answered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'meeting_answer', 'app': 'models', 'unique_together': (('meeting', 'person'),), 'pk_attr': 'id', 'table_description': "A participant's calendar answer to a meeting: the newest one they wrote (rule 17)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TimeProposal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('models.Meeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name='proposals', on_delete=OnDelete.CASCADE)),
                ('proposer', fields.ForeignKeyField('models.Person', source_field='proposer_id', db_constraint=True, to_field='id', related_name='proposals', on_delete=OnDelete.CASCADE)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('comment', fields.CharField(null=True, max_length=1000)),
                ('state', fields.CharEnumField(default=ProposalState.OPEN, description='OPEN: open\nACCEPTED: accepted\nSUPERSEDED: superseded', enum_type=ProposalState, max_length=20)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'time_proposal', 'app': 'models', 'pk_attr': 'id', 'table_description': "A new time one participant's calendar proposed (iTIP COUNTER), offered to the other."},
            bases=['Model'],
        ),
    ]
