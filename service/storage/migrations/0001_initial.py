from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from service.storage.models import InboundStatus, OutboundStatus, PairingState
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Person',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('name', fields.CharField(max_length=300)),
                ('timezone', fields.CharField(max_length=64)),
                ('wants_receipts', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'person', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Program',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=300)),
                ('coordinator_email', fields.CharField(null=True, max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'program', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Pairing',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('program', fields.ForeignKeyField('models.Program', source_field='program_id', db_constraint=True, to_field='id', related_name='pairings', on_delete=OnDelete.RESTRICT)),
                ('mentor', fields.ForeignKeyField('models.Person', source_field='mentor_id', db_constraint=True, to_field='id', related_name='mentoring', on_delete=OnDelete.RESTRICT)),
                ('mentee', fields.ForeignKeyField('models.Person', source_field='mentee_id', db_constraint=True, to_field='id', related_name='mentored', on_delete=OnDelete.RESTRICT)),
                ('state', fields.CharEnumField(default=PairingState.INVITED, description='INVITED: invited\nAGREEING: agreeing\nACTIVE: active\nPAUSED: paused\nREEVALUATING: reevaluating\nCLOSING: closing\nCLOSED: closed', enum_type=PairingState, max_length=16)),
                ('start_date', fields.DateField()),
                ('terms', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('terms_version', fields.IntField(default=1)),
                ('mentor_agreed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('mentee_agreed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('signed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pairing', 'app': 'models', 'unique_together': (('program', 'mentor', 'mentee'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InboundMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message_id', fields.CharField(unique=True, max_length=250)),
                ('raw_bytes', fields.BinaryField(source_field='raw')),
                ('source_key', fields.CharField(null=True, max_length=100)),
                ('status', fields.CharEnumField(default=InboundStatus.PENDING, description='PENDING: pending\nPROCESSED: processed\nIGNORED: ignored\nREFUSED: refused\nFAILED: failed', enum_type=InboundStatus, max_length=16)),
                ('kind', fields.CharField(null=True, max_length=32)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('from_addr', fields.CharField(null=True, max_length=254)),
                ('pairing', fields.ForeignKeyField('models.Pairing', source_field='pairing_id', null=True, db_constraint=True, to_field='id', related_name='inbound', on_delete=OnDelete.SET_NULL)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='inbound', on_delete=OnDelete.SET_NULL)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inbound_message', 'app': 'models', 'indexes': [Index(fields=['status', 'received_at'])], 'pk_attr': 'id', 'table_description': 'Every message fetched, kept raw, whatever became of it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Meeting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pairing', fields.ForeignKeyField('models.Pairing', source_field='pairing_id', db_constraint=True, to_field='id', related_name='meetings', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('uid', fields.CharField(unique=True, max_length=200)),
                ('sequence', fields.IntField(default=0)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('tzid', fields.CharField(max_length=64)),
                ('cancelled', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'meeting', 'app': 'models', 'unique_together': (('pairing', 'number'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboundMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('dedupe_key', fields.CharField(unique=True, max_length=200)),
                ('kind', fields.CharField(max_length=64)),
                ('pairing', fields.ForeignKeyField('models.Pairing', source_field='pairing_id', null=True, db_constraint=True, to_field='id', related_name='outbound', on_delete=OnDelete.SET_NULL)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='outbound', on_delete=OnDelete.SET_NULL)),
                ('message_id', fields.CharField(unique=True, max_length=250)),
                ('mail_from', fields.CharField(max_length=254)),
                ('recipients', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('raw_bytes', fields.BinaryField(source_field='raw')),
                ('status', fields.CharEnumField(default=OutboundStatus.PENDING, description='PENDING: pending\nSENT: sent\nFAILED: failed', enum_type=OutboundStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbound_message', 'app': 'models', 'indexes': [Index(fields=['status', 'not_before'])], 'pk_attr': 'id', 'table_description': 'The outbox: written in the same transaction as the decision, sent by another job.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Refusal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('address', fields.CharField(max_length=254)),
                ('kind', fields.CharField(max_length=32)),
                ('day', fields.DateField()),
                ('count', fields.IntField(default=1)),
            ],
            options={'table': 'refusal', 'app': 'models', 'unique_together': (('address', 'kind', 'day'),), 'pk_attr': 'id', 'table_description': 'One polite refusal per address, kind and day at most.'},
            bases=['Model'],
        ),
    ]
