"""The worker's jobs on a real Redis: stored mail applied in batches, lost jobs queued again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from arq.worker import Worker

from service.app import AppContext
from service.clock import ManualClock
from service.inbox.store import store_fetched
from service.jobs.runner import build_worker, watch_inbox
from service.storage.models import InboundMessage, InboundStatus, OutboundMessage, OutboundStatus
from tests.integration.test_flow import deliver, import_csv, sent_to
from tests.mail import reply_to


@pytest.fixture
async def worker(app: AppContext, redis_url: str) -> AsyncIterator[Worker]:
    built = await build_worker(redis_url, app=app, burst=True, cron_jobs=[], poll_delay=0.01)
    try:
        yield built
    finally:
        await built.close()


def out_of_office(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"someone{number}@elsewhere.example"
    message["To"] = "mentorship@mentormail.example"
    message["Subject"] = "Out of office"
    message["Message-ID"] = f"<ooo{number}@elsewhere.example>"
    message["Auto-Submitted"] = "auto-replied"
    message.set_content("I am away until Monday.")
    return message.as_bytes()


async def both_agree_by_reply(app: AppContext) -> None:
    """A pair imported, its agreement requests sent, and both answers in the inbox."""
    from service.outbox.sender import send_due

    await import_csv(app)
    await send_due(app)
    for address in ("sam@university.example", "zoe@hospital.example"):
        (request,) = await sent_to(app, address, "agreement_request")
        deliver(app, reply_to(request, sender=address, body="I agree"))


async def one_reply_among_machine_mail(app: AppContext, body: str) -> bytes:
    """Both agreements in the inbox, then a third reply saying `body`, then five out-of-office
    notices: one batch. Returns the third reply."""
    await both_agree_by_reply(app)
    (request,) = await sent_to(app, "sam@university.example", "agreement_request")
    reply = reply_to(request, sender="sam@university.example", body=body)
    deliver(app, reply)
    for number in range(5):
        deliver(app, out_of_office(number))
    return reply


async def test_a_wave_of_replies_is_applied_in_batches_and_answered(
    app: AppContext, worker: Worker
) -> None:
    await both_agree_by_reply(app)
    for number in range(60):  # more than one batch of machine mail around the two replies
        deliver(app, out_of_office(number))

    pool = worker.pool
    await pool.enqueue_job("poll_inbox")
    await worker.async_run()

    statuses = await InboundMessage.all().values_list("status", flat=True)
    assert len(statuses) == 62
    assert sorted(set(statuses)) == [InboundStatus.IGNORED, InboundStatus.PROCESSED]
    assert statuses.count(InboundStatus.PROCESSED) == 2
    # The answers went out in the same run: both signed agreements, and the answer to the
    # first "I agree" (the second's is the signed agreement itself). The first meeting's
    # invitations and the mentor's reflection exercise wait for a day with less mail, the
    # mentee's map a week.
    sent = await OutboundMessage.filter(status=OutboundStatus.SENT).values_list("kind", flat=True)
    assert sorted(k for k in sent if k != "agreement_request") == [
        "agreement_signed",
        "agreement_signed",
        "understood",
    ]
    pending = await OutboundMessage.filter(status=OutboundStatus.PENDING).values_list(
        "kind", flat=True
    )
    assert sorted(pending) == ["invitation", "invitation", "mentor_reflection", "mentoring_map"]


async def test_a_reply_that_trips_a_fault_fails_alone_and_its_batch_is_applied_once(
    app: AppContext, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.inbox import processing as inbox

    faulty = await one_reply_among_machine_mail(app, "Something odd")
    # A fault of ours that only this message trips, wherever it falls in the batch.
    read = inbox.parse_message

    def parse_message(raw: bytes) -> inbox.ParsedMessage:
        if b"Something odd" in raw:
            raise RuntimeError("a fault of ours")
        return read(raw)

    monkeypatch.setattr(inbox, "parse_message", parse_message)

    pool = worker.pool
    await pool.enqueue_job("poll_inbox")
    await worker.async_run()

    statuses = await InboundMessage.all().values_list("status", flat=True)
    assert sorted(statuses) == sorted(
        [InboundStatus.FAILED, *[InboundStatus.PROCESSED] * 2, *[InboundStatus.IGNORED] * 5]
    )
    failed = await InboundMessage.get(status=InboundStatus.FAILED)
    assert bytes(failed.raw_bytes) == faulty and "internal error" in (failed.reason or "")
    # The others were applied once each: one signed agreement each, and one answer to the
    # first "I agree" (the second's is the signed agreement itself).
    kinds = await OutboundMessage.exclude(kind="agreement_request").values_list("kind", flat=True)
    assert sorted(kinds) == [
        "agreement_signed",
        "agreement_signed",
        "invitation",
        "invitation",
        "mentor_reflection",
        "mentoring_map",
        "understood",
    ]


async def test_a_reply_whose_applying_never_finishes_is_failed_and_the_rest_go_on(
    app: AppContext, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.inbox import processing as inbox
    from service.inbox.inbound import Inbound

    stuck = await one_reply_among_machine_mail(app, "Something slow")
    # Applying this one reply never ends: the job's time limit cancels it, every time.
    decide = inbox.decide

    async def never_ending(inbound: Inbound) -> inbox.Outcome:
        if "Something slow" in inbound.parsed.visible_text:
            await asyncio.Event().wait()
        return await decide(inbound)

    monkeypatch.setattr(inbox, "decide", never_ending)
    worker.job_timeout_s = 1.0
    pool = worker.pool
    clock = app.clock
    assert isinstance(clock, ManualClock)

    await pool.enqueue_job("poll_inbox")
    await worker.async_run()
    assert await InboundMessage.filter(status=InboundStatus.PENDING).count() == 8
    # The tick queues what is still pending after a while: each message on its own now, the
    # stuck one last once it has held the others up, and failed once it has begun too often.
    for number in range(1, 6):
        clock.set(clock.now() + timedelta(minutes=6))
        await pool.enqueue_job("tick", _job_id=f"tick:{number}")
        await worker.async_run()
        if not await InboundMessage.filter(status=InboundStatus.PENDING).exists():
            break
    assert number == inbox.MAX_UNFINISHED

    failed = await InboundMessage.get(status=InboundStatus.FAILED)
    assert bytes(failed.raw_bytes) == stuck
    assert "never finished" in (failed.reason or "")
    statuses = await InboundMessage.exclude(id=failed.id).values_list("status", flat=True)
    assert sorted(statuses) == sorted(
        [*[InboundStatus.PROCESSED] * 2, *[InboundStatus.IGNORED] * 5]
    )
    kinds = await OutboundMessage.filter(kind__in=["agreement_signed", "understood"]).values_list(
        "kind", flat=True
    )
    # (The second "I agree" is answered by the signed agreement alone.)
    assert sorted(kinds) == ["agreement_signed", "agreement_signed", "understood"]


async def test_stored_mail_whose_job_was_lost_is_applied_by_a_later_tick(
    app: AppContext, worker: Worker
) -> None:
    from service.outbox.sender import send_due

    await import_csv(app)
    await send_due(app)
    (request,) = await sent_to(app, "sam@university.example", "agreement_request")
    deliver(app, reply_to(request, sender="sam@university.example", body="I agree"))
    # Stored and acknowledged, then the worker died before its processing job ran.
    (stored,) = await store_fetched(app)
    pool = worker.pool

    await pool.enqueue_job("tick", _job_id="tick:1")
    await worker.async_run()
    row = await InboundMessage.get(id=stored)
    assert row.status == InboundStatus.PENDING, "fresh mail is left to its own job"

    clock = app.clock
    assert isinstance(clock, ManualClock)
    clock.set(clock.now() + timedelta(minutes=10))
    await pool.enqueue_job("tick", _job_id="tick:2")
    await worker.async_run()
    row = await InboundMessage.get(id=stored)
    assert row.status == InboundStatus.PROCESSED
    assert len(await sent_to(app, "sam@university.example", "understood")) == 1


async def test_arriving_mail_is_fetched_without_waiting_for_the_next_poll(
    app: AppContext, worker: Worker
) -> None:
    pool = worker.pool
    watcher = asyncio.create_task(watch_inbox(app, pool))
    try:
        await asyncio.sleep(0.2)
        assert await pool.queued_jobs() == []  # nothing there, nothing queued
        deliver(app, out_of_office(1))
        for _ in range(100):
            queued = [job.function for job in await pool.queued_jobs()]
            if queued:
                break
            await asyncio.sleep(0.1)
        assert queued == ["poll_inbox"]
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    await worker.async_run()
    assert [row.status for row in await InboundMessage.all()] == [InboundStatus.IGNORED]
