"""Answers that ask nothing of their reader, on a day that already brought them as much mail
as a day should: they wait for the next morning, the day's together in one email."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from service.inbox.reply import Reply
from service.mail import kinds
from service.mail.kinds import About
from service.mail.writing.compose import reply_subject
from service.outbox.pacing import Pacer, mail_of_day
from service.outbox.pacing_rules import DAILY_LIMIT, MORNING
from service.outbox.writer import Reader
from service.program.schedule import format_date, local_instant, local_today
from service.storage.models import OutboundMessage, OutboundStatus
from service.storage.sealing import REFLECTION, seal, unseal

# Gathered answers wait no longer than this past the morning after.
MAY_WAIT = timedelta(days=1)


async def may_wait(reply: Reply) -> bool:
    """Whether the answer to this reply, one that asks nothing, waits for the morning: the
    writer's own day already brings them DAILY_LIMIT emails (sent, or going later that day,
    this reply's besides), and the reply is not one to an answer of ours (a conversation
    under way, such as their answer to a question we asked, is answered at once)."""
    if await mail_of_day(reply.connection, reply.person, reply.now) < DAILY_LIMIT:
        return False
    answered = reply.parsed.in_reply_to
    if answered is None:
        return True
    ours = OutboundMessage.filter(message_id=answered, kind=kinds.UNDERSTOOD.name)
    return not await ours.using_db(reply.connection).exists()


async def gather(reply: Reply, about: About) -> bool:
    """Keep this reply's answer, a receipt, for the morning after, in one email with the
    answers to the writer's other replies of the day gathered the same way (a private
    reply's apart, sealed at rest as its email is); the email waits no longer than a day
    more for a quieter one. False when that email is already on its way: answer at once."""
    person = reply.person
    day = local_today(reply.now, person.timezone)
    key = f"receipts:pairing:{reply.pairing.id}:person:{person.id}:{day.isoformat()}"
    key += ":private" if reply.private else ""
    rows = OutboundMessage.filter(dedupe_key=key).using_db(reply.connection)
    waiting = await (
        rows.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=reply.now),
            status=OutboundStatus.PENDING,
        )
        .select_for_update()
        .first()
    )
    if waiting is None and await rows.exists():
        return False
    secret = reply.outbox.secret
    gathered = _opened(waiting.gathered, secret) if waiting is not None else []
    gathered.append(
        {
            "subject": reply_subject(reply.parsed.subject) or "",
            "at": f"{reply.now.astimezone(ZoneInfo(person.timezone)):%H:%M}",
            "applied": list(reply.applied),
        }
    )
    if waiting is not None:
        await waiting.delete(using_db=reply.connection)
    morning = local_instant(day + timedelta(days=1), MORNING, person.timezone)
    at = await Pacer(reply.connection, reply.now).when(person, morning, morning + MAY_WAIT)
    await reply.outbox.add_answer(
        reply.connection,
        kind=kinds.UNDERSTOOD,
        dedupe_key=key,
        to=Reader.participant(person, reply.role, reply.program.name, reply.pairing.id),
        about=about,
        now=reply.now,
        not_before=at,
        context={
            "subject": f"What we did with your replies of {format_date(day)}",
            "applied": [],
            "not_understood": [],
            "held": [],
            "passed_on": None,
            "notes": [],
            "reminders": None,
            "gathered": {"day": format_date(day), "replies": gathered},
            "help_text": "",
        },
        private=reply.private,
    )
    await rows.update(gathered=_kept(gathered, secret) if reply.private else gathered)
    return True


def _kept(gathered: list[dict[str, Any]], secret: bytes) -> dict[str, str]:
    """A private reply's answers as they wait: sealed."""
    return {"sealed": seal(secret, json.dumps(gathered), REFLECTION).decode("ascii")}


def _opened(kept: Any, secret: bytes) -> list[dict[str, Any]]:
    if isinstance(kept, dict):
        return list(json.loads(unseal(secret, kept["sealed"].encode("ascii"), REFLECTION)))
    return list(kept or [])
