"""Signed reply addresses: `<local>+<token>@<domain>` names the pairing, person and topic.

The `+` is the default delimiter; a deployment may use `-` or `.` instead (the setting
`MENTORMAIL_ADDRESS_DELIMITER`), for calendar servers that cannot mail a `+` address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from service.mail.kinds import About
from service.secret import keys_of

_TOKEN = re.compile(r"^(\d{1,12})-(\d{1,12})-([a-z][a-z0-9]{0,23})-([a-z2-7]{16})$")


@dataclass(frozen=True)
class ReplyToken:
    """Who a reply address is for and what replies to it are about. A coordinator's
    address names pairing 0 and the coordinator in place of a person."""

    pairing_id: int
    person_id: int
    about: About


def _signature(secret: bytes, pairing_id: int, person_id: int, topic: str) -> str:
    digest = hmac.digest(secret, f"{pairing_id}.{person_id}.{topic}".encode(), hashlib.sha256)
    # Sixteen base-32 characters are the first ten bytes: only those are encoded.
    return base64.b32encode(digest[:10]).decode().lower()


def make_token(secret: bytes, token: ReplyToken) -> str:
    code = token.about.code
    sig = _signature(secret, token.pairing_id, token.person_id, code)
    return f"{token.pairing_id}-{token.person_id}-{code}-{sig}"


def reply_address(
    secret: bytes, service_address: str, token: ReplyToken, *, delimiter: str = "+"
) -> str:
    local, _, domain = service_address.partition("@")
    return f"{local}{delimiter}{make_token(secret, token)}@{domain}"


def tag_of(address: str, service_address: str, *, delimiter: str = "+") -> str | None:
    """What follows the delimiter in an address of ours (`mentorship+<tag>@…`): "" for the
    plain address, None for anybody else's."""
    local, _, domain = service_address.lower().partition("@")
    addr_local, _, addr_domain = address.lower().rpartition("@")
    if addr_domain != domain:
        return None
    if addr_local == local:
        return ""
    base, found, tag = addr_local.partition(delimiter)
    return tag if found and base == local else None


def read_token(secret: bytes, text: str) -> ReplyToken | None:
    """The token in a bare token string, or None when it is malformed or forged. A token
    signed with an old secret (MENTORMAIL_OLD_SECRETS) still reads: mail sent before a
    rotation is still answered."""
    match = _TOKEN.match(text.strip().lower())
    if not match:
        return None
    pairing_id, person_id, code, sig = (
        int(match.group(1)),
        int(match.group(2)),
        match.group(3),
        match.group(4),
    )
    signatures = (_signature(key, pairing_id, person_id, code) for key in keys_of(secret))
    if not any(hmac.compare_digest(sig, signature) for signature in signatures):
        return None
    return ReplyToken(pairing_id, person_id, About.from_code(code))


def find_token(
    secret: bytes, service_address: str, recipients: list[str], *, delimiter: str = "+"
) -> tuple[ReplyToken | None, bool]:
    """Look through a message's recipients for our tokened address.

    Returns (token, tampered): tampered is True when a tagged address of ours was there but
    its token did not verify, so the caller can refuse rather than guess.
    """
    tampered = False
    for address in recipients:
        tag = tag_of(address, service_address, delimiter=delimiter)
        if not tag:
            continue
        token = read_token(secret, tag)
        if token is not None:
            return token, False
        tampered = True
    return None, tampered
