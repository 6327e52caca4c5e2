"""What makes a secret good enough, when it is required, and the old ones that still open."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml

from service.config import SecretRefused, Settings
from service.mail.kinds import About, Topic
from service.mail.tokens import ReplyToken, make_token, read_token
from service.outbox.writer import keyed, message_id_for
from service.secret import Secret, estimated_bits, keys_of, new_secret, weakness
from service.storage.sealing import reseal, seal, unseal

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_PLACEHOLDER = "change-me-to-a-long-random-string"
SERVICE = "mentorship@example.org"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        COMPOSE_PLACEHOLDER,
        "changeme",
        "secret",
        "CHANGE_ME_" + secrets.token_urlsafe(40),  # long, but still says it is a placeholder
        "my-" + secrets.token_hex(32) + "-secret",
        "abc",
        secrets.token_urlsafe(31),  # 42 characters: 252 bits at most
        secrets.token_hex(31),  # 62 hexadecimal digits: 248 bits
        "1" * 100,
        "ab" * 40,
        "".join(secrets.choice("0123456789") for _ in range(70)),  # 232 bits
    ],
)
def test_weak_secrets_are_refused(value: str | None) -> None:
    assert weakness(value) is not None


@pytest.mark.parametrize(
    "value",
    [
        secrets.token_urlsafe(32),  # 43 characters, what `mentormail secret` prints
        secrets.token_hex(32),  # 64 hexadecimal digits, what the embedded default makes
        secrets.token_hex(32).upper(),
        "".join(secrets.choice("0123456789") for _ in range(78)),
        "Zq7!vR#2" + secrets.token_urlsafe(32),
    ],
)
def test_strong_secrets_pass(value: str) -> None:
    assert weakness(value) is None


def test_new_secrets_pass_and_differ() -> None:
    made = {new_secret() for _ in range(200)}
    assert len(made) == 200
    assert all(weakness(value) is None and len(value) == 43 for value in made)


def test_bits_are_length_times_the_alphabet() -> None:
    assert estimated_bits("f" * 64) == 256
    assert estimated_bits("Z" * 43) == 258
    assert estimated_bits("") == 0


def _settings(**values: str | None) -> Settings:
    base: dict[str, str | None] = {
        "DATABASE_URL": None,
        "REDIS_URL": None,
        "SMTP_URL": None,
        "IMAP_URL": None,
        "MENTORMAIL_SECRET": None,
        "MENTORMAIL_OLD_SECRETS": "",
    }
    return Settings(**{**base, **values})  # type: ignore[arg-type]


def test_the_embedded_defaults_need_no_secret() -> None:
    assert _settings().secret_refusal() is None
    assert _settings(DATABASE_URL="sqlite:///tmp/x.sqlite3").secret_refusal() is None


@pytest.mark.parametrize(
    "server",
    [
        {"DATABASE_URL": "postgres://u:p@db:5432/m"},
        {"REDIS_URL": "redis://redis:6379/0"},
        {"SMTP_URL": "smtp://smtp:25"},
        {"IMAP_URL": "imap://u:p@imap:143/INBOX"},
    ],
)
@pytest.mark.parametrize("secret", [None, COMPOSE_PLACEHOLDER, "abc"])
def test_any_server_configured_needs_a_strong_secret(
    server: dict[str, str], secret: str | None
) -> None:
    settings = _settings(MENTORMAIL_SECRET=secret, **server)
    refusal = settings.secret_refusal()
    assert refusal is not None
    assert "`mentormail secret`" in refusal and next(iter(server)) in refusal
    with pytest.raises(SecretRefused):
        settings.checked_secret()
    strong = _settings(MENTORMAIL_SECRET=new_secret(), **server)
    assert strong.secret_refusal() is None


def test_old_secrets_are_read_comma_separated_and_may_be_weak() -> None:
    current = new_secret()
    settings = _settings(
        MENTORMAIL_SECRET=current, MENTORMAIL_OLD_SECRETS=f" {COMPOSE_PLACEHOLDER} ,, abc,"
    )
    secret = settings.resolved_secret()
    assert secret == current.encode()
    assert keys_of(secret) == (current.encode(), COMPOSE_PLACEHOLDER.encode(), b"abc")
    assert keys_of(b"plain") == (b"plain",)


def test_old_secrets_verify_and_open_but_nothing_is_made_with_them() -> None:
    old, new = b"old-" + secrets.token_bytes(8), b"new-" + secrets.token_bytes(8)
    token = ReplyToken(3, 7, About(Topic.AGENDA, 12))
    signed_before = make_token(old, token)
    sealed_before = seal(old, "Zoë: I felt unheard today", "reflection")
    before_id = message_id_for("invite:1", old, SERVICE)
    rotated = Secret(new, [old])
    assert read_token(rotated, signed_before) == token
    assert read_token(new, signed_before) is None
    assert unseal(rotated, sealed_before, "reflection") == "Zoë: I felt unheard today"
    assert keyed(before_id, "invite:1", rotated, SERVICE)
    assert not keyed(before_id, "invite:1", new, SERVICE)
    # What is made now is made with the new secret alone.
    assert make_token(rotated, token) == make_token(new, token)
    assert message_id_for("invite:1", rotated, SERVICE) == message_id_for("invite:1", new, SERVICE)
    again = reseal(rotated, sealed_before, "reflection")
    assert unseal(new, again, "reflection") == "Zoë: I felt unheard today"
    with pytest.raises(ValueError):
        reseal(new, sealed_before, "reflection")


def test_the_compose_file_ships_no_working_secret() -> None:
    worker = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["worker"]
    value = worker["environment"]["MENTORMAIL_SECRET"]
    # Compose stops with this message when the variable is not set.
    assert value.startswith("${MENTORMAIL_SECRET:?") and "mentormail secret" in value
