"""`mentormail demo`: the real worker on embedded defaults, a travelling clock, simulated people."""

from __future__ import annotations

import mailbox
import random
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from arq.worker import Worker
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.clock import ManualClock
from service.config import Settings
from service.demo.answers import Answers
from service.demo.people import make_people, roster_csv
from service.demo.simulation import Simulation
from service.demo.summary import print_summary, summary
from service.jobs.embedded_redis import EmbeddedRedis
from service.jobs.runner import build_worker
from service.mail.transports.local import DirOutgoing, MaildirIncoming
from service.outbox.writer import OutboxWriter, wire_bytes
from service.program.roster import read_roster
from service.storage import db
from service.storage.models import OutboundMessage, OutboundStatus, Program

PROGRAM = "Hematology Mentorship 2027"


async def run_demo(
    *, pairs: int, months: int, out: Path, console: Console, seed: int = 7
) -> dict[str, Any]:
    rng = random.Random(seed)
    for sub in ("outbox", "data"):
        shutil.rmtree(out / sub, ignore_errors=True)
    data_dir = out / "data"
    settings = _settings(data_dir, seed)
    start = datetime.combine(datetime.now(UTC).date(), time(9, 0), tzinfo=UTC)
    end = start + timedelta(days=30 * months)
    clock = ManualClock(start)
    redis = EmbeddedRedis(data_dir / "redis")
    redis.start()
    await db.init(settings.resolved_database_url)
    app = AppContext(
        settings=settings,
        clock=clock,
        secret=settings.resolved_secret(),
        outgoing=DirOutgoing(out / "outbox"),
        incoming=MaildirIncoming(settings.inbox_dir),
    )
    maildir = mailbox.Maildir(settings.inbox_dir, create=True)
    simulation = await _enrol(pairs, rng, app, start)
    worker = await build_worker(redis.url, app=app, burst=True, cron_jobs=[], poll_delay=0.002)
    demo = _Demo(app, clock, simulation, maildir, worker, worker.pool)
    try:
        await _simulate(demo, start, end, console)
        result = await summary(out / "outbox", simulation, start, end)
    finally:
        await worker.close()
        await app.outgoing.close()
        await app.incoming.close()
        await db.close()
        redis.stop()
    print_summary(console, result, out, pairs, months)
    return result


def _settings(data_dir: Path, seed: int) -> Settings:
    # Everything embedded, whatever the environment says: the demo never touches real servers.
    overrides: dict[str, Any] = {
        "MENTORMAIL_DATA_DIR": data_dir,
        # The demo's database is thrown away: no need to wait for the disk on every commit.
        "DATABASE_URL": f"sqlite://{(data_dir / 'demo.sqlite3').resolve()}?synchronous=NORMAL",
        "REDIS_URL": None,
        "SMTP_URL": None,
        "IMAP_URL": None,
        "MENTORMAIL_SECRET": f"demo-{seed}",
        "MENTORMAIL_ADDRESS": "mentorship@mentormail.localhost",
    }
    return Settings(**overrides)


async def _enrol(pairs: int, rng: random.Random, app: AppContext, start: datetime) -> Simulation:
    """The simulated people, and their program imported from a roster a week ahead."""
    couples = make_people(pairs, rng)
    people = {p.email: p for couple in couples for p in couple}
    concerned = {mentor.email for mentor, mentee in couples if mentee.persona == "slow"}
    simulation = Simulation(people, rng, Answers(rng, concerned=concerned))
    roster = read_roster(
        roster_csv(couples, start.date() + timedelta(days=7), PROGRAM), start.date()
    )
    if roster.errors:
        raise RuntimeError(f"demo roster is invalid: {roster.errors[0]}")
    await import_roster(roster, OutboxWriter(app.settings, app.secret), app.clock.now())
    return simulation


@dataclass
class _Demo:
    """What each step of the demo works with."""

    app: AppContext
    clock: ManualClock
    simulation: Simulation
    maildir: mailbox.Maildir
    worker: Worker
    pool: Any


async def _simulate(demo: _Demo, start: datetime, end: datetime, console: Console) -> None:
    """Step the clock from start to end, showing how far it has come."""
    clock = demo.clock
    with Progress(
        TextColumn("[bold]simulating[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        refresh_per_second=2,
    ) as progress:
        task = progress.add_task(start.date().isoformat(), total=(end - start).total_seconds())
        step = 0
        while clock.now() < end:
            step += 1
            await _step(demo, step)
            stops = [_next_stop(demo.simulation, clock.now()), end]
            stops += await _service_stops(clock.now())
            clock.set(min(stops))
            progress.update(
                task,
                completed=(clock.now() - start).total_seconds(),
                description=clock.now().date().isoformat(),
            )


async def _step(demo: _Demo, step: int) -> None:
    """The replies now due arrive, the worker does its work, and the people read what it sent."""
    clock, simulation = demo.clock, demo.simulation
    replies = simulation.due(clock.now())
    for raw in replies:
        demo.maildir.add(raw)
    # What the worker's cron would do at this moment; the tick queues the sending.
    if replies:
        await demo.pool.enqueue_job("poll_inbox", _job_id=f"demo:poll:{step}")
    await demo.pool.enqueue_job("tick", _job_id=f"demo:tick:{step}")
    await demo.worker.async_run()
    # What this step sent (held mail goes out later than newer rows: by time, not by id).
    sent = await OutboundMessage.filter(
        status=OutboundStatus.SENT, sent_at__gte=clock.now()
    ).order_by("id")
    for row in sent:
        simulation.receive(wire_bytes(row, demo.app.secret), clock.now(), row.recipients[0])


async def _service_stops(now: datetime) -> list[datetime]:
    """When the service itself has work, as a worker's cron running every minute would find
    it: the programs' digest hours (not up to half a day late) and mail held until then."""
    stops = []
    for zone, hour in await Program.all().values_list("timezone", "digest_hour"):
        local = now.astimezone(ZoneInfo(str(zone)))
        at = local.replace(hour=int(hour), minute=1, second=0, microsecond=0)
        if at <= local:
            at = (at + timedelta(days=1)).replace(hour=int(hour), minute=1)
        stops.append(at.astimezone(UTC))
    held = (
        await OutboundMessage.filter(status=OutboundStatus.PENDING, not_before__gt=now)
        .order_by("not_before")
        .only("id", "not_before")
        .first()
    )
    if held is not None:
        stops.append(max(held.not_before, now + timedelta(minutes=5)))
    return stops


def _next_stop(simulation: Simulation, now: datetime) -> datetime:
    """Half a day on, or sooner when a reply falls due (but at least five minutes on)."""
    upcoming = simulation.next_due()
    target = now + timedelta(hours=12)
    if upcoming is not None and upcoming < target:
        target = max(upcoming, now + timedelta(minutes=5))
    return target
