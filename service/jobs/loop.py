"""The event loop the service runs on: uvloop where it is installed, the standard one elsewhere.

uvloop runs the same asyncio code with its callbacks and sockets in C: about a tenth less CPU
an email sent (BENCHMARKS.md). It is not built for Windows, where the standard loop runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to its end on a new loop, as `asyncio.run` does."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - where uvloop is not built
        return asyncio.run(main)
    return uvloop.run(main)
