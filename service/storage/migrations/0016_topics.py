import json
import re

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from service.mail.kinds import Topic

# Every email records what replies to it are about (a topic and the row it names) and
# whether they are private, so that a reply without its signed address is routed by its
# thread headers to the same place as one with it. Mail sent before this records it too:
# its topic is read once, here, from its kind and the key it was queued under. A reply
# records what it was handled as.

_REF = {
    "meeting": re.compile(r":meeting:(\d+)"),
    "task": re.compile(r":task:(\d+)"),
    "proposal": re.compile(r"^proposal:(\d+):"),
    "conversation": re.compile(r":conversation:(\d+)"),
    "coordinator": re.compile(r":coordinator:(\d+)"),
    "version": re.compile(r":v(\d+):"),
}
_TOPIC = {
    "agreement_request": (Topic.AGREEMENT, None),
    "agreement_signed": (Topic.AGREEMENT, None),
    "invitation": (Topic.MEETING, Topic.PRIVATE_MEETING),
    "cancellation": (Topic.MEETING, Topic.PRIVATE_MEETING),
    "meeting_declined": (Topic.MEETING, Topic.PRIVATE_MEETING),
    "time_proposed": (Topic.PROPOSAL, Topic.PRIVATE_PROPOSAL),
    "agenda_request": (Topic.AGENDA, None),
    "agenda": (Topic.AGENDA, None),
    "after_meeting": (Topic.AFTER_MEETING, None),
    "mentor_checkin": (Topic.CHECKIN, None),
    "reevaluation": (Topic.REEVALUATION, None),
    "task_reminder": (Topic.TASK, Topic.PRIVATE_TASK),
    "task_overdue": (Topic.TASK, Topic.PRIVATE_TASK),
    "mentoring_map": (Topic.MENTORING_MAP, None),
    "mentor_reflection": (Topic.MENTOR_REFLECTION, None),
    "closure": (Topic.CLOSURE, None),
    "closure_archive": (Topic.PRIVATE, None),
    "reflection_shared": (Topic.PRIVATE, None),
    "performance_summary_request": (Topic.PERFORMANCE_SUMMARY, None),
    "performance_followup_draft": (Topic.PERFORMANCE_DRAFT, None),
    "performance_followup": (Topic.PERFORMANCE_FOLLOWUP, None),
    "performance_reply": (Topic.PERFORMANCE_FOLLOWUP, None),
    "performance_checkback": (Topic.PERFORMANCE_CHECKBACK, None),
    "understood": (Topic.GENERAL, Topic.PRIVATE),
    "help": (Topic.GENERAL, None),
    "nudge": (Topic.GENERAL, None),
    "digest": (Topic.COORDINATOR, None),
    "coordinator_reply": (Topic.COORDINATOR, None),
    "pairing_details": (Topic.COORDINATOR, None),
}


def _topic(row, conversations, coordinators):
    shared, private = _TOPIC.get(row["kind"], (None, None))
    if shared is None:
        return None, None
    topic = private if (private is not None and row["sealed"]) else shared
    key = row["dedupe_key"]
    if topic.refers_to == "pairing":
        return topic, row["pairing_id"]
    if topic.refers_to == "coordinator":
        found = _REF["coordinator"].search(key)
        if found:
            return topic, int(found.group(1))
        recipients = row["recipients"]
        listed = json.loads(recipients) if isinstance(recipients, str) else recipients
        return topic, coordinators.get(str(listed[0]).lower()) if listed else None
    if topic.refers_to == "conversation" and row["kind"] == "performance_reply":
        return topic, conversations.get(row["pairing_id"])
    pattern = _REF.get(topic.refers_to)
    found = pattern.search(key) if pattern else None
    return topic, int(found.group(1)) if found else None


async def backfill(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    conversations = {
        int(r["pairing_id"]): int(r["id"])
        for r in await client.execute_query_dict(
            'SELECT "pairing_id", MAX("id") "id" FROM "performance_conversation" '
            'GROUP BY "pairing_id"'
        )
    }
    coordinators = {
        str(r["email"]).lower(): int(r["id"])
        for r in await client.execute_query_dict(
            'SELECT MIN("id") "id", "email" FROM "coordinator" GROUP BY "email"'
        )
    }
    rows = await client.execute_query_dict(
        'SELECT "id", "kind", "dedupe_key", "pairing_id", "sealed", "recipients" '
        'FROM "outbound_message"'
    )
    groups: dict[tuple[str, int | None, bool], list[int]] = {}
    for row in rows:
        topic, ref = _topic(row, conversations, coordinators)
        if topic is not None:
            groups.setdefault((topic.value, ref, topic.private), []).append(int(row["id"]))
    for (topic, ref, private), ids in groups.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = [f"${n}" if postgres else "?" for n in range(1, len(chunk) + 4)]
            await client.execute_query(
                f'UPDATE "outbound_message" SET "topic"={marks[0]},"topic_ref"={marks[1]},'
                f'"replies_private"={marks[2]} WHERE "id" IN ({",".join(marks[3:])})',
                [topic, ref, private, *chunk],
            )


class Migration(migrations.Migration):
    dependencies = [('models', '0015_digest_asked')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboundMessage',
            name='topic',
            field=fields.CharEnumField(Topic, max_length=16, null=True),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='topic_ref',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='replies_private',
            # A default in the database too: the rows already there get one.
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='InboundMessage',
            name='topic',
            field=fields.CharEnumField(Topic, max_length=16, null=True),
        ),
        ops.AddField(
            model_name='InboundMessage',
            name='topic_ref',
            field=fields.BigIntField(null=True),
        ),
        ops.RunPython(backfill, ops.RunPython.noop),
    ]
