"""Action items' reminders through the worker's tick on a real Redis: a person's reminders of
one day come in one email, however many tasks fall due, and a tick run again sends nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from arq.worker import Worker
from tortoise import connections

from service.app import AppContext
from service.clock import ManualClock
from service.jobs.functions import plan
from service.jobs.runner import build_worker
from service.outbox.pacing import mail_of_day
from service.outbox.pacing_rules import DAILY_LIMIT
from service.outbox.writer import wire_bytes
from service.storage.models import InboundMessage, OutboundMessage, Person, Task, TaskState
from tests.integration.test_flow import activated, deliver, sent_to
from tests.mail import parse, reply_to

SAM, ZOE = "sam@university.example", "zoe@hospital.example"
REMINDERS = ("task_reminder", "task_overdue")


@pytest.fixture
async def worker(app: AppContext, redis_url: str) -> AsyncIterator[Worker]:
    built = await build_worker(redis_url, app=app, burst=True, cron_jobs=[], poll_delay=0.01)
    try:
        yield built
    finally:
        await built.close()


class Ticks:
    """The worker's jobs run as the cron would queue them, each with its own id."""

    def __init__(self, app: AppContext, worker: Worker) -> None:
        assert isinstance(app.clock, ManualClock)
        self.clock = app.clock
        self.worker = worker
        self.count = 0

    async def run(self, job: str) -> None:
        self.count += 1
        await self.worker.pool.enqueue_job(job, _job_id=f"{job}:{self.count}")
        await self.worker.async_run()

    async def at(self, when: datetime) -> None:
        self.clock.set(when)
        await self.run("tick")


async def write(app: AppContext, ticks: Ticks, sender: str, lines: list[str]) -> None:
    """A reply to the sender's agreement request, fetched and applied by the worker."""
    (request,) = await sent_to(app, sender, "agreement_request")
    deliver(app, reply_to(request, sender=sender, body="\n".join(lines)))
    await ticks.run("poll_inbox")


async def reminders_to(app: AppContext, address: str) -> list[bytes]:
    return [m for kind in REMINDERS for m in await sent_to(app, address, kind)]


def plain(app: AppContext, row: OutboundMessage) -> str:
    body = parse(wire_bytes(row, app.secret)).get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def reminders_by_day(app: AppContext) -> dict[tuple[str, date], list[str]]:
    """Each person's reminder emails, by the local day they reach them: the plain texts."""
    zones = {p.email: p.timezone for p in await Person.all()}
    found: dict[tuple[str, date], list[str]] = defaultdict(list)
    for row in await OutboundMessage.filter(kind__in=REMINDERS).order_by("id"):
        (address,) = row.recipients
        day = row.not_before.astimezone(ZoneInfo(zones[address])).date()
        found[address, day].append(plain(app, row))
    return found


