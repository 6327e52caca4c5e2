"""Access tokens: kept until shortly before they expire, fetched once however many ask,
and the token endpoint's refusals told apart from its absences, with no secret in them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pydantic
import pytest

from service.config import Settings
from service.jobs.embedded_redis import free_port
from service.mail.transports.oauth import (
    OAuthClient,
    TokenRefused,
    TokenSource,
    TokenUnavailable,
)
from tests.oauth_server import OAuthServer

SECRET = "client-secret-that-must-never-show"
REFRESH = "refresh-token-that-must-never-show"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def oauth() -> Iterator[OAuthServer]:
    server = OAuthServer("app", SECRET, "mentorship", refresh_token=REFRESH)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def source(server: OAuthServer, clock: Clock, **client: str) -> TokenSource:
    values = {"client_secret": SECRET, **client}
    return TokenSource(OAuthClient(server.token_url, "app", **values), clock=clock)


@pytest.mark.parametrize(
    ("lifetime", "kept_until"),
    [
        (3600, 3300),  # an hour: renewed five minutes before it ends
        (600, 540),  # ten minutes: a tenth of its life, one minute
        (10, 9),
    ],
)
def test_a_token_is_kept_until_shortly_before_it_expires(
    oauth: OAuthServer, lifetime: float, kept_until: float
) -> None:
    oauth.lifetime = lifetime
    clock = Clock()
    tokens = source(oauth, clock)
    first = tokens.token_now()
    clock.now += kept_until - 0.01
    assert tokens.token_now() == first
    assert oauth.grants == ["client_credentials"]
    clock.now += 0.02
    second = tokens.token_now()
    assert second != first and oauth.user_of(second) == "mentorship"
    assert oauth.grants == ["client_credentials"] * 2


async def test_many_asking_at_once_make_one_fetch(oauth: OAuthServer) -> None:
    tokens = source(oauth, Clock())
    got = await asyncio.gather(*(tokens.token() for _ in range(20)))
    assert len(set(got)) == 1
    assert oauth.grants == ["client_credentials"]


def test_the_refresh_token_grant_is_used_when_one_is_set(oauth: OAuthServer) -> None:
    tokens = source(oauth, Clock(), refresh_token=REFRESH)
    assert oauth.user_of(tokens.token_now()) == "mentorship"
    assert oauth.grants == ["refresh_token"]


def test_a_token_refused_after_it_was_taken_is_replaced_and_one_never_taken_is_kept(
    oauth: OAuthServer,
) -> None:
    tokens = source(oauth, Clock())
    first = tokens.token_now()
    assert not tokens.refused(first, "imap"), "never taken: the fault is not the token's"
    assert tokens.token_now() == first
    tokens.accepted(first, "smtp")
    assert tokens.refused(first, "imap"), "taken before, refused now: revoked"
    assert tokens.token_now() != first
    assert len(oauth.grants) == 2


@pytest.mark.parametrize(
    ("client", "said", "advice"),
    [
        ({"client_secret": "wrong-secret-4f2a"}, "invalid_client", "MAIL_OAUTH_CLIENT_SECRET"),
        ({"refresh_token": "stale-token-9c1e"}, "invalid_grant", "MAIL_OAUTH_REFRESH_TOKEN"),
    ],
)
def test_a_refusal_names_the_settings_to_mend_and_no_secret(
    oauth: OAuthServer, client: dict[str, str], said: str, advice: str
) -> None:
    tokens = source(oauth, Clock(), **client)
    with pytest.raises(TokenRefused) as refused:
        tokens.token_now()
    message = str(refused.value)
    assert said in message and advice in message
    assert all(value not in message for value in (*client.values(), SECRET, REFRESH))


def test_an_endpoint_away_is_not_a_refusal() -> None:
    client = OAuthClient(f"http://127.0.0.1:{free_port()}/token", "app", SECRET)
    with pytest.raises(TokenUnavailable) as away:
        TokenSource(client, timeout=2).token_now()
    assert SECRET not in str(away.value)


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        (
            "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token",
            "https://outlook.office365.com/.default",
        ),
        ("https://idp.example.org/token", None),
    ],
)
def test_the_scope_defaults_to_the_providers_own(url: str, scope: str | None) -> None:
    assert OAuthClient(url, "app", SECRET).scope == scope


def test_google_needs_a_refresh_token() -> None:
    with pytest.raises(ValueError, match="MAIL_OAUTH_REFRESH_TOKEN"):
        OAuthClient("https://oauth2.googleapis.com/token", "app", SECRET)
    google = OAuthClient("https://oauth2.googleapis.com/token", "app", SECRET, REFRESH)
    assert google.scope == "https://mail.google.com/"
    assert SECRET not in repr(google) and REFRESH not in repr(google)


@pytest.mark.parametrize(
    ("values", "answer"),
    [
        ({"MAIL_OAUTH_TOKEN_URL": "http://idp.example.org/token"}, "must be https://"),
        ({"MAIL_OAUTH_TOKEN_URL": "ftp://idp.example.org/token"}, "must be an https:// URL"),
        ({"MAIL_OAUTH_CLIENT_ID": None}, "MAIL_OAUTH_CLIENT_ID must be too"),
        ({"MAIL_OAUTH_CLIENT_SECRET": None}, "MAIL_OAUTH_CLIENT_SECRET must be too"),
        ({"MAIL_OAUTH_TOKEN_URL": None}, "set but MAIL_OAUTH_TOKEN_URL is not"),
    ],
)
def test_settings_that_do_not_go_together_are_refused_without_their_values(
    values: dict[str, str | None], answer: str
) -> None:
    given = {
        "MAIL_OAUTH_TOKEN_URL": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
        "MAIL_OAUTH_CLIENT_ID": "app",
        "MAIL_OAUTH_CLIENT_SECRET": SECRET,
        **values,
    }
    with pytest.raises(pydantic.ValidationError) as refused:
        Settings(**{k: v for k, v in given.items() if v is not None})
    assert answer in str(refused.value)
    assert SECRET not in str(refused.value)


def test_loopback_may_be_plain_http() -> None:
    settings = Settings(
        MAIL_OAUTH_TOKEN_URL="http://127.0.0.1:8080/token",
        MAIL_OAUTH_CLIENT_ID="app",
        MAIL_OAUTH_CLIENT_SECRET=SECRET,
    )
    assert SECRET not in repr(settings)
    client = OAuthClient.from_settings(settings)
    assert client is not None and client.client_secret == SECRET
