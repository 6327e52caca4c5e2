"""What our own receiving server found about a message's sender (RFC 8601).

Only Authentication-Results fields stamped with our server's authserv-id are believed: a
sender can write any such field, but a receiving server removes fields that claim its own
id before adding its own, so those are the server's word.
"""

from __future__ import annotations

from collections.abc import Sequence

import authres

MAX_FIELDS = 10  # more is a message built to waste our time


def dmarc_failed(fields: Sequence[str], authserv_id: str | None) -> bool:
    """True when our server's Authentication-Results say DMARC failed for the From domain."""
    if not authserv_id:
        return False
    for value in fields[:MAX_FIELDS]:
        try:
            parsed = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
        except Exception:  # an unreadable field is not our server's: ours writes them well
            continue
        if str(parsed.authserv_id).lower() != authserv_id.lower():
            continue
        if any(r.method == "dmarc" and str(r.result).lower() == "fail" for r in parsed.results):
            return True
    return False
