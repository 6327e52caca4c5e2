from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from service.storage.models import MailStopped

# Why mail to a person stopped: bounces, or a spam complaint. Until now only bounces
# stopped it.


async def backfill(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(
        'UPDATE "person" SET "mail_stopped"=\'bounces\' WHERE "mail_disabled_at" IS NOT NULL'
    )


class Migration(migrations.Migration):
    dependencies = [('models', '0017_coordinator_mail')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Person',
            name='mail_stopped',
            field=fields.CharEnumField(
                description='BOUNCES: bounces\nCOMPLAINT: complaint',
                enum_type=MailStopped,
                max_length=16,
                null=True,
            ),
        ),
        ops.RunPython(backfill, ops.RunPython.noop),
    ]
