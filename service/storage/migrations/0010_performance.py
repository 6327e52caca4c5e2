from tortoise import migrations
from tortoise.migrations import operations as ops
from service.storage.models import PerformanceState
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_reflections')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PerformanceConversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pairing', fields.ForeignKeyField('models.Pairing', source_field='pairing_id', db_constraint=True, to_field='id', related_name='performance_conversations', on_delete=OnDelete.CASCADE)),
                ('meeting', fields.ForeignKeyField('models.Meeting', source_field='meeting_id', null=True, db_constraint=True, to_field='id', related_name='performance', on_delete=OnDelete.SET_NULL)),
                ('state', fields.CharEnumField(description='SCHEDULED: scheduled\nSUMMARY: summary\nDRAFTED: drafted\nSENT: sent\nCHECKING: checking\nCLOSED: closed', enum_type=PerformanceState, max_length=16)),
                ('sealed', fields.BinaryField(null=True)),
                ('draft_version', fields.IntField(default=0)),
                ('check_back_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('improved', fields.BooleanField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'performance_conversation', 'app': 'models', 'pk_attr': 'id', 'table_description': "A mentor's hard conversation about performance, and its written follow-up."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='InboundMessage',
            name='sealed',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Meeting',
            name='private',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='sealed',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Task',
            name='private',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Task',
            name='sealed',
            field=fields.BinaryField(null=True),
        ),
    ]