async def test_a_day_s_reminders_come_in_one_email_per_person_and_never_twice(
    app: AppContext, worker: Worker
) -> None:
    await activated(app)
    ticks = Ticks(app, worker)
    ticks.clock.set(datetime(2026, 12, 3, 18, tzinfo=UTC))
    # Twenty tasks due on the 14th, and five due on the 5th: late by the 13th, their second
    # weekly nudge due that morning with the twenty's reminder. Two for the mentor besides.
    await write(app, ticks, SAM, [f"task: read chapter {n} by Dec 14" for n in range(1, 21)])
    await write(
        app,
        ticks,
        SAM,
        [f"task: write summary {n} by Dec 5" for n in range(1, 6)]
        + [f"task: book room {n} for mentor by Dec 14" for n in (1, 2)],
    )
    assert await Task.filter(due_date__isnull=False).count() == 27

    # Four ticks a day (09:30 in Berlin among them). Right after the 13th's morning tick a
    # reply adds a task due the next day: its reminder has come, but that day has had its
    # email, so it waits for the morning the task falls due.
    start = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)
    for step in range(4 * 10):  # up to the 13th, 20:30 UTC
        await ticks.at(start + timedelta(hours=6 * step))
        if ticks.clock.now() == datetime(2026, 12, 13, 8, 30, tzinfo=UTC):
            assert len((await reminders_by_day(app))[SAM, date(2026, 12, 13)]) == 1
            await write(app, ticks, SAM, ["task: send the slides by Dec 14"])
    # The ticks of the 13th after its morning sent Sam nothing more that day.
    assert len((await reminders_by_day(app))[SAM, date(2026, 12, 13)]) == 1
    for step in range(4 * 15):
        await ticks.at(datetime(2026, 12, 14, 2, 30, tzinfo=UTC) + timedelta(hours=6 * step))

    by_day = await reminders_by_day(app)
    assert {key: len(texts) for key, texts in by_day.items() if len(texts) > 1} == {}
    (thirteenth,) = by_day[SAM, date(2026, 12, 13)]
    for n in range(1, 21):
        assert f"read chapter {n} (due Monday 14 December 2026)" in thirteenth
    for n in range(1, 6):
        assert f"write summary {n} (due Saturday 5 December 2026)" in thirteenth
    assert "book room" not in thirteenth and "send the slides" not in thirteenth
    (fourteenth,) = by_day[SAM, date(2026, 12, 14)]
    assert "send the slides" in fourteenth and "read chapter" not in fourteenth
    (mentor,) = by_day[ZOE, date(2026, 12, 13)]
    assert "book room 1" in mentor and "book room 2" in mentor and "chapter" not in mentor
    # Sam's days: the five's reminder (the 5th, the morning they fall due: the 4th brought
    # an invitation and the meeting's follow-up), their first nudge (6th), the 13th, the
    # slides (14th), then every late one together, once a week: the twenty's and the slides'
    # first nudge waits for the five's (20th), and all of them again a week on (27th).
    assert sorted(day.isoformat() for address, day in by_day if address == SAM) == [
        "2026-12-05",
        "2026-12-06",
        "2026-12-13",
        "2026-12-14",
        "2026-12-20",
        "2026-12-27",
    ]
    # The five's reminder came the morning they fall due, and says so.
    (fifth,) = by_day[SAM, date(2026, 12, 5)]
    assert "these action items are due today." in fifth
    (thirteenth_again,) = by_day[SAM, date(2026, 12, 13)]
    assert "due soon" in thirteenth_again and "due today" not in thirteenth_again
    for day in (20, 27):
        (notice,) = by_day[SAM, date(2026, 12, day)]
        assert "read chapter 20" in notice and "write summary 5" in notice
        assert "send the slides" in notice
    # Any task of the day's email is closed by its number in a reply to it.
    (row,) = await OutboundMessage.filter(
        kind="task_reminder", not_before=datetime(2026, 12, 13, 8, 30, tzinfo=UTC)
    )
    deliver(app, reply_to(wire_bytes(row, app.secret), sender=SAM, body="done 3\ndone 21"))
    await ticks.run("poll_inbox")
    done = await Task.filter(state=TaskState.DONE).values_list("text", flat=True)
    assert sorted(done) == ["read chapter 3", "write summary 1"]


async def test_private_action_items_are_reminded_apart_and_sealed(
    app: AppContext, worker: Worker
) -> None:
    from service.action_items.store import create_task
    from service.mail.kinds import Topic
    from service.storage.db import transaction

    pairing = await activated(app)
    ticks = Ticks(app, worker)
    ticks.clock.set(datetime(2026, 12, 3, 18, tzinfo=UTC))
    await write(app, ticks, SAM, ["task: read chapter 1 by Dec 14"])
    sam = await Person.get(email=SAM)
    # An action item from a performance conversation, due the same day.
    async with transaction() as connection:
        await create_task(
            connection,
            pairing,
            sam,
            "PRIVATE-MARK block two writing mornings",
            date(2026, 12, 14),
            ticks.clock.now(),
            secret=app.secret,
        )
    await ticks.at(datetime(2026, 12, 13, 8, 30, tzinfo=UTC))
    await ticks.at(datetime(2026, 12, 13, 14, 30, tzinfo=UTC))

    shared, private = await OutboundMessage.filter(kind="task_reminder").order_by("sealed")
    assert (shared.sealed, shared.topic, shared.replies_private) == (False, Topic.GENERAL, False)
    assert (private.sealed, private.topic, private.replies_private) == (True, Topic.PRIVATE, True)
    assert b"PRIVATE-MARK" not in bytes(private.raw_bytes)  # sealed at rest
    assert "PRIVATE-MARK" not in plain(app, shared) and "read chapter 1" in plain(app, shared)
    assert "PRIVATE-MARK block two writing mornings" in plain(app, private)
    assert "read chapter 1" not in plain(app, private)
    # Replying `done` to the private one closes the private task, and the answer is private.
    deliver(app, reply_to(wire_bytes(private, app.secret), sender=SAM, body="done 2"))
    await ticks.run("poll_inbox")
    assert [t.state.value for t in await Task.all().order_by("number")] == ["open", "done"]
    answered = await InboundMessage.all().order_by("-id").first()
    assert answered is not None and answered.sealed and answered.topic == Topic.PRIVATE


