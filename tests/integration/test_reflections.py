"""Reflections are kept sealed for their writer and reach the partner only on `share`."""

from __future__ import annotations

import logging

import pytest

from service.app import AppContext
from service.models import InboundStatus, OutboundMessage, Reflection
from service.privacy import unseal
from service.reflections import PURPOSE
from tests.integration.test_flow import activated, deliver, plain, receive, sent_to
from tests.mail import reply_to

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"


async def test_a_reflection_is_private_unless_its_writer_shares_it(
    app: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await activated(app)
    invitation = (await sent_to(app, SAM, "invitation"))[-1]
    deliver(app, reply_to(invitation, sender=SAM, body="phase out"))
    await receive(app)
    sam_closure = (await sent_to(app, SAM, "closure"))[0]
    zoe_closure = (await sent_to(app, ZOE, "closure"))[0]
    deliver(app, reply_to(sam_closure, sender=SAM, body="PRIVATE-7f3a I never felt heard."))
    deliver(
        app,
        reply_to(zoe_closure, sender=ZOE, body="SHARED-91bc Proud of the abstract.\nshare"),
    )
    assert await receive(app) == [InboundStatus.PROCESSED, InboundStatus.PROCESSED]

    sam_row, zoe_row = await Reflection.all().order_by("id")
    assert b"PRIVATE-7f3a" not in bytes(sam_row.sealed)  # sealed at rest
    assert unseal(app.secret, bytes(sam_row.sealed), PURPOSE) == "PRIVATE-7f3a I never felt heard."
    assert not sam_row.shared and zoe_row.shared and zoe_row.topic.startswith("closure")
    # Zoë's shared reflection reaches Sam; Sam's private one reaches nobody.
    (shared,) = await sent_to(app, SAM, "reflection_shared")
    assert "SHARED-91bc Proud of the abstract." in plain(shared)
    assert "share" not in plain(shared).split("abstract.")[1].split("\n")[0]
    for row in await OutboundMessage.all():
        assert b"PRIVATE-7f3a" not in bytes(row.raw_bytes), row.kind
    assert "PRIVATE-7f3a" not in caplog.text and "SHARED-91bc" not in caplog.text
    # Each writer is told what became of it.
    assert "kept for you alone" in plain((await sent_to(app, SAM, "understood"))[-1])
    assert "Sam Okafor receives it too" in plain((await sent_to(app, ZOE, "understood"))[-1])
