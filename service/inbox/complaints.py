"""A spam complaint about our mail: believed only when it is about an email we sent to
the person it names; then mail to that person stops at once.

Anybody can write a feedback report, so a report names nobody by itself. It is believed
when the original email it carries (whole, or its headers) is ours, by its keyed
Message-ID (an HMAC of the secret: only those who got the email know it) or by a signed
reply address of ours in its From or Reply-To, and when the address the report says it was
delivered to (Original-Rcpt-To, else the original's To) is the address of the person that
email was for. Anything else is kept with its reason and changes nothing: a report naming
an address we never sent that email to, one without an identifier of ours, one whose
recipient the provider redacted. The original may be a private email of ours: the report is
stored sealed and nothing of its text is read, kept in the clear or logged.

A coordinator who marks their digest as spam is unsubscribed from it, as its
List-Unsubscribe would have done; the mail their own commands and their participants'
`help:` notes bring still goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.coordinators.commands import set_digest
from service.inbox.inbound import Inbound
from service.inbox.outcome import Outcome
from service.mail.reading.complaints import Complaint
from service.mail.tokens import find_token
from service.outbox.deliverability import apply_complaint
from service.outbox.writer import keyed
from service.storage.models import Coordinator, InboundStatus, OutboundMessage, Person


@dataclass(frozen=True)
class _SentTo:
    """Whom the complained-of email was for (a person, a coordinator, or nobody we can
    tell), and how we know, or why not."""

    how: str
    person_id: int | None = None
    coordinator_id: int | None = None


async def _sent_to(inbound: Inbound, complaint: Complaint) -> _SentTo:
    settings, secret = inbound.app.settings, inbound.app.secret
    if complaint.message_id:
        sent = (
            await OutboundMessage.filter(message_id=complaint.message_id)
            .using_db(inbound.connection)
            .only("id", "message_id", "dedupe_key", "person_id", "coordinator_id")
            .first()
        )
        if sent is not None and keyed(
            sent.message_id, sent.dedupe_key, secret, settings.service_address
        ):
            if sent.person_id is not None:
                return _SentTo("our keyed Message-ID", person_id=sent.person_id)
            if sent.coordinator_id is not None:
                return _SentTo("our keyed Message-ID", coordinator_id=sent.coordinator_id)
            return _SentTo("an email of ours to nobody we know")
    token, _ = find_token(
        secret, settings.service_address, list(complaint.senders), delimiter=settings.delimiter
    )
    if token is not None and token.about.topic.for_coordinators:
        return _SentTo("our signed reply address", coordinator_id=token.person_id)
    if token is not None:
        return _SentTo("our signed reply address", person_id=token.person_id)
    return _SentTo("no Message-ID or reply address of ours")


async def complained(inbound: Inbound) -> Outcome:
    """A complaint stops mail to the person it is about when it is believed; it is never
    answered, and always kept sealed."""
    complaint = inbound.parsed.complaint
    assert complaint is not None
    sent_to = await _sent_to(inbound, complaint)
    connection, how = inbound.connection, sent_to.how
    if sent_to.coordinator_id is not None:
        return await _from_coordinator(inbound, complaint, sent_to)
    person = None
    if sent_to.person_id is not None:
        person = await Person.get_or_none(id=sent_to.person_id, using_db=connection)
    if person is None:
        return _kept(f"spam complaint not believed: {how}; no effect")
    if person.email.lower() not in complaint.recipients:
        return _kept(f"spam complaint not believed: {NOT_SENT_THERE}; no effect")
    inbound.row.person_id = person.id
    stopped = await apply_complaint(connection, person, inbound.now)
    done = "mail to the person stopped" if stopped else "mail had stopped already"
    return _kept(f"spam complaint believed ({how}): {done}, never answered")


NOT_SENT_THERE = "it names an address that email was not sent to"


async def _from_coordinator(inbound: Inbound, complaint: Complaint, sent_to: _SentTo) -> Outcome:
    """A coordinator's mail marked as spam: their digest stops."""
    coordinator = await Coordinator.get_or_none(
        id=sent_to.coordinator_id, using_db=inbound.connection
    )
    if coordinator is None:
        return _kept(f"spam complaint not believed: {sent_to.how}, no such coordinator; no effect")
    if coordinator.email.lower() not in complaint.recipients:
        return _kept(f"spam complaint not believed: {NOT_SENT_THERE}; no effect")
    await set_digest(inbound.connection, [coordinator], "off")
    return _kept(
        f"spam complaint believed ({sent_to.how}): coordinator {coordinator.id}'s digest "
        "stopped, never answered"
    )


def _kept(reason: str) -> Outcome:
    return Outcome(InboundStatus.IGNORED, reason, sealed=True)
