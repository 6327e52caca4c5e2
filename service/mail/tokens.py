"""Signed reply addresses: `<local>+<token>@<domain>` names the pairing, person and topic."""

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


def reply_address(secret: bytes, service_address: str, token: ReplyToken) -> str:
    local, _, domain = service_address.partition("@")
    return f"{local}+{make_token(secret, token)}@{domain}"


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
    secret: bytes, service_address: str, recipients: list[str]
) -> tuple[ReplyToken | None, bool]:
    """Look through a message's recipients for our tokened address.

    Returns (token, tampered): tampered is True when a `+` address of ours was there but its
    token did not verify, so the caller can refuse rather than guess.
    """
    local, _, domain = service_address.lower().partition("@")
    tampered = False
    for address in recipients:
        addr_local, _, addr_domain = address.lower().rpartition("@")
        base, plus, tag = addr_local.partition("+")
        if addr_domain != domain or base != local or not plus:
            continue
        token = read_token(secret, tag)
        if token is not None:
            return token, False
        tampered = True
    return None, tampered
