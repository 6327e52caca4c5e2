from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# The digest counts each pairing's prompts sent since the person last replied in it: a
# pairing's prompts and a person's replies are found through these, not by reading the
# program's whole history of mail.


class Migration(migrations.Migration):
    dependencies = [('models', '0012_due_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='OutboundMessage', index=Index(fields=['pairing_id', 'kind'])
        ),
        ops.AddIndex(
            model_name='InboundMessage',
            index=Index(fields=['pairing_id', 'person_id', 'received_at']),
        ),
    ]
