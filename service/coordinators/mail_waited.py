"""Telling coordinators that mail waited. A refused sign-in, a certificate not trusted, or a
mail server away for a while holds every email; the worker logs it and `mentormail status`
says it while it lasts, but coordinators cannot be mailed then. Once mail goes out again they
hear how long it waited, why, and that nothing was lost: invitations and reminders reached
people late, and they may be asked about it."""

from __future__ import annotations

from datetime import timedelta

from tortoise.expressions import Q

from service.app import AppContext, Pause
from service.coordinators.digest import to_coordinator
from service.mail import kinds
from service.outbox.writer import OutboxWriter
from service.program.schedule import format_span
from service.storage.db import transaction
from service.storage.models import Coordinator, OutboundMessage, OutboundStatus

# A mail server away for less than this is a restart, not news for coordinators; a problem
# of our settings always is.
WORTH_TELLING = timedelta(hours=1)


def worth_telling(pause: Pause) -> bool:
    return pause.settings or pause.until - pause.since >= WORTH_TELLING


def how_long(waited: timedelta) -> str:
    """ "40 minutes", "about 3 hours", "about 2 days": as a person would say it."""
    minutes = max(1, round(waited.total_seconds() / 60))
    if minutes < 90:
        return f"{minutes} minute{'s' * (minutes != 1)}"
    hours = round(minutes / 60)
    if hours < 36:
        return f"about {hours} hours"
    return f"about {round(hours / 24)} days"


async def tell_pauses_ended(app: AppContext) -> int:
    """Queue, for each coordinator's address, one email about the pauses that ended (at most
    one a day: a second worker, or a second pause that day, adds none). Returns how many."""
    pauses, app.pauses_ended = app.pauses_ended, []
    told = [pause for pause in pauses if worth_telling(pause)]
    if not told:
        return 0
    pause = Pause(
        told[-1].problem,
        min(p.since for p in told),
        max(p.until for p in told),
        any(p.settings for p in told),
    )
    # What was due while it waited: going out now, or gone since it went again.
    waiting = (
        await OutboundMessage.filter(not_before__lt=pause.until)
        .filter(Q(status=OutboundStatus.PENDING) | Q(sent_at__gte=pause.until))
        .count()
    )
    outbox = OutboxWriter(app.settings, app.secret)
    queued = 0
    addresses: set[str] = set()
    for coordinator in await Coordinator.all().order_by("id").select_related("program"):
        if coordinator.email.lower() in addresses:
            continue  # one email to a person who coordinates several programs
        addresses.add(coordinator.email.lower())
        program = coordinator.program
        context = {
            "span": format_span(pause.since, pause.until, program.timezone),
            "waited": how_long(pause.until - pause.since),
            "problem": pause.problem,
            "settings_problem": pause.settings,
            "waiting": waiting,
        }
        async with transaction() as connection:
            queued += await to_coordinator(
                connection,
                outbox,
                coordinator,
                program,
                kind=kinds.MAIL_WAITED,
                dedupe_key=f"mail-waited:{coordinator.id}:{pause.until:%Y-%m-%d}",
                context=context,
                now=pause.until,
            )
    return queued
