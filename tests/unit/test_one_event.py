"""One email for one event: a reply whose applying sent its writer an email that says all it
did gets no `understood` besides."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import cast

from service.inbox.answers import answered_by_other_mail
from service.inbox.reply import Reply
from service.reflections.checkins import KEPT

NOW = datetime(2026, 12, 30, 16, tzinfo=UTC)
PLANNED = "A private conversation with Mia Voß is planned for Friday 8 January 2027"


def reply(applied: list[str], sent: list[str]) -> Reply:
    """A reply of person 7 whose applying queued them `sent` (kinds), going now."""
    outbox = SimpleNamespace(queued=[(7, kind, NOW) for kind in sent])
    stand_in = SimpleNamespace(
        person=SimpleNamespace(id=7), now=NOW, outbox=outbox, queued_from=0, applied=applied
    )
    stand_in.sent_writer = lambda kinds: Reply.sent_writer(cast(Reply, stand_in), kinds)
    return cast(Reply, stand_in)


def test_a_meeting_asked_for_in_a_reflection_is_answered_by_its_invitation_alone() -> None:
    # The check-in's answer: the reflection kept (as the email promised) and the meeting.
    assert answered_by_other_mail(reply([KEPT, PLANNED], ["invitation"]))
    assert answered_by_other_mail(reply([PLANNED], ["invitation"]))


def test_anything_else_said_besides_gets_its_answer() -> None:
    # A reflection shared with the partner, or a second thing done, is said in an answer.
    shared = "Thank you for your reflection. As you asked, Mia Voß receives it too."
    assert not answered_by_other_mail(reply([shared, PLANNED], ["invitation"]))
    assert not answered_by_other_mail(reply([PLANNED, "Task 2 is done."], ["invitation"]))
    # No invitation went: the answer says what was done.
    assert not answered_by_other_mail(reply([KEPT, PLANNED], []))
