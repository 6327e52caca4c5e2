"""Every check, in the order a deployment depends on them."""

from __future__ import annotations

from service.check import servers
from service.check.results import Check, Status, skipped
from service.check.round_trip import NAME, round_trip
from service.config import Settings


async def run_checks(settings: Settings, timeout: float, wait: float) -> list[Check]:
    """The database, Redis, the secret, SMTP, IMAP, then the round trip through both."""
    checks = [
        await servers.database(settings, timeout),
        await servers.redis(settings, timeout),
        servers.secret(settings),
    ]
    mail = [await servers.smtp(settings, timeout), await servers.imap(settings, timeout)]
    checks += mail
    broken = [c.name for c in mail if c.status is Status.FAILED]
    if broken:
        checks.append(skipped(NAME, f"not tried: {' and '.join(broken)} failed"))
    else:
        checks.append(await round_trip(settings, timeout, wait))
    return checks
