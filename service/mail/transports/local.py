"""The embedded mail defaults: outgoing mail as .eml files, incoming mail from a Maildir."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

from service.config import PRIVATE_FILE, PRIVATE_FOLDER
from service.mail.transports.base import Fetched

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^>\r\n]{1,200})>", re.IGNORECASE | re.MULTILINE)


class DirOutgoing:
    """Writes each message to `<dir>/<sequence>-<message id>.eml`, atomically, never over one,
    readable by the service's user alone (private mail is written there opened)."""

    connections = 1  # one file after another, in the outbox's order

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
        existing = [
            int(p.name.split("-", 1)[0])
            for p in directory.glob("*.eml")
            if p.name.split("-", 1)[0].isdigit()
        ]
        self._counter = itertools.count(max(existing, default=0) + 1)

    async def send(self, raw: bytes, mail_from: str, rcpt_to: Sequence[str]) -> dict[str, str]:
        match = _MESSAGE_ID.search(raw[:20_000])
        label = _SAFE.sub("_", match.group(1).decode("ascii", "replace"))[:80] if match else "msg"
        name = f"{next(self._counter):06d}-{label}.eml"
        await asyncio.to_thread(self._write, name, raw)
        return {}

    def _write(self, name: str, raw: bytes) -> None:
        final = self.directory / name
        temporary = self.directory / f".{name}.{os.getpid()}.tmp"
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with open(handle, "wb") as file:
            file.write(raw)
        os.replace(temporary, final)

    async def close(self) -> None:
        return None


class MaildirIncoming:
    """Reads messages without the Seen flag from a Maildir; ack() flags them Seen.

    Only file names are read to find unseen mail (Maildir keeps the flags there), so a poll
    costs one directory listing however much mail has already been read.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
        for sub in ("tmp", "new", "cur"):
            (directory / sub).mkdir(exist_ok=True, mode=PRIVATE_FOLDER)

    async def fetch(self, limit: int = 100) -> list[Fetched]:
        return await asyncio.to_thread(self._fetch, limit)

    def _unseen(self) -> list[tuple[float, str, Path]]:
        found: list[tuple[float, str, Path]] = []
        for sub in ("new", "cur"):
            with os.scandir(self.directory / sub) as entries:
                for entry in entries:
                    if entry.name.startswith(".") or not entry.is_file():
                        continue
                    key, _, info = entry.name.partition(":")
                    if sub == "cur" and "S" in info.partition(",")[2]:
                        continue
                    try:
                        found.append((entry.stat().st_mtime, key, Path(entry.path)))
                    except FileNotFoundError:
                        continue  # taken by someone else meanwhile
        found.sort()
        return found

    def _fetch(self, limit: int) -> list[Fetched]:
        fetched: list[Fetched] = []
        for _, key, path in self._unseen():
            if len(fetched) == limit:
                break
            try:
                fetched.append(Fetched(key, path.read_bytes()))
            except FileNotFoundError:
                continue
        return fetched

    async def wait_for_mail(self, timeout: float) -> bool:
        """Look at the folder every half second until something unseen is there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await asyncio.to_thread(self._unseen):
                return True
            await asyncio.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        return False

    async def ack(self, keys: Sequence[str]) -> None:
        await asyncio.to_thread(self._ack, keys)

    def _ack(self, keys: Sequence[str]) -> None:
        wanted = set(keys)
        for _, key, path in self._unseen():
            if key not in wanted:
                continue
            flags = path.name.partition(":")[2].partition(",")[2]
            seen = "".join(sorted(set(flags) | {"S"}))
            with contextlib.suppress(FileNotFoundError):
                os.replace(path, self.directory / "cur" / f"{key}:2,{seen}")

    async def close(self) -> None:
        return None
