"""The `mentormail` command: import, program, coordinator, outbox, run, demo, status, report,
inspect, check, migrate, secret, rotate-secret."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from service.config import Settings
from service.jobs import loop
from service.mail.writing.words import counted
from service.storage import db

app = typer.Typer(
    help="mentormail runs mentoring programs by email.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


def _settings() -> Settings:
    return Settings()


async def _open(settings: Settings) -> None:
    """The service's database, for the commands that read it and never make one."""
    try:
        await db.init_existing(settings.resolved_database_url)
    except db.NoDatabase as exc:
        errors.print(
            f"{exc}. Run this where `mentormail import` was run, or set DATABASE_URL (or "
            "MENTORMAIL_DATA_DIR) to the service's; `mentormail migrate` makes an empty one.",
            markup=False,
        )
        raise typer.Exit(1) from None


@app.command("import")
def import_pairs(
    csv_file: Annotated[Path, typer.Argument(help="The coordinator's CSV of pairs.")],
) -> None:
    """Validate a CSV of pairs and, when every row is right, import it and send agreements."""
    from service.agreement.enrolment import import_roster
    from service.clock import SystemClock
    from service.outbox.writer import OutboxWriter
    from service.program.roster import read_roster

    try:
        data = csv_file.read_bytes()
    except OSError as exc:
        errors.print(f"[red]Cannot read {csv_file}: {exc.strerror}[/red]")
        raise typer.Exit(2) from None
    roster = read_roster(data, SystemClock().now().date())
    if roster.errors:
        errors.print(f"[red]{csv_file}: nothing was imported; fix these and import again:[/red]")
        for error in roster.errors:
            errors.print(f"  {csv_file}: {error}", markup=False, highlight=False)
        raise typer.Exit(1)
    settings = _settings()
    _refuse_weak_secret(settings)  # the agreement requests are signed with it

    async def run() -> None:
        await db.init(settings.resolved_database_url)
        try:
            outbox = OutboxWriter(settings, settings.resolved_secret())
            result = await import_roster(roster, outbox, SystemClock().now())
        finally:
            await db.close()
        console.print(
            f"Imported {counted(len(result.created), 'new pairing')} in "
            f"{counted(len(result.programs), 'program')}; {result.unchanged} already there "
            "were left unchanged."
        )
        if result.created:
            console.print("Agreement requests are in the outbox; `mentormail run` sends them.")
        for name, days_off in sorted(result.new_programs.items()):
            console.print(
                f"{name}: meetings avoid {days_off} (from its time zone); "
                f'`mentormail holidays "{name}" --country …` changes that.',
                markup=False,
            )

    loop.run(run())


@app.command()
def status(
    pairings: Annotated[
        int,
        typer.Option("--pairings", min=0, help="How many pairings to list, by number (0: all)."),
    ] = 50,
) -> None:
    """Programs and their pairings by state, the first pairings, and the outbox by status."""
    settings = _settings()

    async def run() -> None:
        await _open(settings)
        try:
            console.print(await _programs_table())
            await _print_pairings(pairings)
            console.print(f"Outbox: {await _outbox_summary()}")
            waiting = await _sending_waits()
            if waiting:
                console.print(waiting, markup=False)
        finally:
            await db.close()

    loop.run(run())


async def _programs_table() -> Table:
    """Every program, with its pairings counted by state."""
    from tortoise.functions import Count

    from service.storage.models import Pairing, Program

    programs = Table(title="Programs")
    for column in ("id", "program", "pairings", "by state", "coordinator"):
        programs.add_column(column)
    for program in await Program.all().order_by("id"):
        states = await (
            Pairing.filter(program_id=program.id)
            .annotate(n=Count("id"))
            .group_by("state")
            .values_list("state", "n")
        )
        programs.add_row(
            str(program.id),
            program.name,
            str(sum(int(n) for _, n in states)),
            ", ".join(f"{n} {state}" for state, n in sorted(states)) or "-",
            program.coordinator_email or "-",
        )
    return programs


