"""arq worker settings: JSON payloads, cron ticks, and clients made once on start-up."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from datetime import date
from typing import Any

from arq import cron, func
from arq.connections import RedisSettings

from service.action_items.rules import read_task
from service.app import AppContext
from service.clock import SystemClock
from service.config import Settings
from service.jobs.functions import poll_inbox, process_inbound_job, send_outbox, tick
from service.mail.transports.factory import incoming_from_url, outgoing_from_url
from service.mail.transports.oauth import token_source
from service.storage import db

log = logging.getLogger(__name__)

# A worker started with its database server, or while it restarts, waits this long for it
# (trying again at growing intervals up to the last) before it gives up, saying why.
DATABASE_WAIT_SECONDS = 300.0
DATABASE_RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0)

FUNCTIONS = [
    poll_inbox,
    # No result kept: the id names its batch, and a kept result would turn away the tick's
    # re-queue of a batch whose job died or ran out of time for as long as it is kept.
    func(process_inbound_job, keep_result=0),
    send_outbox,
    tick,
]
CRON_JOBS = [
    cron(poll_inbox, second={0, 15, 30, 45}, run_at_startup=True),
    cron(send_outbox, second={5, 20, 35, 50}),
    cron(tick, second={10}),
]


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    return json.loads(data)


async def open_database(url: str, wait: float = DATABASE_WAIT_SECONDS) -> None:
    """The database opened and brought up to date, waited for while it is away (refused
    connections, a server starting up) rather than failing the worker's start."""
    began = time.monotonic()
    for tries in itertools.count():
        try:
            await db.init(url)
            return
        except Exception as exc:
            with contextlib.suppress(Exception):
                await db.close()
            delay = DATABASE_RETRY_SECONDS[min(tries, len(DATABASE_RETRY_SECONDS) - 1)]
            if not db.transient(exc) or time.monotonic() - began + delay > wait:
                raise
            log.warning(
                "the database at %s does not answer (%s); trying again in %.0f s",
                db.shown(url),
                type(exc).__name__,
                delay,
            )
            await asyncio.sleep(delay)


async def make_app(settings: Settings) -> AppContext:
    await open_database(settings.resolved_database_url)
    tokens = token_source(settings)  # one, for SMTP and IMAP
    return AppContext(
        settings=settings,
        clock=SystemClock(),
        secret=settings.resolved_secret(),
        outgoing=outgoing_from_url(
            settings.smtp_url,
            settings.outbox_dir,
            settings.smtp_connections,
            settings.helo_name,
            settings.smtp_ca_file,
            tokens,
        ),
        incoming=incoming_from_url(
            settings.imap_url, settings.inbox_dir, tokens, settings.imap_ca_file
        ),
    )


def warm_up() -> None:
    """Load on start what the first digest and the first action item would otherwise wait
    for (about a second): the chart library, and the date reader's language data."""
    from matplotlib.backends import backend_agg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401

    read_task("warm up by Friday", date.today(), "UTC")


async def on_startup(ctx: dict[str, Any]) -> None:
    # The demo and the tests hand in a ready AppContext (with their own clock and transports).
    if "app" not in ctx:
        settings = Settings()
        settings.checked_secret()  # `arq service.jobs.worker.WorkerSettings` starts here
        ctx["app"] = await make_app(settings)
        ctx["owns_app"] = True
        warm_up()


async def on_shutdown(ctx: dict[str, Any]) -> None:
    if ctx.get("owns_app"):
        app: AppContext = ctx["app"]
        await app.outgoing.close()
        await app.incoming.close()
        await db.close()


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


class WorkerSettings:
    """For `arq service.jobs.worker.WorkerSettings` as well as `mentormail run`."""

    functions = FUNCTIONS
    cron_jobs = CRON_JOBS
    on_startup = on_startup
    on_shutdown = on_shutdown
    job_serializer = dumps
    job_deserializer = loads
    # Jobs are short and mostly wait on I/O: a small pool with a short poll keeps latency low
    # without a thundering herd on Redis.
    max_jobs = 20
    poll_delay = 0.1
    keep_result = 3600
    max_tries = 5
    job_timeout = 300
