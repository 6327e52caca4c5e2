"""The coordinator's digest: when it is due, and which pairings need a person, and why.

Pure: plain values in, decisions out. What a pairing's summary holds is what a coordinator
may know: never a reflection, an agenda, a reply's text or anything of a performance
conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.mail.writing.words import counted

EVERY = ("daily", "weekly", "monthly", "off")
# The mentee's prompts left unanswered in a row before the pairing is flagged: two meeting
# cycles (each brings an agenda request and an after-meeting prompt).
SILENT_PROMPTS = 4
# The agreement should be signed within a week of the invitation.
SIGN_WITHIN = timedelta(days=7)
ENDING_WITHIN = timedelta(days=31)


@dataclass(frozen=True)
class Period:
    """One digest's period: it is sent at `end`, about what happened since `start`."""

    key: str
    start: datetime
    end: datetime


def digest_period(every: str, now: datetime, tzid: str, weekday: int, hour: int) -> Period | None:
    """The latest period whose sending moment has come (None when digests are off).

    Daily at `hour`; weekly on `weekday` (0 Monday) at `hour`; monthly on the 1st at `hour`;
    all in the program's zone, so a digest lands at the same local time across DST.
    """
    zone = ZoneInfo(tzid)
    local = now.astimezone(zone)
    at = time(hour)

    def moment(day: date) -> datetime:
        return datetime.combine(day, at, tzinfo=zone)

    if every == "daily":
        day = local.date() if local >= moment(local.date()) else local.date() - timedelta(days=1)
        return Period(day.isoformat(), _utc(moment(day - timedelta(days=1))), _utc(moment(day)))
    if every == "weekly":
        day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
        if moment(day) > local:
            day -= timedelta(days=7)
        year, week, _ = day.isocalendar()
        return Period(
            f"{year}-W{week:02d}", _utc(moment(day - timedelta(days=7))), _utc(moment(day))
        )
    if every == "monthly":
        first = local.date().replace(day=1)
        if moment(first) > local:
            first = (first - timedelta(days=1)).replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        return Period(f"{first:%Y-%m}", _utc(moment(previous)), _utc(moment(first)))
    return None


def _utc(when: datetime) -> datetime:
    return when.astimezone(ZoneInfo("UTC"))


# Why mail to a person stopped, as the digest says it (the values of `Person.mail_stopped`).
STOPPED_KINDS = {"bounces": "undeliverable", "complaint": "marked as spam"}
_STOPPED_FLAGS = {
    "bounces": "their address keeps bouncing",
    "complaint": "they marked our mail as spam",
}


@dataclass(frozen=True)
class StoppedMail:
    """Someone whose mail has stopped, why ("bounces" or "complaint"), and since when."""

    name: str
    why: str
    since: datetime

    @property
    def kind(self) -> str:
        return STOPPED_KINDS.get(self.why, STOPPED_KINDS["bounces"])


@dataclass(frozen=True)
class PairSummary:
    """What the digest knows of one pairing."""

    number: int
    mentor: str
    mentee: str
    state: str
    interval_days: float  # the agreed cadence, in days
    cadence: str  # and in words: "every 2 weeks"
    created_at: datetime
    signed_at: datetime | None = None
    last_held: datetime | None = None  # the end of the last meeting held (not private)
    declined: int = 0  # upcoming meetings someone declined in their calendar
    silent: tuple[tuple[str, int], ...] = ()  # (who, prompts in a row without a reply)
    overdue: int = 0  # action items past their date (private ones never counted)
    disabled: tuple[StoppedMail, ...] = ()  # who no longer gets mail, and why
    projected_end: datetime | None = None
    help_notes: tuple[str, ...] = ()  # `help:` notes written in the period


@dataclass(frozen=True)
class Flag:
    urgency: int  # 1 is the most urgent
    reason: str


@dataclass(frozen=True)
class Attention:
    pair: PairSummary
    flags: tuple[Flag, ...] = field(default_factory=tuple)

    @property
    def urgency(self) -> int:
        return min(f.urgency for f in self.flags)


def _weeks(days: float) -> str:
    weeks = round(days / 7)
    return f"{weeks} weeks" if weeks != 1 else "a week"


def digest_flags(pair: PairSummary, now: datetime) -> list[Flag]:
    """Why a pairing needs a person now, most urgent first; empty when it does not."""
    flags: list[Flag] = []
    active = pair.state in ("active", "reevaluating")
    for stopped in pair.disabled:
        why = _STOPPED_FLAGS.get(stopped.why, _STOPPED_FLAGS["bounces"])
        flags.append(Flag(1, f"mail to {stopped.name} has stopped: {why}"))
    for note in pair.help_notes:
        flags.append(Flag(1, f"asked for help: {note}"))
    if active:
        since = pair.last_held or pair.signed_at
        quiet = (now - since).total_seconds() / 86400 if since else 0
        if since is not None and quiet > 2 * pair.interval_days:
            flags.append(Flag(2, f"no meeting held for {_weeks(quiet)} (agreed: {pair.cadence})"))
    if pair.declined:
        flags.append(Flag(3, f"{counted(pair.declined, 'upcoming meeting')} declined"))
    for who, count in pair.silent:
        if count >= SILENT_PROMPTS:
            flags.append(Flag(3, f"no reply from {who} to the last {count} prompts"))
    if pair.state == "agreeing" and now - pair.created_at > SIGN_WITHIN:
        flags.append(Flag(3, f"agreement not signed after {_weeks((now - pair.created_at).days)}"))
    if pair.overdue:
        flags.append(Flag(4, f"{counted(pair.overdue, 'action item')} overdue"))
    if pair.state == "reevaluating":
        flags.append(Flag(5, "re-evaluation due: waiting for their answer"))
    ending = pair.projected_end
    if active and ending is not None and timedelta(0) <= ending - now <= ENDING_WITHIN:
        flags.append(Flag(6, f"projected end on {pair.projected_end:%d %b %Y}"))
    return sorted(flags, key=lambda f: f.urgency)


def attention_order(item: Attention) -> tuple[int, int, int]:
    """The most urgent first; among equals, the one with more flags, then by number."""
    return item.urgency, -len(item.flags), item.pair.number


def needing_attention(pairs: list[PairSummary], now: datetime) -> list[Attention]:
    """The pairings that need a person, most urgent first (then by number)."""
    flagged = [Attention(p, tuple(digest_flags(p, now))) for p in pairs]
    return sorted((a for a in flagged if a.flags), key=attention_order)
