"""Replies read over IMAP through a proxy that cuts the connection every ~100 messages, by
a worker killed at random moments (so some die between applying and committing), and a
mailbox whose UIDVALIDITY changes under the worker.

Every reply carries an action item of its own, so what was applied can be counted: a reply
is lost when its item never appears, applied twice when it appears more than once.
"""

from __future__ import annotations

import asyncio
import imaplib
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from imap_tools import MailBoxUnencrypted
from imap_tools.errors import MailboxFolderSelectError

from bench.common import active_program, free_port, helper_process, service
from reliability.common import START, mailroom, reply
from service.clock import ManualClock
from service.outbox.writer import wire_bytes
from service.storage.models import OutboundMessage, Person
from tests.servers import PASSWORD, USER, Dovecot

ROOT = Path(__file__).resolve().parents[1]
_ITEM = re.compile(r"item-(\d+)")


@contextmanager
def cutting_proxy(target: int, cut_every: int, log: Path) -> Iterator[int]:
    port = free_port()
    with helper_process(
        "reliability.cutting_proxy", str(port), str(target), str(cut_every), str(log)
    ):
        yield port


async def _replies(folder: Path, pairs: int, count: int, first: int) -> list[bytes]:
    """`count` replies from the program's people to their invitations, items numbered on."""
    async with service(folder, None, None, ManualClock(START)) as app:
        if not await Person.all().exists():
            await active_program(app, pairs, START)
        people = await Person.all().order_by("id")
        invitations = {}
        for person in people:
            row = await OutboundMessage.filter(person_id=person.id, kind="invitation").first()
            if row is not None:
                invitations[person.email] = wire_bytes(row, app.secret)
    senders = sorted(invitations)
    return [
        reply(invitations[senders[n % len(senders)]], senders[n % len(senders)],
              f"task: item-{first + n} by Friday")
        for n in range(count)
    ]  # fmt: skip


def _worker(
    folder: Path, url: str, batch: int | None = None, pause: float = 0.0
) -> subprocess.Popen[bytes]:
    now = START + timedelta(days=30)
    env = {**os.environ, "POLL_PAUSE": str(pause), **({"FETCH_BATCH": str(batch)} if batch else {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "reliability.inbound_worker", str(folder), url, now.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=env,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    return process


def _stored_beyond(database: Path, newest: int, worker: subprocess.Popen[bytes]) -> int:
    """Wait until the worker stores a message with an id above `newest` (or stops, or a
    minute passes); returns the highest id stored then."""
    deadline = time.monotonic() + 60
    while True:
        with sqlite3.connect(database) as connection:
            found = int(
                connection.execute("SELECT MAX(id) FROM inbound_message").fetchone()[0] or 0
            )
        if found > newest or worker.poll() is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def _items(database: Path) -> Counter[int]:
    with sqlite3.connect(database) as connection:
        texts = [row[0] for row in connection.execute("SELECT text FROM task")]
    return Counter(int(m.group(1)) for text in texts if (m := _ITEM.search(text)))


def _judge(database: Path, numbers: range) -> tuple[int, int]:
    items = _items(database)
    return sum(1 for n in numbers if items[n] == 0), sum(1 for n in numbers if items[n] > 1)


FOLDER = "Replies"


def _box(dovecot: Dovecot) -> MailBoxUnencrypted:
    return MailBoxUnencrypted("127.0.0.1", port=dovecot.port).login(USER, PASSWORD, "INBOX")


def _fill(dovecot: Dovecot, messages: list[bytes]) -> None:
    with _box(dovecot) as box:
        if not box.folder.exists(FOLDER):
            box.folder.create(FOLDER)
        for raw in messages:
            box.append(raw, FOLDER)


def _recreate(dovecot: Dovecot) -> None:
    """The mailbox made again from its messages, as a restore from a backup does: a new
    mailbox takes its place with new UIDs, a new UIDVALIDITY and no flags. Dovecot may drop
    this session while the worker's changes the same mailbox ("state is inconsistent"), or
    refuse to select it while the worker's session still holds the one just replaced
    ("Mailbox was deleted under us"): the restore is then begun again on a new session,
    as whoever restores would."""
    for attempt in range(3):
        try:
            _restore(dovecot)
            return
        except (imaplib.IMAP4.abort, MailboxFolderSelectError):
            if attempt == 2:
                raise
            time.sleep(0.5)


def _restore(dovecot: Dovecot) -> None:
    with _box(dovecot) as box:
        box.folder.set(FOLDER)
        held = [message.obj.as_bytes() for message in box.fetch(mark_seen=False, bulk=True)]
        box.folder.set("INBOX")
        if box.folder.exists(FOLDER + "-new"):  # left by a restore that was cut off
            box.folder.delete(FOLDER + "-new")
        box.folder.create(FOLDER + "-new")
        for raw in held:
            box.append(raw, FOLDER + "-new")
        box.folder.delete(FOLDER)
        box.folder.rename(FOLDER + "-new", FOLDER)


def run(folder: Path, pairs: int, replies: int, kills: int) -> dict[str, float]:
    data = folder / "imap"
    database = data / "mentormail.sqlite3"
    chance = random.Random(1126)
    with mailroom() as dovecot:
        # Cuts and kills.
        messages = asyncio.run(_replies(data, pairs, replies, 0))
        for raw in messages:
            dovecot.deliver(raw)
        cut_every = 100 * sum(len(raw) for raw in messages) // len(messages)
        cuts = folder / "cuts.log"
        with cutting_proxy(dovecot.port, cut_every, cuts) as port:
            url = f"imap://{USER}:{PASSWORD}@127.0.0.1:{port}/INBOX"
            for _ in range(kills):
                worker = _worker(data, url)
                time.sleep(chance.uniform(0.3, 2.0))
                worker.kill()
                worker.wait()
            _worker(data, url).wait(timeout=1800)
        lost, twice = _judge(database, range(replies))
        with sqlite3.connect(database) as connection:
            stored = int(
                connection.execute("SELECT MAX(id) FROM inbound_message").fetchone()[0] or 0
            )
        # The mailbox recreated while the worker reads: UIDVALIDITY changes.
        more = asyncio.run(_replies(data, pairs, replies // 2, replies))
        _fill(dovecot, more)
        url = dovecot.imap_url(FOLDER)
        # Small fetches, a pause between them as between the worker's polls, so that the
        # mailbox changes between them as well as inside them: once after the first new
        # message is stored, again after the next.
        worker = _worker(data, url, batch=10, pause=0.1)
        newest = stored
        for _ in range(2):
            newest = _stored_beyond(database, newest, worker)
            _recreate(dovecot)
        worker.wait(timeout=1800)
        _worker(data, url, batch=10).wait(timeout=1800)
        changed_lost, changed_twice = _judge(database, range(replies, replies + len(more)))
        with sqlite3.connect(database) as connection:
            validities = {
                str(row[0]).split(":", 1)[0]
                for row in connection.execute(
                    "SELECT source_key FROM inbound_message WHERE id > ?", (stored,)
                )
            }
    return {
        "imap_replies": replies,
        "imap_kills": kills,
        "imap_cuts": len(cuts.read_text().splitlines()) if cuts.exists() else 0,
        "imap_lost": lost,
        "imap_applied_twice": twice,
        "uidvalidity_replies": len(more),
        # More than one: the mailbox did change under the worker.
        "uidvalidity_values": len(validities),
        "uidvalidity_lost": changed_lost,
        "uidvalidity_applied_twice": changed_twice,
    }


def run_alone(pairs: int, replies: int, kills: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        return run(Path(folder), pairs, replies, kills)
