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
"""

from __future__ import annotations

from service.inbox.inbound import Inbound
from service.inbox.outcome import Outcome
from service.mail.reading.complaints import Complaint
from service.mail.tokens import find_token
from service.outbox.deliverability import apply_complaint
from service.outbox.writer import keyed
from service.storage.models import InboundStatus, OutboundMessage, Person


async def _sent_to(inbound: Inbound, complaint: Complaint) -> tuple[int | None, str]:
    """The person the complained-of email was for, and how we know; None and why not."""
    settings, secret = inbound.app.settings, inbound.app.secret
    if complaint.message_id:
        sent = (
            await OutboundMessage.filter(message_id=complaint.message_id)
            .using_db(inbound.connection)
            .only("id", "message_id", "dedupe_key", "person_id")
            .first()
        )
        if sent is not None and keyed(
            sent.message_id, sent.dedupe_key, secret, settings.service_address
        ):
            if sent.person_id is None:
                return None, "about an email to no participant"
            return sent.person_id, "our keyed Message-ID"
    token, _ = find_token(
        secret, settings.service_address, list(complaint.senders), delimiter=settings.delimiter
    )
    if token is not None and token.pairing_id and not token.about.topic.for_coordinators:
        return token.person_id, "our signed reply address"
    return None, "no Message-ID or reply address of ours"


async def complained(inbound: Inbound) -> Outcome:
    """A complaint stops mail to the person it is about when it is believed; it is never
    answered, and always kept sealed."""
    complaint = inbound.parsed.complaint
    assert complaint is not None
    person_id, how = await _sent_to(inbound, complaint)
    person = None
    if person_id is not None:
        person = await Person.get_or_none(id=person_id, using_db=inbound.connection)
    if person is None:
        return _kept(f"spam complaint not believed: {how}; no effect")
    if person.email.lower() not in complaint.recipients:
        return _kept(
            "spam complaint not believed: it names an address that email was not sent to; no effect"
        )
    inbound.row.person_id = person.id
    stopped = await apply_complaint(inbound.connection, person, inbound.now)
    done = "mail to the person stopped" if stopped else "mail had stopped already"
    return _kept(f"spam complaint believed ({how}): {done}, never answered")


def _kept(reason: str) -> Outcome:
    return Outcome(InboundStatus.IGNORED, reason, sealed=True)