async def _print_pairings(pairings: int) -> None:
    """The first `pairings` pairings by number (0: all), printed a chunk at a time as they are
    read, and how many more there are."""
    from service.program.pairings import pairings_by_number
    from service.storage.models import Pairing

    total = await Pairing.all().count()
    wanted = pairings or total
    listed = 0
    async for chunk in pairings_by_number(None, "program", "mentor", "mentee"):
        rows = chunk[: wanted - listed]
        table = Table(title=None if listed else "Pairings", show_header=not listed)
        for column in ("#", "program", "mentor", "mentee", "state", "since"):
            table.add_column(column)
        for pairing in rows:
            table.add_row(
                str(pairing.id),
                pairing.program.name,
                pairing.mentor.name,
                pairing.mentee.name,
                pairing.state.value,
                pairing.created_at.date().isoformat(),
            )
        console.print(table)
        listed += len(rows)
        if listed >= wanted:
            break
    if listed < total:
        console.print(
            f"… and {total - listed} more pairings: "
            "`mentormail status --pairings 0` lists them all."
        )


async def _outbox_summary() -> str:
    """The outbox counted by status ("pending: 2, sent: 5"), or "empty"."""
    from tortoise.functions import Count

    from service.storage.models import OutboundMessage

    by_status = await (
        OutboundMessage.all().annotate(n=Count("id")).group_by("status").values_list("status", "n")
    )
    return ", ".join(f"{k}: {v}" for k, v in sorted(by_status)) or "empty"


async def _sending_waits() -> str | None:
    """Why mail waits, when the last try found the mail server refusing our settings or
    not answering at all."""
    from service.outbox.sender import SERVER_AWAY, SETTINGS_PROBLEM
    from service.storage.models import OutboundMessage, OutboundStatus

    for prefix, advice in (
        (
            SETTINGS_PROBLEM,
            "the mail server refuses our settings ({}). Mend SMTP_URL (or the"
            " MAIL_OAUTH_ setting named) and restart the worker",
        ),
        (SERVER_AWAY, "no mail server answers ({}). It is sent when one does"),
    ):
        waiting = OutboundMessage.filter(
            status=OutboundStatus.PENDING, last_error__startswith=prefix
        )
        last = await waiting.order_by("-id").limit(1).values_list("last_error", flat=True)
        if last:
            reason = str(last[0]).removeprefix(prefix)
            return f"Sending waits: {advice.format(reason)}; nothing is lost meanwhile."
    return None


class SheetFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@app.command()
def report(
    program: Annotated[
        str | None, typer.Option(help="One program, as the CSV names it (all when left out).")
    ] = None,
    sheet_format: Annotated[
        SheetFormat | None,
        typer.Option("--format", help="csv or xlsx (left out: as --out ends, else csv)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="The file to write (left out: standard output).")
    ] = None,
) -> None:
    """Every pairing as a spreadsheet: people, agreement, meetings held and planned, last
    replies, open and overdue action items, the digest's flags. Nothing private."""
    from service.clock import SystemClock
    from service.coordinators.report import program_report
    from service.coordinators.report_rules import Cell
    from service.coordinators.spreadsheet import as_csv, as_xlsx
    from service.storage.models import Program

    if sheet_format is None:
        as_xlsx_file = out is not None and out.suffix.lower() == ".xlsx"
        sheet_format = SheetFormat.XLSX if as_xlsx_file else SheetFormat.CSV
    if sheet_format == SheetFormat.XLSX and out is None and sys.stdout.isatty():
        errors.print("An XLSX file is not for the terminal: write it with --out FILE.xlsx")
        raise typer.Exit(2)
    settings = _settings()

    async def run() -> list[tuple[Cell, ...]] | str:
        await _open(settings)
        try:
            programs = await (
                Program.filter(name__iexact=program) if program is not None else Program.all()
            )
            if program is not None and not programs:
                names = sorted(str(n) for n in await Program.all().values_list("name", flat=True))
                return f"No program is called {program!r}; programs: {', '.join(names) or 'none'}"
            return (await program_report(programs, SystemClock().now())).rows
        finally:
            await db.close()

    rows = loop.run(run())
    if isinstance(rows, str):
        errors.print(rows, markup=False)
        raise typer.Exit(1)
    data = as_xlsx(rows) if sheet_format == SheetFormat.XLSX else as_csv(rows)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        errors.print(f"Cannot write {out}: {exc.strerror}", markup=False)
        raise typer.Exit(1) from None
    count = f"{len(rows):,} pairing" + ("" if len(rows) == 1 else "s")
    console.print(f"The report of {count} is in {out}.", markup=False)


@app.command()
def inspect(
    files: Annotated[list[Path], typer.Argument(help="Raw messages (.eml) or bare reply bodies.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show how a message would be understood, without touching the database."""
    from service.inbox.explain import inspect_bytes

    failed = False
    for path in files:
        try:
            result = inspect_bytes(path.read_bytes())
        except OSError as exc:
            errors.print(f"{path}: cannot read: {exc.strerror}", markup=False)
            failed = True
            continue
        if as_json:
            sys.stdout.write(json.dumps({"file": str(path), **result}, ensure_ascii=False) + "\n")
            continue
        console.rule(str(path))
        console.print(f"kind: {result['kind']}   from: {result['from'] or '-'}", markup=False)
        console.print("visible text:", style="bold")
        console.print(str(result["visible_text"]) or "(none)", markup=False, highlight=False)
        commands = result.get("commands") or []
        assert isinstance(commands, list)
        console.print("commands:", style="bold")
        for command in commands:
            console.print(f"  {command['name']} {command['args']}", markup=False)
        if not commands:
            console.print("  (none)")
        held = result.get("held") or []
        assert isinstance(held, list)
        if held:
            console.print("not acted on (the writer is asked):", style="bold")
            for line in held:
                write = " / ".join(line["write"])
                console.print(f"  {line['line']}: {line['why']}; write {write}", markup=False)
    if failed:
        raise typer.Exit(1)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@app.command()
def program(
    name: Annotated[str, typer.Argument(help="The program, as the CSV names it.")],
    timezone: Annotated[str | None, typer.Option(help="Its time zone, e.g. Europe/Berlin.")] = None,
    digest_weekday: Annotated[
        str | None, typer.Option(help="The weekly digest's day, e.g. monday.")
    ] = None,
    digest_hour: Annotated[
        int | None, typer.Option(min=0, max=23, help="The digest's hour (0-23), local.")
    ] = None,
) -> None:
    """Show a program's settings, or change when its coordinators' digests go."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from service.storage.models import Coordinator, Program

    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.print(f"{timezone!r} is not a known time zone (e.g. Europe/Berlin)")
            raise typer.Exit(2) from None
    day = None
    if digest_weekday is not None:
        matches = [i for i, d in enumerate(WEEKDAYS) if d.startswith(digest_weekday.lower()[:3])]
        if len(digest_weekday) < 3 or not matches:
            errors.print(f"{digest_weekday!r} is not a weekday (monday … sunday)")
            raise typer.Exit(2)
        day = matches[0]
    settings = _settings()

    async def run() -> None:
        await _open(settings)
        try:
            found = await Program.get_or_none(name=name)
            if found is None:
                errors.print(f"There is no program named {name!r}.")
                raise typer.Exit(1)
            if timezone is not None:
                found.timezone = timezone
            if day is not None:
                found.digest_weekday = day
            if digest_hour is not None:
                found.digest_hour = digest_hour
            await found.save()
            coordinators = await Coordinator.filter(program=found).values_list("email", flat=True)
        finally:
            await db.close()
        console.print(
            f"{found.name}: time zone {found.timezone}; digests on "
            f"{WEEKDAYS[found.digest_weekday].capitalize()}s at {found.digest_hour:02d}:00 "
            f"(daily ones at that hour, monthly ones on the 1st); coordinators: "
            f"{', '.join(map(str, coordinators)) or 'none'}"
        )

    loop.run(run())


coordinator_commands = typer.Typer(
    help="Who coordinates a program. Only here: an emailed import adds no coordinator.",
    no_args_is_help=True,
)
app.add_typer(coordinator_commands, name="coordinator")


def _membership(change: Callable[[], Awaitable[str]]) -> None:
    """Run a change to who coordinates what, and say what it did."""
    from service.coordinators.membership import MembershipError

    settings = _settings()

    async def run() -> str:
        await _open(settings)
        try:
            return await change()
        finally:
            await db.close()

    try:
        console.print(loop.run(run()), markup=False)
    except MembershipError as exc:
        errors.print(str(exc), markup=False)
        raise typer.Exit(1) from None


@coordinator_commands.command("add")
def coordinator_add(
    program: Annotated[str, typer.Argument(help="The program, as the CSV names it.")],
    email: Annotated[str, typer.Argument(help="The coordinator's address.")],
) -> None:
    """Make someone a coordinator of a program: they get its digest and may act on it."""
    from service.clock import SystemClock
    from service.coordinators.membership import add_coordinator

    _membership(lambda: add_coordinator(program, email, SystemClock().now()))


@coordinator_commands.command("remove")
def coordinator_remove(
    program: Annotated[str, typer.Argument(help="The program, as the CSV names it.")],
    email: Annotated[str, typer.Argument(help="The coordinator's address.")],
) -> None:
    """Stop someone coordinating a program."""
    from service.coordinators.membership import remove_coordinator

    _membership(lambda: remove_coordinator(program, email))


@coordinator_commands.command("list")
def coordinator_list(
    program: Annotated[str | None, typer.Argument(help="One program (all when left out).")] = None,
) -> None:
    """Who coordinates which program."""
    from service.coordinators.membership import coordinators

    async def listed() -> str:
        rows = await coordinators(program)
        return "\n".join(f"{name}: {email}" for name, email in rows) or "No coordinators."

    _membership(listed)


@app.command()
def holidays(
    program: Annotated[str, typer.Argument(help="The program, as the CSV names it.")],
    country: Annotated[
        str | None,
        typer.Option(
            help="Public holidays of a country, or a country and region: US, US-NY, "
            "DE-BY; none for no public holidays."
        ),
    ] = None,
    add: Annotated[
        list[str] | None,
        typer.Option(
            help="A day off of the program's own: 2026-12-24 or 2026-12-24='Office "
            "closed'. May be given several times."
        ),
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option(help="One of the program's own days off, taken back.")
    ] = None,
) -> None:
    """A program's days off: meetings that fall on one move to the nearest working day.
    Without options, lists them for the year ahead."""
    from service.clock import SystemClock
    from service.coordinators.holidays import set_days_off

    settings = _settings()

    async def run() -> str:
        await _open(settings)
        try:
            today = SystemClock().now().date()
            return await set_days_off(program, today, country=country, add=add, remove=remove)
        finally:
            await db.close()

    try:
        console.print(loop.run(run()), markup=False)
    except ValueError as exc:
        errors.print(str(exc), markup=False)
        raise typer.Exit(1) from None


outbox_commands = typer.Typer(help="The mail waiting to go, and mail that failed.")
app.add_typer(outbox_commands, name="outbox")


@outbox_commands.command("retry")
def outbox_retry(
    kind: Annotated[str | None, typer.Option(help="Only mail of this kind.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only mail first queued on or after this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Queue mail that failed for good again: after a long outage, or settings mended."""
    from datetime import UTC, datetime

    from service.clock import SystemClock
    from service.mail.kinds import KINDS
    from service.outbox.requeue import requeue_failed

    if kind is not None and kind not in KINDS:
        errors.print(f"--kind: no kind of email is called {kind!r}; kinds: {', '.join(KINDS)}")
        raise typer.Exit(2)
    try:
        start = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
    except ValueError:
        errors.print(f"--since: {since!r} is not a date like 2026-12-01")
        raise typer.Exit(2) from None
    settings = _settings()

    async def run() -> str:
        await _open(settings)
        try:
            return await requeue_failed(SystemClock().now(), kind, start)
        finally:
            await db.close()

    console.print(loop.run(run()), markup=False)


@app.command()
def check(
    wait: Annotated[
        float,
        typer.Option(min=1, help="Seconds to wait for the round trip's message to come back."),
    ] = 60.0,
    timeout: Annotated[
        float, typer.Option(min=0.5, help="Seconds each server has to answer.")
    ] = 10.0,
) -> None:
    """Prove the configuration works: database, Redis, secret, SMTP, IMAP and a round trip
    through both to the service's own signed address; then the DNS records to publish."""
    from service.check.dns import records
    from service.check.results import Status
    from service.check.run import run_checks

    try:
        settings = _settings()
    except ValidationError as exc:
        for error in exc.errors():  # never its input: the value may be a password
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            errors.print(f"{where}: {error['msg']}", markup=False, highlight=False)
        errors.print("Correct these settings, then run `mentormail check` again.")
        raise typer.Exit(1) from None
    checks = loop.run(run_checks(settings, timeout, wait))
    table = Table(title="mentormail check")
    for column in ("check", "result", "what was seen", "fix"):
        table.add_column(column, overflow="fold")
    style = {Status.OK: "green", Status.FAILED: "bold red", Status.SKIPPED: "dim"}
    for row in checks:
        table.add_row(
            row.name,
            f"[{style[row.status]}]{row.status.value}[/]",
            escape(row.detail),
            escape(row.fix) or "-",
        )
    console.print(table)
    if settings.smtp_url:
        relay = urlsplit(settings.smtp_url).hostname
        domain = settings.service_address.rpartition("@")[2]
        dns = Table(title=f"DNS records to publish for {domain} (advice, not checked)")
        for column in ("name", "type", "value", "why"):
            dns.add_column(column, overflow="fold")
        for record in records(settings.service_address, relay, settings.delimiter):
            dns.add_row(record.name, record.type, escape(record.value), escape(record.why))
        console.print(dns)
    else:
        console.print("DNS: nothing to publish while mail is written to a folder.")
    if any(row.status is Status.FAILED for row in checks):
        raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (run and demo do this too)."""
    settings = _settings()
    loop.run(db.migrate(settings.resolved_database_url))
    console.print("The database is up to date.")


def _refuse_weak_secret(settings: Settings) -> None:
    """Stop, saying how to make a secret, before anything is started or connected to."""
    refusal = settings.secret_refusal()
    if refusal is not None:
        errors.print(refusal, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)


@app.command()
def run(
    burst: Annotated[bool, typer.Option(help="Stop when there is nothing left to do.")] = False,
) -> None:
    """The long-running worker; embedded defaults when no servers are configured."""
    settings = _settings()
    _refuse_weak_secret(settings)  # before even the worker's code is loaded

    from service.jobs.runner import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    loop.run(run_worker(settings, burst=burst))


@app.command()
def secret() -> None:
    """Print a new secret for MENTORMAIL_SECRET: 32 random bytes, url-safe base64."""
    from service.secret import new_secret

    sys.stdout.write(new_secret() + "\n")


@app.command("rotate-secret")
def rotate_secret() -> None:
    """Seal everything sealed again under MENTORMAIL_SECRET, after it was changed.

    Start the workers with the new MENTORMAIL_SECRET and the old one in
    MENTORMAIL_OLD_SECRETS first; then run this once.
    """
    from service.storage.resealing import reseal_all

    settings = _settings()
    _refuse_weak_secret(settings)

    async def run() -> None:
        await _open(settings)
        try:
            results = await reseal_all(settings.resolved_secret())
        finally:
            await db.close()
        unreadable = 0
        for name, result in results.items():
            unreadable += result.unreadable
            notes = [f"{result.resealed} sealed again"]
            if result.changed:
                notes.append(f"{result.changed} changed meanwhile")
            if result.unreadable:
                notes.append(f"{result.unreadable} opened with no listed secret")
            console.print(f"{name}: {', '.join(notes)}", markup=False)
        if unreadable:
            errors.print(
                f"{unreadable} sealed value(s) opened with neither MENTORMAIL_SECRET nor "
                "MENTORMAIL_OLD_SECRETS: list the secret they were sealed with and run this again.",
                markup=False,
            )
            raise typer.Exit(1)
        console.print(
            "Everything sealed is under the current secret. Keep the old ones in "
            "MENTORMAIL_OLD_SECRETS while replies to mail sent with them may still come."
        )

    loop.run(run())


@app.command()
def demo(
    pairs: Annotated[int, typer.Option(min=1, max=500, help="How many pairs to simulate.")] = 4,
    months: Annotated[int, typer.Option(min=1, max=24, help="How long to simulate.")] = 1,
    out: Annotated[Path, typer.Option(help="Where to leave the outbox and the data.")] = Path(
        "demo-out"
    ),
) -> None:
    """Simulate a program on embedded defaults, with a travelling clock and simulated people."""
    from service.demo.run import run_demo

    loop.run(run_demo(pairs=pairs, months=months, out=out, console=console))


def main() -> None:
    app()
