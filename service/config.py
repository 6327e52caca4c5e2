"""Settings from the environment and `.env`: one object, passed to whoever needs it."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class Settings(BaseSettings):
    """Everything the service can be told. Unset servers mean the embedded defaults."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), validation_alias="MENTORMAIL_DATA_DIR")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    smtp_url: str | None = Field(default=None, validation_alias="SMTP_URL")
    imap_url: str | None = Field(default=None, validation_alias="IMAP_URL")
    secret: str | None = Field(default=None, validation_alias="MENTORMAIL_SECRET")
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
    fetch_batch: int = Field(default=100, ge=1)
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
    def retry_window(self) -> timedelta:
        return timedelta(days=self.retry_days)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    def resolved_secret(self) -> bytes:
        """The HMAC key; on embedded defaults one is made once and kept in the data folder."""
        if self.secret:
            return self.secret.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()
