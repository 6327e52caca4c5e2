"""Access tokens for signing in to a mail provider with XOAUTH2: fetched, kept, renewed early."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from service.config import token_url_refusal

if TYPE_CHECKING:
    from service.config import Settings

TIMEOUT = 30.0
# A token is renewed this long before it expires: five minutes, or a tenth of its life when
# that is shorter, so that one handed out is good for the sign-in it is fetched for.
RENEW_BEFORE = 300.0
RENEW_FRACTION = 0.1
# What the token endpoint answers when the settings, not the moment, are at fault (RFC 6749
# 5.2): the operator must mend them; trying again as they are cannot help.
SETTINGS_ERRORS = {
    "invalid_client": "check MAIL_OAUTH_CLIENT_ID and MAIL_OAUTH_CLIENT_SECRET",
    "unauthorized_client": "the app is not allowed this grant: see docs/oauth.md",
    "invalid_grant": "MAIL_OAUTH_REFRESH_TOKEN is expired or revoked: make a new one",
    "invalid_scope": "check MAIL_OAUTH_SCOPE",
    "invalid_request": "check MAIL_OAUTH_TOKEN_URL and the other MAIL_OAUTH_ settings",
    "unsupported_grant_type": "check MAIL_OAUTH_TOKEN_URL",
}


@dataclass(frozen=True)
class Provider:
    """A provider whose usual scopes we know, found by its token endpoint's host."""

    name: str
    host: str
    client_credentials_scope: str | None  # None: the provider gives mail no such grant
    refresh_token_scope: str


PROVIDERS = (
    Provider(
        "Microsoft 365",
        "login.microsoftonline.com",
        "https://outlook.office365.com/.default",
        "https://outlook.office.com/IMAP.AccessAsUser.All "
        "https://outlook.office.com/SMTP.Send offline_access",
    ),
    Provider("Google Workspace", "oauth2.googleapis.com", None, "https://mail.google.com/"),
)


def provider_of(token_url: str) -> Provider | None:
    host = (urlsplit(token_url).hostname or "").lower()
    return next((p for p in PROVIDERS if p.host == host), None)


class TokenRefused(Exception):
    """The token endpoint refused our client or grant: the settings must be mended. The
    message names the settings to look at, never their values."""


class TokenUnavailable(Exception):
    """No token for now (the endpoint away, busy or failing): later may do."""


@dataclass(frozen=True)
class OAuthClient:
    """Who we are to the token endpoint, and which grant we use."""

    token_url: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None

    def __post_init__(self) -> None:
        refusal = token_url_refusal(self.token_url)
        if refusal is not None:
            raise ValueError(f"MAIL_OAUTH_TOKEN_URL {refusal}")
        if self.scope is None:
            provider = provider_of(self.token_url)
            if provider is not None and self.refresh_token is None:
                if provider.client_credentials_scope is None:
                    raise ValueError(
                        f"{provider.name} gives mail access with a refresh token only: set "
                        "MAIL_OAUTH_REFRESH_TOKEN (docs/oauth.md)"
                    )
                object.__setattr__(self, "scope", provider.client_credentials_scope)
            elif provider is not None:
                object.__setattr__(self, "scope", provider.refresh_token_scope)

    @classmethod
    def from_settings(cls, settings: Settings) -> OAuthClient | None:
        """The client the settings describe, or None when they name no token endpoint."""
        if not settings.mail_oauth_token_url or not settings.mail_oauth_client_id:
            return None
        secret = settings.mail_oauth_client_secret
        refresh = settings.mail_oauth_refresh_token
        return cls(
            settings.mail_oauth_token_url,
            settings.mail_oauth_client_id,
            secret.get_secret_value() if secret is not None else None,
            refresh.get_secret_value() if refresh is not None else None,
            settings.mail_oauth_scope or None,
        )

    @property
    def grant(self) -> str:
        return "refresh_token" if self.refresh_token else "client_credentials"


@dataclass
class _Held:
    value: str = field(repr=False)
    renew_at: float
    accepted_by: set[str] = field(default_factory=set)


