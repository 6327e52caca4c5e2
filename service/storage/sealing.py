"""Private text at rest: reflections and performance notes are stored sealed.

The key is derived from the service secret (HKDF), one per purpose, so a database copy
alone reads nothing, and a key for one purpose opens nothing else. Text is sealed with the
current secret and opens with the old ones too (MENTORMAIL_OLD_SECRETS) until `reseal`
has sealed it again under the current one.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from service.secret import keys_of


def _fernet(key: bytes, purpose: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"mentormail:{purpose}".encode()
    ).derive(key)
    return Fernet(base64.urlsafe_b64encode(derived))


def _keyring(secret: bytes, purpose: str) -> MultiFernet:
    """Seals with the current secret's key; opens with any of the secret's keys."""
    return MultiFernet([_fernet(key, purpose) for key in keys_of(secret)])


def seal(secret: bytes, text: str, purpose: str) -> bytes:
    return seal_bytes(secret, text.encode("utf-8"), purpose)


def unseal(secret: bytes, sealed: bytes, purpose: str) -> str:
    """The text back; ValueError when the key or the purpose is not the one it was sealed with."""
    return unseal_bytes(secret, sealed, purpose).decode("utf-8")


def seal_bytes(secret: bytes, data: bytes, purpose: str) -> bytes:
    return _fernet(keys_of(secret)[0], purpose).encrypt(data)


def unseal_bytes(secret: bytes, sealed: bytes, purpose: str) -> bytes:
    try:
        return _keyring(secret, purpose).decrypt(sealed)
    except InvalidToken as exc:
        raise ValueError("sealed text does not open with this key") from exc


def reseal(secret: bytes, sealed: bytes, purpose: str) -> bytes:
    """The same text sealed again under the current secret (it keeps its sealing time);
    ValueError when none of the secret's keys opens it."""
    try:
        return _keyring(secret, purpose).rotate(sealed)
    except InvalidToken as exc:
        raise ValueError("sealed text does not open with this key") from exc


# What each thing sealed is sealed for: private mail (outbound and inbound), reflections
# (and a mentee's view in a performance conversation), the performance conversation's own
# follow-up, and private action items.
MAIL = "mail"
REFLECTION = "reflection"
PERFORMANCE = "performance"
TASK = "task"


def open_mail(secret: bytes, raw: bytes, sealed: bool) -> bytes:
    """A stored message's bytes, opened when it was stored sealed."""
    return unseal_bytes(secret, raw, MAIL) if sealed else raw
