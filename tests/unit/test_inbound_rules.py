"""Each inbound rule alone: what it stops, why, and what the sender is told."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

import pytest

from service.config import Settings
from service.inbox import rules
from service.mail.kinds import About, Topic
from service.mail.reading.parse import ParsedMessage, parse_message

SERVICE = "mentorship@mentormail.example"
SAM = "sam@university.example"


def settings(**more: str) -> Settings:
    return Settings(MENTORMAIL_ADDRESS=SERVICE, **more)  # type: ignore[call-arg]


def message(
    body: str = "agenda: grants", sender: str | None = SAM, **headers: str
) -> ParsedMessage:
    mail = EmailMessage(policy=SMTP)
    if sender is not None:
        mail["From"] = sender
    mail["To"] = SERVICE
    mail["Subject"] = "Re: your next meeting"
    mail["Message-ID"] = "<one@university.example>"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return parse_message(mail.as_bytes())


def test_a_dmarc_failure_at_our_server_is_refused_unanswered() -> None:
    forged = message(
        Authentication_Results="mx.mentormail.example; dmarc=fail header.from=university.example"
    )
    verdict = rules.forged_sender(forged, settings(MENTORMAIL_AUTHSERV_ID="mx.mentormail.example"))
    assert verdict == rules.Verdict("refused", "forged sender: DMARC failed at our server")
    # Another server's word, or none configured to believe: the rule has nothing to say.
    assert rules.forged_sender(forged, settings(MENTORMAIL_AUTHSERV_ID="mx.other.example")) is None
    assert rules.forged_sender(forged, settings()) is None


def test_automatic_mail_is_set_aside() -> None:
    verdict = rules.automatic(message(Auto_Submitted="auto-replied"), settings())
    assert verdict is not None and (verdict.status, verdict.refusal) == ("ignored", None)
    assert rules.automatic(message(), settings()) is None


def test_a_message_without_a_sender_fails_with_what_was_wrong() -> None:
    verdict = rules.no_sender(message(sender=None), settings())
    assert verdict is not None and verdict.status == "failed"
    assert verdict.reason.startswith("no sender address")
    assert rules.no_sender(message(), settings()) is None


@pytest.mark.parametrize("sender", [SERVICE, "mentorship+1-2-general-abc@mentormail.example"])
def test_our_own_mail_coming_back_is_never_answered(sender: str) -> None:
    verdict = rules.our_own(message(sender=sender), settings())
    assert verdict == rules.Verdict("ignored", "our own mail came back")


def test_our_own_mail_is_known_by_the_delimiter_the_deployment_uses() -> None:
    dashed = settings(MENTORMAIL_ADDRESS_DELIMITER="-")
    ours = message(sender="mentorship-1-2-general-abc@mentormail.example")
    assert rules.our_own(ours, dashed) is not None
    assert rules.our_own(ours, settings()) is None
    assert rules.our_own(message(sender="mentorship+x@elsewhere.example"), settings()) is None


def routed(body: str = "agenda: grants", **more: object) -> rules.Routed:
    values: dict[str, object] = {
        "parsed": message(body),
        "person_email": SAM,
        "pairing_closed": False,
        "about": About(Topic.MEETING, 4),
        **more,
    }
    return rules.Routed(**values)  # type: ignore[arg-type]


def test_a_conversation_acts_for_its_own_person_only() -> None:
    verdict = rules.not_theirs(routed(person_email="zoe@hospital.example"))
    assert verdict is not None and verdict.status == "refused"
    assert verdict.refusal is not None and verdict.refusal.kind == "wrong_sender"
    assert rules.not_theirs(routed()) is None


def test_an_unmarked_absence_notice_is_not_answered_but_a_command_in_it_is_read() -> None:
    notice = "Thank you for your message. I am out of the office until Monday."
    verdict = rules.absence_notice(routed(notice))
    assert verdict is not None and verdict.status == "ignored" and verdict.refusal is None
    assert rules.absence_notice(routed(notice + "\ndone 2")) is None


def test_an_ended_pairing_takes_nothing_but_the_agreement_s_answer() -> None:
    verdict = rules.pairing_ended(routed(pairing_closed=True))
    assert verdict is not None and verdict.refusal is not None
    assert verdict.refusal.kind == "ended" and verdict.status == "refused"
    agreement = routed(pairing_closed=True, about=About(Topic.AGREEMENT, 1))
    assert rules.pairing_ended(agreement) is None
    assert rules.pairing_ended(routed()) is None