class TokenSource:
    """One access token at a time, shared by SMTP and IMAP.

    Asked for a token, it hands out the one it holds until shortly before that expires,
    then fetches another; one fetch at a time, however many coroutines and threads ask.
    `clock` gives seconds (monotonic); tests move it by hand.
    """

    def __init__(
        self,
        client: OAuthClient,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = TIMEOUT,
    ) -> None:
        self.client = client
        self.clock = clock
        self.timeout = timeout
        self._refresh_token = client.refresh_token
        self._held: _Held | None = None
        self._lock = threading.Lock()

    def _fresh(self) -> _Held | None:
        held = self._held
        return held if held is not None and self.clock() < held.renew_at else None

    async def token(self) -> str:
        """An access token good for a sign-in now (TokenRefused, TokenUnavailable)."""
        held = self._fresh()
        if held is not None:
            return held.value
        return await asyncio.to_thread(self.token_now)

    def token_now(self) -> str:
        """`token()` for a thread that may block (IMAP's)."""
        with self._lock:
            held = self._fresh()
            if held is None:
                held = self._held = self._fetch()
            return held.value

    def accepted(self, token: str, by: str) -> None:
        """`by`'s server (say "smtp") took `token`."""
        held = self._held
        if held is not None and held.value == token:
            held.accepted_by.add(by)

    def refused(self, token: str, by: str) -> bool:
        """`by`'s server refused `token`: whether a new one is worth a try.

        A token a server took before and one now refuses was revoked or expired early: it
        is dropped and a new one fetched. One no server ever took says the fault is
        elsewhere (the app's permissions, the user in the URL): fetching more would not
        help, so it is kept.
        """
        with self._lock:
            held = self._held
            if held is None or held.value != token:
                return True  # already replaced by another sign-in
            if held.accepted_by:
                self._held = None
                return True
            return False

    def _fetch(self) -> _Held:
        client = self.client
        form = {"grant_type": client.grant, "client_id": client.client_id}
        if client.client_secret:
            form["client_secret"] = client.client_secret
        if self._refresh_token:
            form["refresh_token"] = self._refresh_token
        if client.scope:
            form["scope"] = client.scope
        started = self.clock()
        status, answer = self._post(form)
        if status != 200:
            raise self._refusal(status, answer)
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise TokenRefused(
                f"the token endpoint answered {status} without an access token: check "
                "MAIL_OAUTH_TOKEN_URL (docs/oauth.md)"
            )
        rotated = answer.get("refresh_token")
        if self._refresh_token and isinstance(rotated, str) and rotated:
            self._refresh_token = rotated  # Microsoft hands out a new one with each use
        lifetime = _seconds(answer.get("expires_in"))
        return _Held(token, started + lifetime - min(RENEW_BEFORE, lifetime * RENEW_FRACTION))

    def _post(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            self.client.token_url,
            data=urlencode(form).encode(),
            headers={"Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, _json(exc.read())
        except (OSError, TimeoutError) as exc:
            # URLError's reason names the host at most; nothing of the form is in it.
            reason = getattr(exc, "reason", exc)
            raise TokenUnavailable(
                f"the token endpoint did not answer ({type(exc).__name__}: {reason})"
            ) from None

    def _refusal(self, status: int, answer: dict[str, Any]) -> Exception:
        error = str(answer.get("error") or "")
        if status >= 500 or status == 429 or error == "temporarily_unavailable":
            return TokenUnavailable(f"the token endpoint answered {status} {error}".rstrip())
        advice = SETTINGS_ERRORS.get(error, "check the MAIL_OAUTH_ settings (docs/oauth.md)")
        said = self._redacted(str(answer.get("error_description") or ""))
        said = said.splitlines()[0][:200] if said.strip() else ""
        return TokenRefused(
            f"the token endpoint refused our sign-in ({status} {error or 'no error code'}"
            f"{': ' + said if said else ''}): {advice}"
        )

    def _redacted(self, text: str) -> str:
        for secret in (self.client.client_secret, self.client.refresh_token, self._refresh_token):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _seconds(value: object) -> float:
    """`expires_in`, which some endpoints send as a string; an hour when it is missing."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 3600.0
    return max(seconds, 1.0)


def token_source(settings: Settings) -> TokenSource | None:
    """The one token source SMTP and IMAP share, when the settings name a token endpoint."""
    client = OAuthClient.from_settings(settings)
    return TokenSource(client) if client is not None else None