async def test_a_reminder_not_gone_yet_goes_inside_the_answer_to_a_reply(
    app: AppContext, worker: Worker
) -> None:
    await activated(app)
    ticks = Ticks(app, worker)
    ticks.clock.set(datetime(2026, 12, 3, 18, tzinfo=UTC))
    await write(app, ticks, SAM, [f"task: read chapter {n} by Dec 10" for n in (1, 2, 3)])
    # The 9th, 09:30 in Berlin: the day's reminder of the three is queued, and before the
    # sender takes it Sam writes that the first is done.
    ticks.clock.set(datetime(2026, 12, 9, 8, 30, tzinfo=UTC))
    await plan(app)
    (waiting,) = await OutboundMessage.filter(kind="task_reminder", status="pending")
    assert waiting.not_before == ticks.clock.now()
    await write(app, ticks, SAM, ["done 1"])

    # One email: the answer, listing what the reminder would have, read again now.
    assert not await OutboundMessage.filter(kind__in=REMINDERS).exists()
    answer = await OutboundMessage.filter(kind="understood").order_by("-id").first()
    assert answer is not None and answer.not_before == ticks.clock.now()
    text = plain(app, answer)
    assert "Task 1. read chapter 1 (due Thursday 10 December 2026) is done" in text
    due = text.split("A reminder: these action items are due soon.", 1)[1]
    assert "2. read chapter 2 (due Thursday 10 December 2026)" in due
    assert "3. read chapter 3" in due and "1. read chapter 1" not in due
    assert "reply with done 2" in text

    # A reply that closes the last of them takes the next reminder back with nothing to say.
    ticks.clock.set(datetime(2026, 12, 11, 8, 30, tzinfo=UTC))
    await plan(app)
    assert await OutboundMessage.filter(kind="task_overdue", status="pending").count() == 1
    await write(app, ticks, SAM, ["done 2", "done 3"])
    assert not await OutboundMessage.filter(kind__in=REMINDERS).exists()
    last = await OutboundMessage.filter(kind="understood").order_by("-id").first()
    assert last is not None and "A reminder" not in plain(app, last)
    assert "Still open" not in plain(app, last) and "reply with done" not in plain(app, last)


