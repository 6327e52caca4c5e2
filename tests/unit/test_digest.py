"""When a coordinator's digest is due, and which pairings it names, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.coordinators.digest_rules import (
    PairSummary,
    StoppedMail,
    digest_flags,
    digest_period,
    needing_attention,
)

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # a Wednesday


def pair(number: int = 1, **changes: object) -> PairSummary:
    values: dict[str, object] = {
        "number": number,
        "mentor": "Zoë",
        "mentee": "Sam",
        "state": "active",
        "interval_days": 14,
        "cadence": "every 2 weeks",
        "created_at": NOW - timedelta(days=60),
        "signed_at": NOW - timedelta(days=55),
        "last_held": NOW - timedelta(days=5),
    }
    values.update(changes)
    return PairSummary(**values)  # type: ignore[arg-type]


def test_weekly_at_the_program_s_hour_whatever_the_offset() -> None:
    period = digest_period("weekly", NOW, "America/New_York", 0, 8)
    assert period is not None
    assert period.key == "2027-W10"
    assert period.end == datetime(2027, 3, 8, 13, 0, tzinfo=UTC)  # Monday 08:00 EST
    assert period.start == period.end - timedelta(days=7)
    # After the switch to summer time the same 08:00 is an hour earlier in UTC.
    later = digest_period("weekly", NOW + timedelta(days=7), "America/New_York", 0, 8)
    assert later is not None and later.end == datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
    assert later.end - later.start == timedelta(days=7, hours=-1)


def test_the_moment_itself_starts_the_new_period() -> None:
    monday = datetime(2027, 3, 8, 8, 0, tzinfo=UTC)
    before = digest_period("weekly", monday - timedelta(seconds=1), "UTC", 0, 8)
    at = digest_period("weekly", monday, "UTC", 0, 8)
    assert before is not None and at is not None
    assert before.key == "2027-W09" and at.key == "2027-W10"


def test_daily_monthly_and_off() -> None:
    daily = digest_period("daily", NOW, "Europe/Berlin", 0, 7)
    assert daily is not None and daily.key == "2027-03-10"
    early = digest_period("daily", datetime(2027, 3, 10, 5, 0, tzinfo=UTC), "Europe/Berlin", 0, 7)
    assert early is not None and early.key == "2027-03-09"
    monthly = digest_period("monthly", NOW, "UTC", 0, 8)
    assert monthly is not None and monthly.key == "2027-03"
    assert monthly.start == datetime(2027, 2, 1, 8, tzinfo=UTC)
    assert digest_period("off", NOW, "UTC", 0, 8) is None


def test_a_healthy_pairing_is_not_flagged() -> None:
    assert digest_flags(pair(), NOW) == []
    assert needing_attention([pair()], NOW) == []


def test_each_reason_a_pairing_needs_a_person() -> None:
    reasons = {
        "no meeting held for 5 weeks (agreed: every 2 weeks)": pair(
            last_held=NOW - timedelta(days=35)
        ),
        "no reply from Sam to the last 4 prompts": pair(silent=(("Sam", 4),)),
        "2 action items overdue": pair(overdue=2),
        "mail to Sam has stopped: their address keeps bouncing": pair(
            disabled=(StoppedMail("Sam", "bounces", NOW),)
        ),
        "mail to Sam has stopped: they marked our mail as spam": pair(
            disabled=(StoppedMail("Sam", "complaint", NOW),)
        ),
        "asked for help: we never meet": pair(help_notes=("we never meet",)),
        "1 upcoming meeting declined": pair(declined=1),
        "re-evaluation due: waiting for their answer": pair(state="reevaluating"),
        "projected end on 01 Apr 2027": pair(projected_end=datetime(2027, 4, 1, tzinfo=UTC)),
        "agreement not signed after 2 weeks": pair(
            state="agreeing", signed_at=None, last_held=None, created_at=NOW - timedelta(days=12)
        ),
    }
    for reason, summary in reasons.items():
        assert [f.reason for f in digest_flags(summary, NOW)] == [reason]
    # Three prompts unanswered is not yet silence; a paused pair is not "not meeting".
    assert digest_flags(pair(silent=(("Sam", 3),)), NOW) == []
    assert digest_flags(pair(state="paused", last_held=NOW - timedelta(days=90)), NOW) == []


def test_most_urgent_first() -> None:
    ranked = needing_attention(
        [
            pair(1, overdue=1),
            pair(2, disabled=(StoppedMail("Sam", "complaint", NOW),)),
            pair(3, last_held=NOW - timedelta(days=40)),
            pair(4),
        ],
        NOW,
    )
    assert [a.pair.number for a in ranked] == [2, 3, 1]


def test_mail_stopped_is_named_by_its_kind() -> None:
    assert StoppedMail("Sam", "complaint", NOW).kind == "marked as spam"
    assert StoppedMail("Sam", "bounces", NOW).kind == "undeliverable"
