"""Running the arq worker: on configured servers, or on the embedded defaults."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Worker

from service import db
from service.app import AppContext
from service.config import Settings
from service.embedded import EmbeddedRedis
from service.jobs import worker as ws

log = logging.getLogger(__name__)


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


def build_worker(
    redis_url: str,
    *,
    app: AppContext | None = None,
    burst: bool = False,
    cron_jobs: Sequence[CronJob] | None = None,
    poll_delay: float | None = None,
    handle_signals: bool = False,
) -> Worker:
    ctx: dict[str, Any] = {"app": app} if app is not None else {}
    return Worker(
        functions=cast(Sequence[Any], ws.FUNCTIONS),
        cron_jobs=list(ws.CRON_JOBS if cron_jobs is None else cron_jobs),
        redis_settings=RedisSettings.from_dsn(redis_url),
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


async def run_worker(settings: Settings, *, burst: bool = False) -> None:
    async with redis_for(settings) as url:
        # Connections are made here, not in the worker's start-up hook: the ORM keeps them in
        # a context variable, and the hook runs inside the worker's task, whose context the
        # shutdown here would not see (the connections would never be closed).
        app = await ws.make_app(settings)
        # A burst run does the work that is there and stops: cron ticks would keep it alive.
        worker = build_worker(
            url, app=app, burst=burst, cron_jobs=[] if burst else None, handle_signals=True
        )
        try:
            if burst:
                pool = await worker_pool(worker)
                for job in ("poll_inbox", "tick", "send_outbox"):
                    await pool.enqueue_job(job)
            # On SIGTERM/SIGINT the worker cancels its own main task: that is a clean stop.
            with contextlib.suppress(asyncio.CancelledError):
                await worker.async_run()
        finally:
            await worker.close()
            await app.outgoing.close()
            await app.incoming.close()
            await db.close()


async def worker_pool(worker: Worker) -> Any:
    from arq import create_pool

    if worker._pool is None:
        worker._pool = await create_pool(
            worker.redis_settings,
            job_serializer=ws.dumps,
            job_deserializer=ws.loads,
        )
    return worker._pool
