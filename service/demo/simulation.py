"""The demo: the real worker on embedded defaults, a travelling clock and simulated people."""

from __future__ import annotations

import html
import mailbox
import random
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.clock import ManualClock
from service.config import Settings
from service.jobs.embedded_redis import EmbeddedRedis
from service.jobs.runner import build_worker
from service.mail.transports.local import DirOutgoing, MaildirIncoming
from service.outbox.writer import OutboxWriter, wire_bytes
from service.program.roster import read_roster
from service.storage import db
from service.storage.models import InboundMessage, OutboundMessage, OutboundStatus, Pairing

MENTORS = (
    ("Dr. Zoë O'Brien", "America/New_York"),
    ("Prof. Kwame Mensah", "Europe/London"),
    ("Dr. Ana Sofía Reyes", "America/Mexico_City"),
    ("Dr. Henrik Løvås", "Europe/Oslo"),
    ("Dr. Mei-Ling Chen", "Asia/Taipei"),
    ("Dr. Rahul Iyer", "Asia/Kolkata"),
    ("Prof. Claire Dubois", "Europe/Paris"),
    ("Dr. James Whitfield", "Australia/Sydney"),
)
MENTEES = (
    ("Sam Okafor", "America/Chicago"),
    ("Léa Martin", "Europe/Berlin"),
    ("Tomás García", "America/Los_Angeles"),
    ("Aiko Tanaka", "Asia/Tokyo"),
    ("Priya Nair", "Asia/Kolkata"),
    ("Jonas Weber", "Europe/Berlin"),
    ("Fatima Al-Sayed", "Asia/Dubai"),
    ("Grace Kim", "America/New_York"),
)
FREQUENCIES = ("monthly", "every 2 weeks", "monthly", "every 3 weeks", "weekly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
GOALS = (
    "Submit a first-author abstract to the annual meeting",
    "Decide between a clinical and a research fellowship track",
    "Draft the specific aims of a career development award",
    "Build a network outside my own institution",
    "Learn to run a clinical trial from protocol to close-out",
)
STYLES = ("gmail", "outlook", "apple")
COORDINATOR = "coordinator@society.example"
# What the simulated people ever answer (see Simulation.answer).
ANSWERED_KINDS = frozenset(
    {
        "mentor_checkin",
        "performance_summary_request",
        "performance_followup_draft",
        "performance_followup",
        "performance_checkback",
        "closure",
        "mentoring_map",
        "agenda_request",
        "after_meeting",
        "task_reminder",
        "reevaluation",
        "agreement_request",
        "invitation",
        "digest",
    }
)
# "Tuesday 9 December 2026, 15:00" at the start of a meeting's label, in the reader's zone.
_WHEN = re.compile(r"(\d{1,2}) ([A-Z][a-z]+) (\d{4}), (\d{2}):(\d{2})")
TASKS = (
    "send my CV to my mentor",
    "draft the specific aims page",
    "read the two papers we discussed",
    "email the biostatistics core about a consult",
)
AGENDA_TOPICS = (
    "Feedback on my abstract draft",
    "Which fellowship programs to apply to",
    "How to find a second mentor for statistics",
    "Balancing clinic time with research",
    "Authorship on the cohort paper",
    "Preparing for my first grant submission",
)


@dataclass
class Person:
    name: str
    email: str
    timezone: str
    role: str
    style: str
    persona: str  # "prompt", "changes_terms", "slow", "silent" (agrees, then never answers)


@dataclass(order=True)
class Scheduled:
    due: datetime
    raw: bytes = field(compare=False)


def _slug(name: str) -> str:
    # "Léa" -> "lea": strip the accents rather than the letters.
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_name = decomposed.encode("ascii", "ignore").decode().lower()
    words = [
        w for w in ascii_name.replace("'", "").replace(".", " ").split() if w not in ("dr", "prof")
    ]
    return ".".join(words) or "someone"


def make_people(pairs: int, rng: random.Random) -> list[tuple[Person, Person]]:
    result = []
    for index in range(pairs):
        mentor_name, mentor_tz = MENTORS[index % len(MENTORS)]
        mentee_name, mentee_tz = MENTEES[(index * 3 + 1) % len(MENTEES)]
        suffix = "" if index < len(MENTORS) else str(index // len(MENTORS) + 1)
        mentor = Person(
            mentor_name,
            f"{_slug(mentor_name)}{suffix}@hospital.example",
            mentor_tz,
            "mentor",
            STYLES[index % 3],
            "changes_terms" if index % 4 == 1 else ("slow" if index % 5 == 3 else "prompt"),
        )
        mentee = Person(
            mentee_name,
            f"{_slug(mentee_name)}{suffix}@university.example",
            mentee_tz,
            "mentee",
            STYLES[(index + 1) % 3],
            "slow" if index % 6 == 4 else ("silent" if index % 6 == 2 else "prompt"),
        )
        result.append((mentor, mentee))
    return result


def _meeting_hour(mentor: Person, mentee: Person, on: date, preferred: int) -> int:
    """An hour in the mentor's zone that falls in both people's working day where possible
    (a coordinator would not pair a Kolkata afternoon with a Chicago night)."""

    def outside(hour: int, earliest: int, latest: int) -> float:
        start = datetime.combine(on, time(hour), tzinfo=ZoneInfo(mentor.timezone))
        total = 0.0
        for zone in (mentor.timezone, mentee.timezone):
            local = start.astimezone(ZoneInfo(zone))
            at = local.hour + local.minute / 60
            total += max(0, earliest - at, at - latest)
        return total

    # Awake for both first (07-21), then office hours (09-17), then the roster's own choice.
    return min(
        range(7, 22),
        key=lambda hour: (outside(hour, 7, 21), outside(hour, 9, 17), abs(hour - preferred)),
    )


def roster_csv(couples: list[tuple[Person, Person]], start: date, program: str) -> bytes:
    lines = [
        "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
        "mentee_timezone,start_date,frequency,weekday,time,coordinator_email"
    ]
    for index, (mentor, mentee) in enumerate(couples):
        cells = [
            program,
            mentor.name,
            mentor.email,
            mentor.timezone,
            mentee.name,
            mentee.email,
            mentee.timezone,
            start.isoformat(),
            FREQUENCIES[index % len(FREQUENCIES)],
            WEEKDAYS[index % len(WEEKDAYS)],
            f"{_meeting_hour(mentor, mentee, start, 9 + index % 8)}:00",
            COORDINATOR,
        ]
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    return ("\n".join(lines) + "\n").encode()


def _quote_block(received: EmailMessage) -> str:
    part = received.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    return str(text)


def compose_reply(
    person: Person, received: EmailMessage, body: str, when: datetime, rng: random.Random
) -> bytes:
    """A reply as the person's mail client would write it: quoting, signature and all."""
    sender = str(received["From"])
    sent_at = received["Date"].datetime if received["Date"] else when
    original = _quote_block(received)
    if person.style == "gmail":
        text = (
            f"{body}\n\n--\n{person.name}\n\n"
            f"On {sent_at:%a, %b %d, %Y at %H:%M}, {sender} wrote:\n"
            + "\n".join(f"> {line}" if line else ">" for line in original.splitlines())
        )
    elif person.style == "outlook":
        text = (
            f"{body}\n\nBest regards,\n{person.name}\n\n"
            "________________________________\n"
            f"From: {sender}\nSent: {sent_at:%A, %B %d, %Y %H:%M}\n"
            f"To: {person.name} <{person.email}>\nSubject: {received['Subject']}\n\n"
            f"{original}"
        )
    else:
        text = (
            f"{body}\n\nSent from my iPhone\n\n"
            f"> On {sent_at:%d %b %Y}, at {sent_at:%H:%M}, {sender} wrote:\n>\n"
            + "\n".join(f"> {line}" for line in original.splitlines())
        )
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = f"{person.name} <{person.email}>"
    reply_to = getaddresses([str(received.get("Reply-To", ""))])
    reply["To"] = reply_to[0][1] if reply_to else str(received["From"])
    subject = str(received["Subject"])
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    reply["Date"] = format_datetime(when)
    reply["Message-ID"] = make_msgid(
        idstring=str(rng.randrange(10**9)), domain=person.email.partition("@")[2]
    )
    reply["In-Reply-To"] = str(received["Message-ID"])
    reply["References"] = str(received["Message-ID"])
    reply.set_content(text)
    if person.style == "outlook":
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
        reply.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    return reply.as_bytes()


@dataclass
class Simulation:
    """Simulated people reading what they receive and answering some of it."""

    people: dict[str, Person]
    rng: random.Random
    scheduled: list[Scheduled] = field(default_factory=list)
    replies_written: int = 0
    answered: set[str] = field(default_factory=set)
    # Mentors whose mentee struggles: they ask for a performance conversation, once.
    concerned: set[str] = field(default_factory=set)
    talked: set[str] = field(default_factory=set)
    nudged: set[str] = field(default_factory=set)

    def receive(self, raw: bytes, now: datetime, recipient: str | None = None) -> None:
        """`recipient` is the envelope's: a copy (Cc) reaches one the To header does not name."""
        # Most mail is read and not answered: look at the raw headers before parsing it all.
        headers = _HEADERS.parsebytes(raw)
        kind = str(headers["X-Mentormail-Kind"])
        if kind == "digest" and recipient == COORDINATOR:
            self.coordinate(raw, now)
            return
        person = self.people.get(recipient or parseaddr(str(headers["To"]))[1].lower())
        if person is None or kind not in ANSWERED_KINDS:
            return
        if kind == "invitation" and not self.reschedules(_decoded(headers["Subject"])):
            return
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = self.answer(person, kind, message)
        if body is None:
            return
        hours = self.rng.uniform(2, 30) if person.persona != "slow" else self.rng.uniform(60, 120)
        when = now + timedelta(hours=hours)
        self.scheduled.append(Scheduled(when, compose_reply(person, message, body, when, self.rng)))
        self.replies_written += 1

    def coordinate(self, raw: bytes, now: datetime) -> None:
        """The coordinator reads the digest and nudges a silent pair, once each."""
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        text = _quote_block(message)
        silent = re.findall(r"^  #(\d+) .+\n(?:      - .+\n)*?      - no reply from", text, re.M)
        todo = [n for n in silent if n not in self.nudged]
        if not todo:
            return
        self.nudged.update(todo)
        coordinator = Person(
            "Pat Coordinator", COORDINATOR, "UTC", "coordinator", "gmail", "prompt"
        )
        when = now + timedelta(hours=self.rng.uniform(2, 20))
        body = "\n".join(f"nudge {n}" for n in todo)
        self.scheduled.append(
            Scheduled(when, compose_reply(coordinator, message, body, when, self.rng))
        )
        self.replies_written += 1

    def answer(self, person: Person, kind: str, message: EmailMessage) -> str | None:
        if person.persona == "silent" and kind != "agreement_request":
            return None  # agreed, and has not answered anything since
        if kind == "invitation":
            return self.reschedule(str(message["Subject"]))
        if kind == "agenda_request":
            # Most mentees manage up and send topics; some forget.
            if person.persona == "slow" or self.rng.random() < 0.2:
                return None
            topics = self.rng.sample(AGENDA_TOPICS, k=self.rng.randint(1, 3))
            return "Hi,\n\n" + "\n".join(topics)
        if kind == "after_meeting" and self.rng.random() < 0.7:
            task = self.rng.choice(TASKS)
            when = self.rng.choice(("Friday", "next Tuesday", "in two weeks", "Dec 20"))
            return (
                f"task: {task} by {when}\n\n"
                "It was a really useful meeting, I am still learning a lot."
            )
        # The prompt finish what they take on; the others, now and then.
        if kind == "task_reminder" and (person.persona == "prompt" or self.rng.random() < 0.5):
            found = re.search(r"reply with done (\d+)", _quote_block(message))
            return f"done {found.group(1)}" if found else None
        if kind == "reevaluation" and person.role == "mentee":
            # Now and then a pair decides their goals are met, and phases out gracefully.
            return self.rng.choice(
                ("keep", "More often", "less often", "frequency: every 3 weeks", "phase out")
            )
        if kind == "mentoring_map" and self.rng.random() < 0.6:
            mentor = self.partner_name(message)
            return (
                f"Career guidance: {mentor}\nResearch or clinical skills: my lab head\n"
                "Sponsorship: nobody yet\nEmotional support: my family\n"
                "Intellectual community: the journal club"
            )
        if kind == "mentor_checkin" and person.email in self.concerned - self.talked:
            # The guide: talk early, in private, while the problem is small.
            self.talked.add(person.email)
            return (
                "Drafts keep reaching me at the last minute; time for a proper talk.\n\n"
                "performance conversation"
            )
        if kind == "performance_summary_request":
            sent = message["Date"].datetime
            soon, later = sent + timedelta(days=14), sent + timedelta(days=35)
            return (
                "Summary: We talked about drafts reaching me late and what gets in the way.\n"
                "Expectation not met: drafts reach me a week before each deadline\n"
                "Incidents: the abstract came on its due day; the aims page two days late\n"
                "Action item: share a writing timeline for the next two deadlines "
                f"by {soon:%b} {soon.day}\n"
                f"Action item: block two writing mornings a week by {later:%b} {later.day}"
            )
        if kind == "performance_followup_draft":
            return "send"
        if kind == "performance_followup" and person.role == "mentee":
            return "confirm"
        if kind == "performance_checkback" and person.role == "mentor":
            return self.rng.choice(("Yes, much better.", "No, not really."))
        if kind == "closure":
            return (
                "Thank you for everything.\n\n"
                "I met most of my goals, and I know who to ask about the rest."
            )
        if kind != "agreement_request":
            return None
        lines: list[str] = []
        # A second request means the partner changed the terms: this time just agree.
        already_asked = person.email in self.answered
        self.answered.add(person.email)
        if person.role == "mentee" and not already_asked:
            goals = self.rng.sample(GOALS, k=2)
            lines += [f"Goal 1: {goals[0]}", f"Goal 2: {goals[1]}"]
        if person.role == "mentor" and person.persona == "changes_terms" and not already_asked:
            lines.append("Frequency: every 2 weeks")
            lines.append("Meeting length: 45 minutes")
        lines.append("I agree")
        greeting = "Thanks, looks good." if person.style != "outlook" else "Hello,"
        return greeting + "\n\n" + "\n".join(lines)

    @staticmethod
    def partner_name(message: EmailMessage) -> str:
        """The mentor named in a mentee's email ("… is one mentor")."""
        found = re.search(r"^(.+?) is one mentor", _quote_block(message), re.MULTILINE)
        return found.group(1) if found else "my mentor"

    def reschedules(self, subject: str) -> bool:
        """Now and then something comes up and a new meeting has to move."""
        return not subject.startswith("Updated") and self.rng.random() < 0.04

    def reschedule(self, subject: str) -> str | None:
        """To the next working day, an hour later, in the reader's own time."""
        found = _WHEN.search(subject)
        if found is None:
            return None
        day, month, year, hour, minute = found.groups()
        when = datetime.strptime(f"{day} {month} {year}", "%d %B %Y") + timedelta(days=1)
        when += timedelta(days=max(0, 7 - when.weekday()) if when.weekday() >= 5 else 0)
        new_hour = min(int(hour) + 1, 18)
        return (
            "Something came up, sorry.\n\n"
            f"reschedule: {when:%a %b} {when.day} {when.year} {new_hour}:{minute}"
        )

    def due(self, now: datetime) -> list[bytes]:
        ready = sorted(s for s in self.scheduled if s.due <= now)
        self.scheduled = [s for s in self.scheduled if s.due > now]
        return [s.raw for s in ready]

    def next_due(self) -> datetime | None:
        return min((s.due for s in self.scheduled), default=None)


# Headers only, as they are on the wire: the modern parser's header objects cost more than
# the simulation's own work, and only names and subjects need decoding.
_HEADERS = BytesHeaderParser(policy=policy.compat32)


def _decoded(value: str | None) -> str:
    """An RFC 2047 encoded header (a name or subject with accents) as the reader sees it."""
    if value is None:
        return ""
    return str(make_header(decode_header(value))) if "=?" in value else value


def write_index(outbox: Path) -> int:
    rows = []
    files = sorted(outbox.glob("*.eml"))
    for path in files:
        with path.open("rb") as handle:
            message = _HEADERS.parse(handle)
        rows.append(
            "<tr>"
            f"<td>{html.escape(_decoded(message['Date']))}</td>"
            f"<td>{html.escape(_decoded(message['X-Mentormail-Kind']))}</td>"
            f"<td>{html.escape(_decoded(message['To']))}</td>"
            f'<td><a href="{html.escape(path.name)}">'
            f"{html.escape(_decoded(message['Subject']))}</a></td>"
            "</tr>"
        )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>mentormail demo outbox</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1rem}table{border-collapse:"
        "collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;"
        "font-size:.9rem}</style></head><body>"
        f"<h1>Demo outbox</h1><p>{len(files)} emails, oldest first.</p>"
        "<table><thead><tr><th>Date</th><th>Kind</th><th>To</th><th>Subject</th></tr></thead>"
        "<tbody>" + "".join(rows) + "</tbody></table></body></html>"
    )
    (outbox / "index.html").write_text(page, encoding="utf-8")
    return len(files)


async def run_demo(
    *, pairs: int, months: int, out: Path, console: Console, seed: int = 7
) -> dict[str, Any]:
    rng = random.Random(seed)
    for sub in ("outbox", "data"):
        shutil.rmtree(out / sub, ignore_errors=True)
    data_dir = out / "data"
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
    settings = Settings(**overrides)
    start = datetime.combine(datetime.now(UTC).date(), time(9, 0), tzinfo=UTC)
    end = start + timedelta(days=30 * months)
    clock = ManualClock(start)
    redis = EmbeddedRedis(data_dir / "redis")
    redis.start()
    await db.init(settings.resolved_database_url)
    inbox_dir = settings.inbox_dir
    app = AppContext(
        settings=settings,
        clock=clock,
        secret=settings.resolved_secret(),
        outgoing=DirOutgoing(out / "outbox"),
        incoming=MaildirIncoming(inbox_dir),
    )
    maildir = mailbox.Maildir(inbox_dir, create=True)
    couples = make_people(pairs, rng)
    people = {p.email: p for couple in couples for p in couple}
    simulation = Simulation(people, rng)
    simulation.concerned = {mentor.email for mentor, mentee in couples if mentee.persona == "slow"}
    roster = read_roster(
        roster_csv(couples, start.date() + timedelta(days=7), "Hematology Mentorship 2027")
    )
    if roster.errors:
        raise RuntimeError(f"demo roster is invalid: {roster.errors[0]}")
    await import_roster(roster, OutboxWriter(settings, app.secret), clock.now())
    worker = await build_worker(redis.url, app=app, burst=True, cron_jobs=[], poll_delay=0.002)
    pool = worker.pool
    step = 0
    try:
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
            while clock.now() < end:
                step += 1
                replies = simulation.due(clock.now())
                for raw in replies:
                    maildir.add(raw)
                # What the worker's cron would do at this moment; the tick queues the sending.
                if replies:
                    await pool.enqueue_job("poll_inbox", _job_id=f"demo:poll:{step}")
                await pool.enqueue_job("tick", _job_id=f"demo:tick:{step}")
                await worker.async_run()
                # What this step sent (held mail goes out later than newer rows: by time,
                # not by id).
                sent = await OutboundMessage.filter(
                    status=OutboundStatus.SENT, sent_at__gte=clock.now()
                ).order_by("id")
                for row in sent:
                    simulation.receive(wire_bytes(row, app.secret), clock.now(), row.recipients[0])
                upcoming = simulation.next_due()
                target = clock.now() + timedelta(hours=12)
                if upcoming is not None and upcoming < target:
                    target = max(upcoming, clock.now() + timedelta(minutes=5))
                clock.set(min(target, end))
                progress.update(
                    task,
                    completed=(clock.now() - start).total_seconds(),
                    description=clock.now().date().isoformat(),
                )
        summary = await _summary(out / "outbox", simulation)
    finally:
        await worker.close()
        await app.outgoing.close()
        await app.incoming.close()
        await db.close()
        redis.stop()
    _print_summary(console, summary, out, pairs, months)
    return summary


async def _summary(outbox: Path, simulation: Simulation) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for kind in await OutboundMessage.filter(status=OutboundStatus.SENT).values_list(
        "kind", flat=True
    ):
        kinds[str(kind)] = kinds.get(str(kind), 0) + 1
    states: dict[str, int] = {}
    for state in await Pairing.all().values_list("state", flat=True):
        states[str(state)] = states.get(str(state), 0) + 1
    inbound: dict[str, int] = {}
    for status in await InboundMessage.all().values_list("status", flat=True):
        inbound[str(status)] = inbound.get(str(status), 0) + 1
    emails = write_index(outbox)
    return {
        "emails": emails,
        "kinds": kinds,
        "pairings": states,
        "inbound": inbound,
        "replies_written": simulation.replies_written,
    }


def _print_summary(
    console: Console, summary: dict[str, Any], out: Path, pairs: int, months: int
) -> None:
    table = Table(title=f"Demo: {pairs} pairs over {months} month(s)")
    table.add_column("what")
    table.add_column("count", justify="right")
    for kind, count in sorted(summary["kinds"].items()):
        table.add_row(f"sent: {kind}", str(count))
    for state, count in sorted(summary["pairings"].items()):
        table.add_row(f"pairings {state}", str(count))
    for status, count in sorted(summary["inbound"].items()):
        table.add_row(f"replies {status}", str(count))
    console.print(table)
    console.print(
        f"{summary['emails']} emails in {out / 'outbox'}; "
        f"open {out / 'outbox' / 'index.html'} to read them."
    )
