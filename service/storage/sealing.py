"""Private text at rest: reflections and performance notes are stored sealed.

The key is derived from the service secret (HKDF), one per purpose, so a database copy
alone reads nothing, and a key for one purpose opens nothing else.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _fernet(secret: bytes, purpose: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"mentormail:{purpose}".encode()
    ).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: bytes, text: str, purpose: str) -> bytes:
    return seal_bytes(secret, text.encode("utf-8"), purpose)


def unseal(secret: bytes, sealed: bytes, purpose: str) -> str:
    """The text back; ValueError when the key or the purpose is not the one it was sealed with."""
    return unseal_bytes(secret, sealed, purpose).decode("utf-8")


def seal_bytes(secret: bytes, data: bytes, purpose: str) -> bytes:
    return _fernet(secret, purpose).encrypt(data)


def unseal_bytes(secret: bytes, sealed: bytes, purpose: str) -> bytes:
    try:
        return _fernet(secret, purpose).decrypt(sealed)
    except InvalidToken as exc:
        raise ValueError("sealed text does not open with this key") from exc


# The purpose private mail (outbound and inbound) is sealed with.
MAIL = "mail"


def open_mail(secret: bytes, raw: bytes, sealed: bool) -> bytes:
    """A stored message's bytes, opened when it was stored sealed."""
    return unseal_bytes(secret, raw, MAIL) if sealed else raw
