"""The embedded mail defaults: outgoing mail as .eml files, incoming mail from a Maildir."""

from __future__ import annotations

import asyncio
import itertools
import mailbox
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

from service.mail.transport import Fetched

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^>\r\n]{1,200})>", re.IGNORECASE | re.MULTILINE)


class DirOutgoing:
    """Writes each message to `<dir>/<sequence>-<message id>.eml`, atomically, never over one."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
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
        temporary.write_bytes(raw)
        os.replace(temporary, final)

    async def close(self) -> None:
        return None


class MaildirIncoming:
    """Reads messages without the Seen flag from a Maildir; ack() flags them Seen."""

    def __init__(self, directory: Path) -> None:
        self.box = mailbox.Maildir(directory, create=True)

    async def fetch(self, limit: int = 100) -> list[Fetched]:
        return await asyncio.to_thread(self._fetch, limit)

    def _fetch(self, limit: int) -> list[Fetched]:
        self.box.clean()
        found: list[tuple[float, str, bytes]] = []
        for key in self.box.iterkeys():
            try:
                message = self.box.get_message(key)
            except (KeyError, FileNotFoundError):
                continue  # taken by someone else meanwhile
            if "S" in message.get_flags():
                continue
            found.append((message.get_date() or time.time(), key, self.box.get_bytes(key)))
        found.sort()
        return [Fetched(key, raw) for _, key, raw in found[:limit]]

    async def ack(self, keys: Sequence[str]) -> None:
        await asyncio.to_thread(self._ack, keys)

    def _ack(self, keys: Sequence[str]) -> None:
        for key in keys:
            try:
                message = self.box.get_message(key)
            except KeyError:
                continue
            message.set_subdir("cur")
            message.add_flag("S")
            self.box[key] = message

    async def close(self) -> None:
        self.box.close()
