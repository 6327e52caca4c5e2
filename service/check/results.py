"""One check's result: what was checked, how it went, what was seen, and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"  # does not apply to this configuration, or cannot run


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


def ok(name: str, detail: str) -> Check:
    return Check(name, Status.OK, detail)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.FAILED, detail, fix)


def skipped(name: str, detail: str) -> Check:
    return Check(name, Status.SKIPPED, detail)


def redacted(text: str, *secrets: str | None) -> str:
    """`text` with every password and secret it might quote taken out."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    return text
