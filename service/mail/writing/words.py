"""Small pieces of English the emails and answers share."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """ "1 action item", "2 action items", "3 people": a count with its noun agreeing."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