async def test_answers_that_ask_nothing_wait_for_the_morning_on_a_day_already_full(
    app: AppContext, worker: Worker
) -> None:
    await activated(app)
    ticks = Ticks(app, worker)
    ticks.clock.set(datetime(2026, 12, 9, 10, tzinfo=UTC))  # Wednesday, 11:00 in Berlin
    sam = await Person.get(email=SAM)

    async def answers() -> list[OutboundMessage]:
        return await OutboundMessage.filter(kind="understood", person_id=sam.id).order_by("id")

    # Each reply is answered at once while the day has room.
    written = 0
    while await mail_of_day(connections.get("default"), sam, ticks.clock.now()) < DAILY_LIMIT:
        written += 1
        await write(app, ticks, SAM, [f"task: read chapter {written}"])
        assert (await answers())[-1].status == "sent"
    answered = len(await answers())

    # The day is full: two more replies that ask for nothing more are answered together,
    # the next morning; one with a line not understood is answered at once.
    ticks.clock.set(datetime(2026, 12, 9, 14, tzinfo=UTC))
    await write(app, ticks, SAM, ["task: book the seminar room"])
    ticks.clock.set(datetime(2026, 12, 9, 17, tzinfo=UTC))
    await write(app, ticks, SAM, ["done 1"])
    ticks.clock.set(datetime(2026, 12, 9, 18, tzinfo=UTC))
    await write(app, ticks, SAM, ["please frobnicate the slides"])
    rows = await answers()
    assert len(rows) == answered + 2
    at_once, gathered = rows[-1], rows[-2]
    assert at_once.status == "sent" and "frobnicate" in plain(app, at_once)
    assert gathered.status == "pending" and gathered.dedupe_key.startswith("receipts:")
    assert gathered.not_before == datetime(2026, 12, 10, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    text = plain(app, gathered)
    assert "You wrote to us twice on Wednesday 9 December 2026" in text
    assert "Your reply of 15:00" in text and "Your reply of 18:00" in text
    assert "book the seminar room" in text and "Task 1. read chapter 1" in text
    assert await Task.filter(state=TaskState.DONE).count() == 1  # done at once, told later

    await ticks.at(datetime(2026, 12, 10, 7, 5, tzinfo=UTC))
    await ticks.run("send_outbox")
    assert (await OutboundMessage.get(id=gathered.id)).status == "sent"


async def test_a_reflection_kept_on_a_full_day_gets_no_email_of_its_own(
    app: AppContext, worker: Worker
) -> None:
    await activated(app)
    ticks = Ticks(app, worker)
    await ticks.at(datetime(2026, 12, 4, 9, tzinfo=UTC))  # the first meeting's follow-up
    (followup,) = await sent_to(app, SAM, "after_meeting")
    sam = await Person.get(email=SAM)
    written = 0
    while await mail_of_day(connections.get("default"), sam, ticks.clock.now()) < DAILY_LIMIT:
        written += 1
        await write(app, ticks, SAM, [f"task: read chapter {written}"])
    answers = await OutboundMessage.filter(kind="understood").count()
    # The follow-up said the reflection stays private: kept, as promised, and nothing sent.
    deliver(app, reply_to(followup, sender=SAM, body="I am still learning a lot."))
    await ticks.run("poll_inbox")
    (kept,) = await InboundMessage.filter(sealed=True)
    assert kept.status == "processed"
    assert await OutboundMessage.filter(kind="understood").count() == answers
    # One that says more waits for the morning with the day's others, sealed at rest.
    deliver(
        app,
        reply_to(
            followup,
            sender=SAM,
            body="task: MARKER-TASK read the review\nI learned a lot about MARKER-THOUGHT today.",
        ),
    )
    await ticks.run("poll_inbox")
    (waiting,) = await OutboundMessage.filter(kind="understood", status="pending")
    assert waiting.sealed and waiting.dedupe_key.endswith(":private")
    assert "MARKER" not in str(waiting.gathered) and "MARKER" not in str(waiting.raw_bytes)
    assert "MARKER-TASK read the review" in plain(app, waiting)
    assert "It is kept for you alone" in plain(app, waiting)


async def test_a_day_s_mail_is_counted_in_the_reader_s_own_day_on_either_database(
    app: AppContext, worker: Worker
) -> None:
    await activated(app)
    ticks = Ticks(app, worker)
    sam = await Person.get(email=SAM)
    sam.timezone = "America/Los_Angeles"
    await sam.save()
    # Wednesday 9 December, 19:00 in Los Angeles: already the 10th in UTC.
    ticks.clock.set(datetime(2026, 12, 10, 3, tzinfo=UTC))
    before = await mail_of_day(connections.get("default"), sam, ticks.clock.now())
    await write(app, ticks, SAM, ["task: read chapter 1"])
    after = await mail_of_day(connections.get("default"), sam, ticks.clock.now())
    assert after == before + 1
