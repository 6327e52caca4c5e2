from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# A coordinator's mail records whom it was for, so that a reply routed by its thread acts
# for that coordinator alone (a Message-ID of ours is unguessable, the From is checked).
# Mail sent before this names its coordinator in its topic's reference.


async def backfill(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(
        'UPDATE "outbound_message" SET "coordinator_id"="topic_ref" '
        """WHERE "topic" IN ('coord', 'unsub')"""
    )


class Migration(migrations.Migration):
    dependencies = [('models', '0016_topics')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboundMessage',
            name='coordinator_id',
            field=fields.IntField(null=True),
        ),
        ops.RunPython(backfill, ops.RunPython.noop),
    ]
