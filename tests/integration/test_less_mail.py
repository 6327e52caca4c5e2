"""Less mail, through the real jobs on SQLite and PostgreSQL: late action items in one notice
a week, an answer in the writer's own thread and only one for one event, questions held
after several went unanswered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from email.utils import make_msgid

import pytest
from arq.worker import Worker

from service.app import AppContext
from service.clock import ManualClock
from service.jobs.runner import build_worker
from service.meetings.planning import plan_meetings
from service.meetings.prompts import plan_prompts
from service.outbox.writer import wire_bytes
from service.storage.models import OutboundMessage
from tests.integration.test_flow import activated, deliver, receive, sent_to
from tests.integration.test_reminders import SAM, ZOE, Ticks, reminders_by_day, write
from tests.mail import parse, reply_to


@pytest.fixture
async def worker(app: AppContext, redis_url: str) -> AsyncIterator[Worker]:
    built = await build_worker(redis_url, app=app, burst=True, cron_jobs=[], poll_delay=0.01)
    try:
        yield built
    finally:
        await built.close()


def plain(raw: bytes) -> str:
    body = parse(raw).get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def test_late_action_items_due_on_different_days_come_in_one_notice_a_week(
    app: AppContext, worker: Worker
) -> None:
    await activated(app)
    ticks = Ticks(app, worker)
    ticks.clock.set(datetime(2026, 12, 3, 18, tzinfo=UTC))
    # Due Monday, Wednesday and Friday; none is done.
    await write(
        app,
        ticks,
        SAM,
        [
            "task: read the review by Dec 7",
            "task: draft aims by Dec 9",
            "task: ask Dr. Lee by Dec 11",
        ],
    )
    start = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)
    for step in range(4 * 20):  # four ticks a day up to the 23rd, one notice a week
        await ticks.at(start + timedelta(hours=6 * step))

    by_day = await reminders_by_day(app)
    # The day before each is due (the 8th and the 10th also naming the ones already late),
    # then one notice a week for all that are late (a week after the 10th's), never one a
    # task on its own day.
    days = sorted(day for address, day in by_day if address == SAM)
    assert days == [date(2026, 12, d) for d in (6, 8, 10, 17)]
    assert all(len(texts) == 1 for texts in by_day.values())
    (together,) = by_day[SAM, date(2026, 12, 17)]
    for text in ("read the review", "draft aims", "ask Dr. Lee"):
        assert text in together


async def test_the_signing_reply_is_answered_by_the_signed_agreement_alone(
    app: AppContext,
) -> None:
    await activated(app)
    # Sam agreed first and heard that Zoë's agreement was awaited; Zoë's "I agree" signed
    # the agreement, and the signed agreement is its only answer: one email, not two.
    (waiting,) = await sent_to(app, SAM, "understood")
    assert "Waiting for" in plain(waiting)
    assert await sent_to(app, ZOE, "understood") == []
    assert len(await sent_to(app, ZOE, "agreement_signed")) == 1


async def test_an_answer_is_a_short_reply_in_the_writer_s_thread(app: AppContext) -> None:
    await activated(app)
    (invitation,) = await sent_to(app, SAM, "invitation")
    # Sam answers it once it has reached him: the signing day's mail is behind him.
    (row,) = [r for r in await OutboundMessage.filter(kind="invitation") if SAM in r.recipients]
    clock = app.clock
    assert isinstance(clock, ManualClock)
    clock.set(row.not_before)
    theirs = reply_to(invitation, sender=SAM, body="task: read the review by Dec 20")
    sent = parse(theirs)
    deliver(app, theirs)
    await receive(app)
    answer = parse((await sent_to(app, SAM, "understood"))[-1])
    their_id = str(sent["Message-ID"])
    assert str(answer["Subject"]) == "Re: " + str(parse(invitation)["Subject"])
    assert str(answer["In-Reply-To"]) == their_id
    references = str(answer["References"]).split()
    assert references == [str(parse(invitation)["Message-ID"]), their_id]
    text = plain(bytes(answer))
    assert "read the review" in text
    # Nothing needed saying beyond what was done: no list of commands.
    assert "HOW TO ANSWER" not in text and "You may write" not in text

    # A reply with a line not understood, its subject stacked by its client, gets one
    # "Re:" and the commands it may write.
    again = parse(reply_to(answer, sender=SAM, body="done 99", style="outlook"))
    del again["Subject"]
    again["Subject"] = "RE: RE: " + str(parse(invitation)["Subject"])
    del again["Message-ID"]
    again["Message-ID"] = make_msgid(domain="university.example")
    deliver(app, bytes(again))
    await receive(app)
    partly = parse((await sent_to(app, SAM, "understood"))[-1])
    assert str(partly["Subject"]) == "Re: " + str(parse(invitation)["Subject"])
    assert str(partly["In-Reply-To"]) == str(again["Message-ID"])
    assert "HOW TO ANSWER" in plain(bytes(partly))


async def prompts_for_weeks(app: AppContext, weeks: int) -> None:
    """Planning and prompting twice a day, as the worker's cron would."""
    for _ in range(weeks * 7 * 2):
        await plan_meetings(app)
        await plan_prompts(app)
        app.clock.advance(timedelta(hours=12))  # type: ignore[attr-defined]


async def test_questions_left_unanswered_ask_once_then_wait_for_a_reply(app: AppContext) -> None:
    pairing = await activated(app)
    # A meeting every four weeks, and two questions to Sam around each; Sam answers none.
    await prompts_for_weeks(app, 16)
    questions = await OutboundMessage.filter(
        pairing_id=pairing.id, kind__in=("agenda_request", "after_meeting")
    ).order_by("created_at", "id")
    # Three questions, then a fourth asking whether Sam still wants them, then none.
    assert len(questions) == 4, [row.kind for row in questions]
    texts = [plain(wire_bytes(row, app.secret)) for row in questions]
    assert "We have not heard from you after our last 3 emails" in texts[3]
    assert not any("We have not heard from you" in text for text in texts[:3])
    # The meetings go on: their agendas still reach both.
    assert len(await sent_to(app, SAM, "agenda")) == len(await sent_to(app, ZOE, "agenda")) >= 4

    # Sam answers the question: the next ones come again.
    asking = wire_bytes(questions[3], app.secret)
    deliver(app, reply_to(asking, sender=SAM, body="Our progress on the grant"))
    await receive(app)
    await prompts_for_weeks(app, 3)
    again = await OutboundMessage.filter(
        pairing_id=pairing.id,
        kind__in=("agenda_request", "after_meeting"),
        id__gt=questions[-1].id,
    )
    assert again and not any("We have not heard" in plain(wire_bytes(r, app.secret)) for r in again)
