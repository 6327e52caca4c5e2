"""Only the right people can act: a forged From is never enough. A coordinator's commands
come through their own signed address, or wait for them to confirm; an emailed import adds
no coordinator; a Message-ID of ours cannot be computed to answer as someone else."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import make_msgid

from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.outbox.sender import send_due
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage.models import (
    Coordinator,
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    Pairing,
    PairingState,
    Task,
)
from tests.integration.test_flow import deliver, receive, sent_to
from tests.mail import parse, reply_to, to_plain_address

PAT = "pat@society.example"  # the coordinator
SAM = "sam@university.example"
ZOE = "zoe@hospital.example"
MALLORY = "mallory@elsewhere.example"
COLUMNS = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,weekday,time,coordinator_email\n"
)
CSV = (
    COLUMNS + f"Hematology 2027,Dr. Zoë O'Brien,{ZOE},America/New_York,"
    f"Sam Okafor,{SAM},Europe/Berlin,2026-12-01,Thursday,10:00,{PAT}\n"
).encode()


async def active(app: AppContext) -> Pairing:
    roster = read_roster(CSV, app.clock.now().date())
    await import_roster(roster, OutboxWriter(app.settings, app.secret), app.clock.now())
    await send_due(app)
    for address in (SAM, ZOE):
        request = (await sent_to(app, address, "agreement_request"))[0]
        deliver(app, reply_to(request, sender=address, body="I agree"))
    await receive(app)
    pairing = await Pairing.get()
    assert pairing.state == PairingState.ACTIVE
    return pairing


def text(raw: bytes) -> str:
    body = parse(raw).get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


async def test_commands_from_a_coordinator_s_address_wait_for_them_to_confirm(
    app: AppContext,
) -> None:
    pairing = await active(app)
    sent_before = await OutboundMessage.all().count()
    # Anyone can write the coordinator's address in From.
    deliver(app, to_plain_address(app.settings.service_address, PAT, f"pause {pairing.id}"))
    assert await receive(app) == [InboundStatus.HELD]
    assert (await Pairing.get(id=pairing.id)).state == PairingState.ACTIVE
    # Only the coordinator hears of it, at their real address, and nobody else.
    new = await OutboundMessage.filter(id__gt=sent_before)
    assert [(row.kind, row.recipients) for row in new] == [("coordinator_confirm", [PAT])]
    (request,) = await sent_to(app, PAT, "coordinator_confirm")
    assert f"pause {pairing.id}" in text(request)
    # The request's address answers the coordinator alone.
    deliver(app, reply_to(request, sender=MALLORY, body="confirm"))
    assert await receive(app) == [InboundStatus.REFUSED]
    assert (await Pairing.get(id=pairing.id)).state == PairingState.ACTIVE
    # A reply that does not confirm does nothing either.
    deliver(app, reply_to(request, sender=PAT, body="No, that was not me!"))
    await receive(app)
    assert (await Pairing.get(id=pairing.id)).state == PairingState.ACTIVE
    assert "Nothing was done" in text((await sent_to(app, PAT, "coordinator_reply"))[-1])
    # The coordinator confirms: the held message is applied, once.
    deliver(app, reply_to(request, sender=PAT, body="Confirm"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    assert (await Pairing.get(id=pairing.id)).state == PairingState.PAUSED
    held = await InboundMessage.get(status=InboundStatus.PROCESSED, reason__contains="confirmed")
    assert held.from_addr == PAT
    deliver(app, reply_to(request, sender=PAT, body="confirm", when=None))
    await receive(app)
    assert "already" in text((await sent_to(app, PAT, "coordinator_reply"))[-1])


async def test_a_forged_import_changes_nothing_and_an_emailed_one_adds_no_coordinator(
    app: AppContext,
) -> None:
    await active(app)
    roster = (
        COLUMNS + "Hematology 2027,Dr. Lee,lee@x.example,Asia/Tokyo,"
        f"Kai Tanaka,kai@x.example,Asia/Tokyo,2027-02-01,Monday,10:00,{MALLORY}\n"
    ).encode()
    deliver(app, to_plain_address(app.settings.service_address, PAT, "import", roster))
    assert await receive(app) == [InboundStatus.HELD]
    assert not await Pairing.filter(mentee__email="kai@x.example").exists()
    assert not await Coordinator.filter(email=MALLORY).exists()
    # Confirmed by the coordinator: the pairs come in, the stranger does not.
    (request,) = await sent_to(app, PAT, "coordinator_confirm")
    assert "pairs.csv" in text(request)
    deliver(app, reply_to(request, sender=PAT, body="confirm"))
    await receive(app)
    assert await Pairing.filter(mentee__email="kai@x.example").exists()
    assert not await Coordinator.filter(email=MALLORY).exists()
    answer = text((await sent_to(app, PAT, "coordinator_reply"))[-1])
    assert f"coordinator_email {MALLORY} was not made a coordinator" in answer


async def test_requests_to_confirm_are_few_however_many_forgeries_come(app: AppContext) -> None:
    pairing = await active(app)
    for _ in range(6):
        deliver(app, to_plain_address(app.settings.service_address, PAT, f"close {pairing.id}"))
    statuses = await receive(app)
    assert statuses.count(InboundStatus.HELD) == 3
    assert len(await sent_to(app, PAT, "coordinator_confirm")) == 3
    assert (await Pairing.get(id=pairing.id)).state == PairingState.ACTIVE


async def test_a_message_id_computed_from_its_key_answers_as_nobody(app: AppContext) -> None:
    pairing = await active(app)
    (row,) = [r for r in await OutboundMessage.filter(kind="invitation") if SAM in r.recipients]
    # What anybody could compute before Message-IDs were keyed with the service's secret.
    domain = app.settings.service_address.partition("@")[2]
    guessed = hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:32] + "@" + domain
    assert guessed != row.message_id
    forged = EmailMessage()
    forged["From"] = SAM
    forged["To"] = app.settings.service_address
    forged["Subject"] = "Re: your meeting"
    forged["Message-ID"] = make_msgid(domain="elsewhere.example")
    forged["In-Reply-To"] = f"<{guessed}>"
    forged.set_content("phase out")
    deliver(app, forged.as_bytes())
    assert await receive(app) == [InboundStatus.REFUSED]
    assert (await Pairing.get(id=pairing.id)).state == PairingState.ACTIVE
    # The Message-ID we did send routes a reply that lost its address, from its recipient.
    answer = reply_to(
        (await sent_to(app, SAM, "invitation"))[0],
        sender=SAM,
        body="agenda: grants",
        use_token=False,
    )
    deliver(app, answer)
    assert await receive(app) == [InboundStatus.PROCESSED]


async def test_one_reply_adds_twenty_action_items_and_moves_a_meeting_once(
    app: AppContext,
) -> None:
    pairing = await active(app)
    invitation = (await sent_to(app, SAM, "invitation"))[0]
    lines = ["reschedule: next Tuesday 3pm", "reschedule: next Wednesday 3pm"] * 5
    lines += [f"task: read chapter {n} by Friday" for n in range(600)]
    sent_before = await OutboundMessage.all().count()
    deliver(app, reply_to(invitation, sender=SAM, body="\n".join(lines)))
    assert await receive(app) == [InboundStatus.PROCESSED]
    assert await Task.filter(pairing_id=pairing.id).count() == 20
    # One move: its updated invitation to each, and the answer.
    new = await OutboundMessage.filter(id__gt=sent_before)
    answer = text((await sent_to(app, SAM, "understood"))[-1])
    print(answer)
    assert sorted(row.kind for row in new) == ["invitation", "invitation", "understood"]
    assert (
        "task: read chapter 20 by Friday (not applied: one message applies 20 at most; send "
        "the rest apart), and 469 more like it" in answer
    )
    assert "reschedule: next Wednesday 3pm (not applied: one reschedule a message" in answer
    assert "The last 110 lines of your message were not read: 500 lines" in answer
