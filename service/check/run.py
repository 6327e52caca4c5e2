"""Every check, in the order a deployment depends on them."""

from __future__ import annotations

import asyncio

from service.check import servers
from service.check.results import Check, Status, skipped
from service.check.round_trip import NAME, round_trip
from service.config import Settings


async def run_checks(settings: Settings, timeout: float, wait: float) -> list[Check]:
    """The database, Redis, the secret, SMTP, IMAP, then the round trip through both. The
    servers are asked at once: a check takes as long as the slowest, not their sum."""
    database, redis, smtp, imap = await asyncio.gather(
        servers.database(settings, timeout),
        servers.redis(settings, timeout),
        servers.smtp(settings, timeout),
        servers.imap(settings, timeout),
    )
    mail = [smtp, imap]
    checks = [database, redis, servers.secret(settings), *mail]
    broken = [c.name for c in mail if c.status is Status.FAILED]
    if broken:
        checks.append(skipped(NAME, f"not tried: {' and '.join(broken)} failed"))
    else:
        checks.append(await round_trip(settings, timeout, wait))
    return checks
