"""Signing in with XOAUTH2, as Microsoft 365 and Google Workspace require, against servers
that speak it: Dovecot's oauth2 passdb and the SMTP server, both asking a local OAuth 2.0
server whether each token is live."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

from service.app import AppContext
from service.inbox.store import store_fetched
from service.jobs.worker import make_app
from service.mail.transports.base import Incoming, Outgoing
from service.mail.transports.factory import incoming_from_url, outgoing_from_url
from service.mail.transports.imap import ImapIncoming
from service.mail.transports.oauth import OAuthClient, TokenRefused, TokenSource
from service.outbox.sender import SETTINGS_PROBLEM, send_due
from service.storage import db
from service.storage.models import OutboundMessage, OutboundStatus
from tests.conftest import SERVICE_DOMAIN
from tests.integration.conftest import make_settings
from tests.integration.test_cli import mentormail
from tests.integration.test_sender import queue
from tests.mail import reply_to
from tests.oauth_server import OAuthServer
from tests.servers import USER, Dovecot, SmtpServer, private_dovecot

CLIENT_ID = "mentormail-test-app"
SECRET = "s3cret-value-nobody-may-see"
REFRESH = "refresh-value-nobody-may-see"


@pytest.fixture(scope="module")
def oauth_server() -> Iterator[OAuthServer]:
    server = OAuthServer(CLIENT_ID, SECRET, USER, refresh_token=REFRESH)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def oauth_dovecot(oauth_server: OAuthServer) -> Iterator[Dovecot]:
    with private_dovecot(introspection_url=oauth_server.introspection_url) as server:
        yield server


@pytest.fixture
def oauth(oauth_server: OAuthServer, oauth_dovecot: Dovecot) -> OAuthServer:
    oauth_server.reset()
    for sub in ("new", "cur"):
        for path in (oauth_dovecot.maildir / sub).iterdir():
            path.unlink()
    return oauth_server


@pytest.fixture
def smtp(oauth: OAuthServer, oauth_dovecot: Dovecot) -> Iterator[SmtpServer]:
    server = SmtpServer(oauth_dovecot, SERVICE_DOMAIN, oauth=oauth)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Service:
    """The service made from its settings as the worker makes it, on the XOAUTH2 servers."""

    def __init__(
        self,
        smtp: SmtpServer,
        dovecot: Dovecot,
        oauth: OAuthServer,
        database_url: str,
        data: Path,
    ) -> None:
        self.smtp, self.dovecot, self.oauth = smtp, dovecot, oauth
        self.database_url, self.data = database_url, data
        self.transports: list[Outgoing | Incoming] = []
        self.connections: list[BaseDBAsyncClient] = []

    async def start(self, **oauth: Any) -> AppContext:
        settings = make_settings(
            self.data,
            self.database_url,
            SMTP_URL=f"smtp://{USER}@127.0.0.1:{self.smtp.port}",
            IMAP_URL=self.dovecot.oauth_imap_url(),
            MENTORMAIL_ADDRESS=f"{USER}@{SERVICE_DOMAIN}",
            SMTP_CONNECTIONS=1,
            MAIL_OAUTH_TOKEN_URL=self.oauth.token_url,
            MAIL_OAUTH_CLIENT_ID=CLIENT_ID,
            **{"MAIL_OAUTH_CLIENT_SECRET": SECRET, **oauth},
        )
        app = await make_app(settings)
        self.transports += [app.outgoing, app.incoming]
        # Opened in the test's own task: the fixture's teardown runs in another context, where
        # the ORM does not see this connection, so it is kept here to be closed by name.
        self.connections.append(Tortoise.get_connection("default"))
        return app

    def sign_in_anew(self, app: AppContext, **client: Any) -> None:
        """The app's SMTP and IMAP made again, signing in as `client` says: the settings
        mended, as after a restart."""
        tokens = TokenSource(OAuthClient(self.oauth.token_url, CLIENT_ID, **client))
        settings = app.settings
        app.outgoing = outgoing_from_url(settings.smtp_url, settings.outbox_dir, tokens=tokens)
        app.incoming = incoming_from_url(settings.imap_url, settings.inbox_dir, tokens)
        self.transports += [app.outgoing, app.incoming]

    async def reply_arrives(self, app: AppContext) -> int:
        """A participant answers the last email sent; returns the replies the service stored."""
        self.dovecot.deliver(
            reply_to(self.smtp.messages[-1].raw, sender="person0@example.org", body="Thanks!")
        )
        return len(await store_fetched(app))

    async def close(self) -> None:
        for transport in self.transports:
            await transport.close()
        for connection in self.connections:
            await connection.close()
        await db.close()


@pytest.fixture
async def service(
    database_url: str, tmp_path: Path, smtp: SmtpServer, oauth_dovecot: Dovecot, oauth: OAuthServer
) -> AsyncIterator[Service]:
    running = Service(smtp, oauth_dovecot, oauth, database_url, tmp_path / "data")
    try:
        yield running
    finally:
        await running.close()


async def test_mail_goes_out_and_replies_come_in_signed_in_with_xoauth2(
    service: Service, oauth: OAuthServer
) -> None:
    app = await service.start()
    await queue(app, 2)
    assert await send_due(app) == 2
    assert [m.rcpt_tos for m in service.smtp.messages] == [
        ["person0@example.org"],
        ["person1@example.org"],
    ]
    assert service.smtp.handler.signed_in == [USER], "one connection, signed in with XOAUTH2"
    assert await service.reply_arrives(app) == 1
    assert oauth.grants == ["client_credentials"], "one token, for SMTP and IMAP alike"
    assert "XOAUTH2" in (service.dovecot.root / "dovecot.log").read_text()


async def test_an_expired_token_is_renewed_for_the_next_sign_in(
    service: Service, oauth: OAuthServer
) -> None:
    oauth.reset(lifetime=1.0)  # the servers refuse a token a second after it was issued
    app = await service.start()
    await queue(app, 1, batch="first")
    assert await send_due(app) == 1
    await asyncio.sleep(1.1)
    await queue(app, 1, batch="second")
    assert await send_due(app) == 1, "a new connection, signed in with a new token"
    assert len(service.smtp.messages) == 2
    assert oauth.grants == ["client_credentials"] * 2

    await asyncio.sleep(1.1)
    assert await service.reply_arrives(app) == 1, "IMAP signed in with a third token"
    assert oauth.grants == ["client_credentials"] * 3
    assert oauth.refusals == []


async def test_a_revoked_token_is_given_up_for_a_new_one_once(
    service: Service, oauth: OAuthServer
) -> None:
    app = await service.start()
    await queue(app, 1, batch="first")
    assert await send_due(app) == 1
    assert await service.reply_arrives(app) == 1
    oauth.revoke_all()  # as an administrator does, long before the token would expire

    await queue(app, 1, batch="second")
    assert await send_due(app) == 1
    assert len(service.smtp.handler.signed_in) == 2
    assert oauth.grants == ["client_credentials"] * 2
    assert await OutboundMessage.filter(status=OutboundStatus.SENT).count() == 2

    oauth.revoke_all()
    imap = ImapIncoming(service.dovecot.oauth_imap_url(), _tokens_of(app))
    try:
        service.dovecot.deliver(
            reply_to(service.smtp.messages[-1].raw, sender="person0@example.org", body="Again")
        )
        assert len(await imap.fetch()) == 1
    finally:
        await imap.close()
    assert oauth.grants == ["client_credentials"] * 3


def _tokens_of(app: AppContext) -> TokenSource:
    tokens = getattr(app.incoming, "tokens", None)
    assert isinstance(tokens, TokenSource)
    return tokens


async def test_a_wrong_client_secret_pauses_sending_and_fails_nothing(
    service: Service,
    oauth: OAuthServer,
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    wrong = "wrong-s3cret-typed-by-hand"
    app = await service.start(MAIL_OAUTH_CLIENT_SECRET=wrong)
    await queue(app, 3)
    for _ in range(3):
        assert await send_due(app) == 0
    rows = await OutboundMessage.all()
    assert {(r.status, r.attempts) for r in rows} == {(OutboundStatus.PENDING, 0)}
    assert all(str(r.last_error).startswith(SETTINGS_PROBLEM) for r in rows if r.last_error)
    assert app.sending_paused is not None and "invalid_client" in app.sending_paused
    assert "MAIL_OAUTH_CLIENT_SECRET" in app.sending_paused
    assert service.smtp.messages == [] and oauth.grants == []

    status = mentormail(tmp_path, "status", database_url=database_url)
    assert "Sending waits" in status.stdout and "invalid_client" in status.stdout
    with pytest.raises(TokenRefused) as refused:
        await app.incoming.fetch()
    assert "invalid_client" in str(refused.value)
    for said in (caplog.text, status.stdout, status.stderr, str(refused.value)):
        assert wrong not in said and SECRET not in said
    assert "sending waits until the mail server's settings are mended" in caplog.text

    service.sign_in_anew(app, client_secret=SECRET)
    assert await send_due(app) == 3
    assert app.sending_paused is None and len(service.smtp.messages) == 3


async def test_the_refresh_token_grant_signs_in_too(service: Service, oauth: OAuthServer) -> None:
    app = await service.start(MAIL_OAUTH_REFRESH_TOKEN=REFRESH)
    await queue(app, 1)
    assert await send_due(app) == 1
    assert await service.reply_arrives(app) == 1
    assert oauth.grants == ["refresh_token"]

    service.sign_in_anew(app, client_secret=SECRET, refresh_token="revoked-refresh-value")
    await queue(app, 1, batch="later")
    assert await send_due(app) == 0
    assert app.sending_paused is not None
    assert "invalid_grant" in app.sending_paused
    assert "MAIL_OAUTH_REFRESH_TOKEN is expired or revoked" in app.sending_paused
    assert "revoked-refresh-value" not in app.sending_paused
