"""Settings from the environment and `.env`: one object, passed to whoever needs it."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.secret import Secret, new_secret, weakness

# What joins a token to the service's local part: `mentorship+<token>@…`. Calendar servers
# built on SabreDAV (Baikal, Nextcloud) cannot mail a `+` address, so `-` or `.` (with the
# receiving server told the same) or `none` (the calendar's ORGANIZER is the plain address,
# answers found by their UID; other reply addresses keep `+`).
Delimiter = Literal["+", "-", ".", "none"]
DELIMITERS: tuple[Delimiter, ...] = ("+", "-", ".", "none")


def tag_delimiter(setting: Delimiter) -> str:
    """What joins a token to the local part in reply addresses (with `none`, only the
    calendar's ORGANIZER goes untagged)."""
    return "+" if setting == "none" else setting


def token_url_refusal(url: str) -> str | None:
    """Why a token endpoint will not do, or None: it must be https, but for this machine's
    own loopback (a test's, or a local proxy's), where http cannot be overheard."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an https:// URL, like https://oauth2.googleapis.com/token"
    if parts.scheme == "http" and not _loopback(parts.hostname):
        return "must be https:// (http:// only for this machine's own 127.0.0.1 or ::1)"
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Folders and files that hold people's data are the service's user's alone.
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


class SecretRefused(Exception):
    """The service will not start on this secret; the message says how to make a good one."""


class Settings(BaseSettings):
    """Everything the service can be told. Unset servers mean the embedded defaults."""

    # An error names the setting and why, never the values given: they hold secrets.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    data_dir: Path = Field(default=Path("var"), validation_alias="MENTORMAIL_DATA_DIR")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    smtp_url: str | None = Field(default=None, validation_alias="SMTP_URL")
    imap_url: str | None = Field(default=None, validation_alias="IMAP_URL")
    secret: str | None = Field(default=None, validation_alias="MENTORMAIL_SECRET")
    # Secrets used before this one, comma-separated: replies to mail signed with them are still
    # routed and what they sealed still opens, until `mentormail rotate-secret` seals it again.
    old_secrets: str = Field(default="", validation_alias="MENTORMAIL_OLD_SECRETS")
    service_address: str = Field(
        default="mentorship@mentormail.localhost", validation_alias="MENTORMAIL_ADDRESS"
    )
    service_name: str = Field(default="mentormail", validation_alias="MENTORMAIL_NAME")
    address_delimiter: Delimiter = Field(
        default="+", validation_alias="MENTORMAIL_ADDRESS_DELIMITER"
    )
    send_batch: int = Field(default=200, ge=1)
    # Messages handed to the SMTP server at once, each on its own connection.
    smtp_connections: int = Field(default=4, ge=1, le=64, validation_alias="SMTP_CONNECTIONS")
    # The name we greet the SMTP server with (EHLO); the service address's domain if unset.
    smtp_helo_name: str | None = Field(default=None, validation_alias="SMTP_HELO_NAME")
    # Certificates to trust for the SMTP server (a private CA), instead of the system's.
    smtp_ca_file: str | None = Field(default=None, validation_alias="SMTP_CA_FILE")
    # Certificates to trust for an imaps:// server (a private CA), instead of the system's.
    imap_ca_file: str | None = Field(default=None, validation_alias="IMAP_CA_FILE")
    fetch_batch: int = Field(default=100, ge=1)

    # Signing in to the mail provider with OAuth 2.0 (XOAUTH2), as Microsoft 365 and Google
    # Workspace require: SMTP_URL and IMAP_URL then name the user and no password.
    mail_oauth_token_url: str | None = Field(default=None, validation_alias="MAIL_OAUTH_TOKEN_URL")
    mail_oauth_client_id: str | None = Field(default=None, validation_alias="MAIL_OAUTH_CLIENT_ID")
    mail_oauth_client_secret: SecretStr | None = Field(
        default=None, validation_alias="MAIL_OAUTH_CLIENT_SECRET"
    )
    # Set: the refresh-token grant (a user's consent, once); unset: client credentials.
    mail_oauth_refresh_token: SecretStr | None = Field(
        default=None, validation_alias="MAIL_OAUTH_REFRESH_TOKEN"
    )
    # Unset: the provider's usual scope, known from the token endpoint's host.
    mail_oauth_scope: str | None = Field(default=None, validation_alias="MAIL_OAUTH_SCOPE")
    # How long a message the mail server cannot take is tried again before it is failed:
    # as long as mail servers keep theirs, so that an outage of a few days loses nothing.
    retry_days: float = Field(default=5.0, gt=0, le=30, validation_alias="MENTORMAIL_RETRY_DAYS")
    # Hard bounces count 1, soft ones 0.5: three undeliverable days in a week stop the mail.
    bounce_threshold: float = Field(
        default=3.0, gt=0, validation_alias="MENTORMAIL_BOUNCE_THRESHOLD"
    )

    # The authserv-id our receiving server writes in Authentication-Results: its verdicts
    # are believed (a DMARC failure refuses the message); without it none are read.
    authserv_id: str | None = Field(default=None, validation_alias="MENTORMAIL_AUTHSERV_ID")

    # An HTTPS endpoint that unsubscribes a digest in one click (RFC 8058), when there is
    # one; the mailto: address always works.
    unsubscribe_url: str | None = Field(default=None, validation_alias="MENTORMAIL_UNSUBSCRIBE_URL")

    @field_validator("service_address")
    @classmethod
    def _plain_address(cls, value: str) -> str:
        local, sep, domain = value.strip().lower().partition("@")
        if not sep or not local or not domain:
            raise ValueError("must be a plain address like mentorship@example.org")
        return f"{local}@{domain}"

    @model_validator(mode="after")
    def _untagged_address(self) -> Self:
        """The delimiter cannot be in the service's own local part: a tagged address would
        then be read from the wrong place."""
        if self.delimiter in self.service_address.partition("@")[0]:
            raise ValueError(
                f"MENTORMAIL_ADDRESS must be a plain address like mentorship@example.org "
                f"(no {self.delimiter!r}, the address delimiter)"
            )
        return self

    @model_validator(mode="after")
    def _oauth_complete(self) -> Self:
        """The OAuth settings go together; the message names what is missing, never a value."""
        url = self.mail_oauth_token_url
        if not url:
            others = {
                "MAIL_OAUTH_CLIENT_ID": self.mail_oauth_client_id,
                "MAIL_OAUTH_CLIENT_SECRET": self.mail_oauth_client_secret,
                "MAIL_OAUTH_REFRESH_TOKEN": self.mail_oauth_refresh_token,
                "MAIL_OAUTH_SCOPE": self.mail_oauth_scope,
            }
            named = [name for name, value in others.items() if value]
            if named:
                raise ValueError(
                    f"{', '.join(named)} set but MAIL_OAUTH_TOKEN_URL is not: set the "
                    "provider's token endpoint too (docs/oauth.md)"
                )
            return self
        refusal = token_url_refusal(url)
        if refusal is not None:
            raise ValueError(f"MAIL_OAUTH_TOKEN_URL {refusal}")
        if not self.mail_oauth_client_id:
            raise ValueError("MAIL_OAUTH_TOKEN_URL is set: MAIL_OAUTH_CLIENT_ID must be too")
        if self.mail_oauth_refresh_token is None and self.mail_oauth_client_secret is None:
            raise ValueError(
                "MAIL_OAUTH_TOKEN_URL is set: MAIL_OAUTH_CLIENT_SECRET must be too (or "
                "MAIL_OAUTH_REFRESH_TOKEN, for a client that has no secret)"
            )
        return self

    @property
    def delimiter(self) -> str:
        """What joins a token to the local part in our reply addresses."""
        return tag_delimiter(self.address_delimiter)

    @property
    def signed_organizer(self) -> bool:
        """Whether a calendar event's ORGANIZER is the attendee's signed address (else the
        plain service address, and answers are found by their UID)."""
        return self.address_delimiter != "none"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'mentormail.sqlite3').resolve()}"

    @property
    def helo_name(self) -> str:
        return self.smtp_helo_name or self.service_address.rpartition("@")[2]

    @property
    def retry_window(self) -> timedelta:
        return timedelta(days=self.retry_days)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def configured_servers(self) -> list[str]:
        """The servers set, by their variables; none means the embedded defaults."""
        servers = {
            "DATABASE_URL": self.database_url and not self.database_url.startswith("sqlite:"),
            "REDIS_URL": self.redis_url,
            "SMTP_URL": self.smtp_url,
            "IMAP_URL": self.imap_url,
        }
        return [name for name, value in servers.items() if value]

    def secret_refusal(self) -> str | None:
        """Why the service will not start on its secret, or None.

        On the embedded defaults the secret made in the data folder will do. Once a server is
        configured, processes on other machines share the database and the mail, and the
        secret they share must be set, and strong: it signs every reply address.
        """
        servers = self.configured_servers
        why = weakness(self.secret)
        if not servers or why is None:
            return None
        return (
            f"MENTORMAIL_SECRET {why}. With {', '.join(servers)} set, mentormail needs a "
            "secret of its own (at least 43 characters of url-safe base64 or 64 hexadecimal "
            "digits): run `mentormail secret` and set MENTORMAIL_SECRET to what it prints. "
            "If mail was already sent with the old one, list it in MENTORMAIL_OLD_SECRETS."
        )

    def checked_secret(self) -> Secret:
        """`resolved_secret`, refused (SecretRefused) as `secret_refusal` says."""
        refusal = self.secret_refusal()
        if refusal is not None:
            raise SecretRefused(refusal)
        return self.resolved_secret()

    def resolved_secret(self) -> Secret:
        """The HMAC key, with the old ones; on embedded defaults one is made once and kept in
        the data folder."""
        current = self.secret or _kept_secret(self.data_dir)
        old = (key.strip() for key in self.old_secrets.split(","))
        return Secret(current.encode(), (key.encode() for key in old if key))


def _kept_secret(folder: Path) -> str:
    """The data folder's secret, made by whichever process gets there first.

    Several workers may start at once on a fresh folder: each writes a whole secret to a file
    of its own, and links it to `secret.key`, which succeeds for one of them only; everyone
    then reads that one. Nobody ever reads a file half written.
    """
    path = folder / "secret.key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
        # mkstemp makes the file 0600, readable by the service's user alone.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".secret-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="ascii") as file:
                file.write(new_secret())
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another start was first: theirs holds
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text(encoding="ascii").strip()
