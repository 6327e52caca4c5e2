"""Running the arq worker: on configured servers, or on the embedded defaults."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import redis.exceptions
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.cron import CronJob
from arq.worker import Worker

from service.app import AppContext
from service.config import Settings
from service.jobs import worker as ws
from service.jobs.embedded_redis import EmbeddedRedis
from service.storage import db

log = logging.getLogger(__name__)

# What a lost Redis looks like to the worker; it waits this long and starts again.
REDIS_DOWN: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)
REDIS_RETRY_SECONDS = 2.0


@contextlib.asynccontextmanager
async def redis_for(settings: Settings) -> AsyncIterator[str]:
    """The configured Redis, or one started from the packaged server for this run."""
    if settings.redis_url:
        yield settings.redis_url
        return
    embedded = EmbeddedRedis(settings.data_dir / "redis")
    embedded.start()
    try:
        log.info("no REDIS_URL: started an embedded Redis at %s", embedded.url)
        yield embedded.url
    finally:
        embedded.stop()


async def build_worker(
    redis_url: str,
    *,
    app: AppContext | None = None,
    burst: bool = False,
    cron_jobs: Sequence[CronJob] | None = None,
    poll_delay: float | None = None,
    handle_signals: bool = False,
) -> Worker:
    """A worker on its own Redis pool, which also enqueues (`worker.pool`) as the worker
    reads (JSON); closing the worker closes the pool."""
    ctx: dict[str, Any] = {"app": app} if app is not None else {}
    pool = await create_pool(
        RedisSettings.from_dsn(redis_url), job_serializer=ws.dumps, job_deserializer=ws.loads
    )
    try:
        return Worker(
            functions=cast(Sequence[Any], ws.FUNCTIONS),
            cron_jobs=list(ws.CRON_JOBS if cron_jobs is None else cron_jobs),
            redis_pool=pool,
            burst=burst,
            on_startup=ws.on_startup,
            on_shutdown=ws.on_shutdown,
            handle_signals=handle_signals,
            max_jobs=ws.WorkerSettings.max_jobs,
            poll_delay=ws.WorkerSettings.poll_delay if poll_delay is None else poll_delay,
            keep_result=ws.WorkerSettings.keep_result,
            max_tries=ws.WorkerSettings.max_tries,
            job_timeout=ws.WorkerSettings.job_timeout,
            job_serializer=ws.dumps,
            job_deserializer=ws.loads,
            ctx=ctx,
        )
    except BaseException:
        await pool.aclose(close_connection_pool=True)
        raise


async def run_worker(settings: Settings, *, burst: bool = False) -> None:
    """Run the worker until it is stopped; refused (SecretRefused) on a weak secret with servers
    configured, before anything is started or connected to."""
    settings.checked_secret()
    async with redis_for(settings) as url:
        # Connections are made here, not in the worker's start-up hook: the ORM keeps them in
        # a context variable, and the hook runs inside the worker's task, whose context the
        # shutdown here would not see (the connections would never be closed).
        app = await ws.make_app(settings)
        ws.warm_up()
        try:
            while True:
                try:
                    await _run_once(app, url, burst)
                    return
                except REDIS_DOWN as exc:
                    # Jobs are only triggers: the outbox and the stored mail are in the
                    # database, and the cron finds them again once Redis is back.
                    log.warning(
                        "Redis is unreachable (%s); the worker starts again in %.0f s",
                        type(exc).__name__,
                        REDIS_RETRY_SECONDS,
                    )
                    await asyncio.sleep(REDIS_RETRY_SECONDS)
        finally:
            await app.outgoing.close()
            await app.incoming.close()
            await db.close()


async def _run_once(app: AppContext, url: str, burst: bool) -> None:
    # A burst run does the work that is there and stops: cron ticks would keep it alive.
    worker = await build_worker(
        url, app=app, burst=burst, cron_jobs=[] if burst else None, handle_signals=True
    )
    watcher: asyncio.Task[None] | None = None
    try:
        if burst:
            for job in ("poll_inbox", "tick", "send_outbox"):
                await worker.pool.enqueue_job(job)
        else:
            watcher = asyncio.create_task(watch_inbox(app, worker.pool))
        # On SIGTERM/SIGINT the worker cancels its own main task: that is a clean stop.
        with contextlib.suppress(asyncio.CancelledError):
            await worker.async_run()
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        with contextlib.suppress(*REDIS_DOWN):  # closing a pool whose server is gone
            await worker.close()


# How long one wait for new mail lasts before it is renewed (the transport renews IDLE
# sooner where the server needs it); the cron's regular poll runs meanwhile regardless.
WATCH_SECONDS = 20 * 60.0


async def watch_inbox(app: AppContext, pool: ArqRedis) -> None:
    """Fetch as soon as mail arrives (IMAP IDLE), between the cron's regular polls."""
    while True:
        try:
            arrived = await app.incoming.wait_for_mail(WATCH_SECONDS)
        except Exception:
            log.exception("watching the mailbox failed; the regular poll goes on")
            arrived = False
            await asyncio.sleep(30)
        if arrived:
            job = await pool.enqueue_job("poll_inbox", _job_id=f"poll:arrived:{time.time_ns()}")
            # Watch again once that fetch is done (until then the mail is still unseen).
            if job is not None:  # None: a job of that id was queued already
                with contextlib.suppress(Exception):
                    await job.result(timeout=120, poll_delay=0.2)
            # Mail tends to come in bursts: one fetch a second is plenty.
            await asyncio.sleep(1.0)
