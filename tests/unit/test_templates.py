"""Every kind of email renders, reads well as text, escapes HTML, and ends with how to answer."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from jinja2 import UndefinedError
from markupsafe import escape

from service.mail.kinds import KINDS
from service.mail.writing.compose import Rendered, build_message, render
from service.program.grammar import Grammar, help_text
from service.program.terms import GROUND_RULES, Terms

HELP = help_text(Grammar.EVERYDAY, None, today=date(2026, 12, 1))
NAME = "Zoë O'Brien-Ñúñez"
LONG_GOAL = "Publish " + "a very careful multi-centre cohort study " * 5
TERMS = {
    "goals": ["<script>alert('x')</script> & more", LONG_GOAL[:200]],
    "meeting_minutes": 60,
    "frequency_label": "every 2 weeks",
    "first_months": "4–6",
    "reevaluate_months": 6,
    "projected_months": 12,
    "reschedule_notice": "2 days",
    "reschedule_channel": "email",
    "location": "Room <4> & https://meet.example.org/r?a=1",
    "weekday_label": "Tuesday",
    "time_label": "15:00",
    "timezone": "New York time",
    "local": {"weekday": "Wednesday", "time_label": "04:00", "zone": "Tokyo time", "unusual": True},
}
PERSON = {"name": NAME, "greeting": NAME, "email": "zoe@hospital.example", "role": "mentor"}
PARTNER = {"name": "Sam d'Arcy", "email": "sam@university.example", "role": "mentee"}
MEETING = {
    "label": "Tuesday 1 December 2026, 15:00–16:00 New York time",
    "organiser_label": "Tuesday 1 December 2026, 15:00–16:00 New York time",
    "minutes": 60,
    "number": 1,
    "name": "mentoring meeting 1",
    "private": False,
}
FOLLOW_UP = {
    "summary": "We talked about the <abstract> deadline.",
    "expectation": "Drafts reach me a week before a deadline.",
    "incidents": "The ASH abstract came on the day it was due.",
    "goals": TERMS["goals"],
    "actions": [{"number": 4, "text": "Share a <timeline>", "due": "Friday 4 December 2026"}],
}
FORM = [{"label": "Summary", "value": ""}, {"label": "Action item", "value": ""}]


def context(kind: str) -> dict[str, Any]:
    base: dict[str, Any] = {
        "service_name": "mentormail",
        "recipient": PERSON,
        "program": {"name": "Hematology & Oncology 2027"},
    }
    extra: dict[str, dict[str, Any]] = {
        "agreement_request": {
            "partner": PARTNER,
            "terms": TERMS,
            "ground_rules": list(GROUND_RULES),
            "form": [
                {"label": label, "value": value}
                for label, value in Terms(goals=(TERMS["goals"][0],)).form()
            ],
            "partner_agreed": True,
            "changed_by": "Sam d'Arcy",
            "changes": ["Frequency: monthly → every 2 weeks", "Goal 1: (empty) → <b>Publish</b>"],
        },
        "agreement_signed": {
            "partner": PARTNER,
            "terms": TERMS,
            "ground_rules": list(GROUND_RULES),
            "mentor": {"name": NAME},
            "mentee": {"name": PARTNER["name"], "greeting": "Sam"},
            "mentor_signed_on": "1 December 2026",
            "mentee_signed_on": "2 December 2026",
            "first_meeting": MEETING["label"],
        },
        "invitation": {
            "partner": PARTNER,
            "meeting": {
                **MEETING,
                "location": "Room <4> or https://meet.example.org/r?a=1&b=2",
                "link": "https://meet.example.org/r?a=1&b=2",
            },
            "is_update": True,
            "change_note": "Sam d'Arcy moved this meeting.",
            "agenda": ["Fellowship <options>"],
            "reschedule_notice": "2 days",
        },
        "cancellation": {"partner": PARTNER, "meeting": MEETING, "reason": None},
        "closure": {
            "partner": PARTNER,
            "path": "participant",
            "started_by": "Sam d'Arcy",
            "projected_months": 12,
            "last_meeting": MEETING,
            "cancelled": 1,
            "questions": ["Have I met my learning goals?"],
            "advice": ["Gratitude is the key to leaving gracefully."],
        },
        "closure_archive": {
            "partner": PARTNER,
            "goals": TERMS["goals"],
            "frequency": "monthly",
            "signed_on": "Tuesday 1 December 2026",
            "closed_on": "Friday 3 December 2027",
            "meetings": ["Tuesday 9 December 2026, 15:00–16:00 New York time"],
            "done": [{"number": 1, "text": "Send <CV>"}],
            "open": [],
        },
        "mentoring_map": {
            "partner": PARTNER,
            "categories": [{"name": "Sponsorship", "about": "someone who opens <doors>"}],
        },
        "mentor_reflection": {
            "partner": PARTNER,
            "first_meeting": MEETING["label"],
            "questions": ["Who helped you, and how?"],
        },
        "help_note": {
            "writer": {"name": NAME, "email": "zoe@hospital.example", "role": "mentor"},
            "partner": PARTNER,
            "pairing_number": 12,
            "note": "We have not met <since> October.",
        },
        "reflection_shared": {"partner": PARTNER, "text": "We <did> well.\nNext: the grant."},
        "partner_note": {"partner": PARTNER, "lines": ["Can we meet on <zoom> instead?"]},
        "meeting_declined": {
            "partner": PARTNER,
            "meeting": MEETING,
            "comment": "Clinic <overran>, sorry",
            "example": "Tue Dec 9 3pm",
        },
        "time_proposed": {
            "partner": PARTNER,
            "meeting": MEETING,
            "proposed": {"label": "Thursday 11 December 2026, 15:00–16:00 Berlin time"},
            "comment": None,
        },
        "understood": {
            "subject": "Re: Your mentoring agreement",
            "applied": ["Changed Frequency: every 2 weeks"],
            "not_understood": ["Frequency: <whenever>"],
            "held": [{"line": "can we <pause>?", "why": "it is a question", "write": ["pause"]}],
            "passed_on": {"to": PARTNER["name"], "lines": ["Can we meet on <zoom>?"]},
            "notes": ['No change and no "I agree" was found in your reply.'],
            "reminders": {
                "soon": [
                    {
                        "number": 2,
                        "text": "Read <papers>",
                        "due": "Friday 11 December 2026",
                        "today": False,
                    }
                ],
                "late": [
                    {
                        "number": 1,
                        "text": "Draft <aims>",
                        "due": "Monday 7 December 2026",
                        "today": False,
                    }
                ],
            },
            "gathered": {
                "day": "Tuesday 8 December 2026",
                "replies": [
                    {"subject": "Re: Due <soon>", "at": "14:37", "applied": ["Task 1 is <done>."]}
                ],
            },
            "help_text": HELP,
        },
        "help": {"help_text": HELP, "note_received": True, "note_unsent": False},
        "refusal": {"reason": "This conversation belongs to another address."},
        "agenda_request": {
            "unanswered": 3,
            "partner": PARTNER,
            "meeting": MEETING,
            "goals": TERMS["goals"],
            "open_items": ["Draft <aims>"],
            "checklist": ["Refresh your CV"],
            "during": ["Be punctual <and> present."],
            "talking_points": ["What led you here?"],
            "help_text": HELP,
        },
        "agenda": {
            "partner": PARTNER,
            "meeting": MEETING,
            "items": ["Fellowship <options>"],
            "goals": TERMS["goals"],
            "open_items": [],
            "help_text": HELP,
        },
        "after_meeting": {
            "unanswered": 3,
            "partner": PARTNER,
            "meeting": MEETING,
            "questions": ["Am I still learning and growing?", "Are my needs being met?"],
            "stock_from": 2,
            "between": ["Follow through on assigned tasks."],
            "help_text": HELP,
        },
        "reevaluation": {
            "partner": PARTNER,
            "months": 6,
            "frequency": "monthly",
            "held": 5,
            "goals": TERMS["goals"],
            "help_text": HELP,
        },
        "task_reminder": {
            "partner": PARTNER,
            "soon": [
                {"number": 3, "text": "Send <CV>", "due": "Thursday 3 December 2026", "today": True}
            ],
            "late": [
                {
                    "number": 1,
                    "text": "Read <the> review",
                    "due": "Friday 27 November 2026",
                    "today": False,
                }
            ],
            "help_text": HELP,
        },
        "task_overdue": {
            "partner": PARTNER,
            "soon": [],
            "late": [
                {
                    "number": 3,
                    "text": "Send <CV>",
                    "due": "Thursday 3 December 2026",
                    "today": False,
                }
            ],
            "help_text": HELP,
        },
        "performance_summary_request": {
            "partner": PARTNER,
            "meeting": MEETING,
            "steps": ["Frame the conversation around your mentee's <goals>."],
            "goals": TERMS["goals"],
            "form": FORM,
        },
        "performance_followup_draft": {
            "partner": PARTNER,
            "mentor": {"name": NAME},
            "mentee": {"name": PARTNER["name"], "greeting": "Sam"},
            "sent": False,
            "version": 2,
            "follow_up": FOLLOW_UP,
            "problems": ['"Share a <timeline>" has no date'],
            "sweeping": ["you always"],
            "form": FORM,
        },
        "performance_followup": {
            "partner": PARTNER,
            "mentor": {"name": NAME},
            "mentee": {"name": PARTNER["name"], "greeting": "Sam"},
            "sent": True,
            "follow_up": FOLLOW_UP,
        },
        "performance_reply": {
            "partner": PARTNER,
            "confirmed": False,
            "corrections": "The deadline was <moved>, not missed.",
        },
        "performance_checkback": {
            "partner": PARTNER,
            "items": [
                {
                    "number": 4,
                    "text": "Share a <timeline>",
                    "due": "Friday 4 December 2026",
                    "done": True,
                }
            ],
        },
        "digest": {
            "period": {"start": "Mon 30 Nov 2026", "end": "Mon 07 Dec 2026"},
            "numbers": {
                "pairings": 3,
                "by_state": [{"state": "active", "count": 2}, {"state": "agreeing", "count": 1}],
                "held": 4,
                "planned": 5,
                "done": 2,
                "overdue": 1,
                "replies": 9,
                "attention": 1,
            },
            "chart_text": "Meetings held against planned over the last 12 weeks: 40 of 44.",
            "attention": [
                {
                    "number": 12,
                    "mentor": NAME,
                    "mentee": PARTNER["name"],
                    "reasons": ["asked for help: we <never> meet"],
                }
            ],
            "attention_more": 140,
            "table": [
                {
                    "number": 12,
                    "mentor": NAME,
                    "mentee": PARTNER["name"],
                    "state": "active",
                    "last_held": "01 Dec",
                    "overdue": 1,
                }
            ],
            "table_more": 0,
            "closed": [
                {"number": 3, "names": "A and B", "what": "closed", "path": "by a participant"}
            ],
            "stopped": [
                {
                    "address": "sam<x>@example.org",
                    "name": PARTNER["name"],
                    "kind": "marked as spam",
                    "complained": True,
                    "since": "3 December 2026",
                    "pairings": "#12",
                }
            ],
            "stopped_more": 2,
            "commands": [("nudge 12", "a friendly <reminder>")],
            "every": "weekly",
        },
        "coordinator_reply": {
            "done": [f"{NAME} and Sam got a friendly nudge."],
            "problems": ["close 99 (there is no pairing 99 in a program you <coordinate>)"],
            "commands": [("nudge 12", "a friendly <reminder>")],
        },
        "nudge": {
            "partner": PARTNER,
            "state": "active",
            "pending": ["no meeting held for 6 weeks (agreed: every 2 weeks)"],
            "open_items": 2,
            "next_meeting": MEETING["label"],
        },
        "coordinator_confirm": {
            "commands_found": ["pause 12", "import"],
            "attachments": [f"pairs of {NAME} <2027>.csv"],
            "expires": "Thursday 10 December 2026",
        },
        "mail_waited": {
            "span": "Friday 4 December 2026, 14:02–17:10 (America/New_York)",
            "waited": "about 3 hours",
            "problem": f"535 5.7.8 <Authentication> credentials invalid for {NAME}",
            "settings_problem": True,
            "waiting": 42,
        },
        "pairing_details": {
            "pairing": {
                "number": 12,
                "state": "closing",
                "mentor": {"name": NAME, "email": "zoe@hospital.example"},
                "mentee": {"name": PARTNER["name"], "email": PARTNER["email"]},
                "created": "Tuesday 1 December 2026",
                "signed": None,
                "closing_path": "projected_end",
            },
            "meetings": [
                {
                    "label": MEETING["label"],
                    "number": 1,
                    "status": "held",
                    "answers": ["x: <accepted>"],
                }
            ],
            "tasks": {"open": 1, "done": 2, "overdue": 0},
        },
        "mentor_checkin": {
            "partner": PARTNER,
            "meeting": MEETING,
            "questions": ["What is working well?"],
            "help_text": HELP,
        },
    }
    return {**base, **extra[kind]}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_with_awkward_data(kind: str) -> None:
    rendered = render(kind, context(kind))
    assert rendered.subject and "\n" not in rendered.subject
    assert NAME in rendered.text
    assert "<script>" not in rendered.html
    assert "&lt;" not in rendered.text and "&#39;" not in rendered.text
    assert 'name="viewport"' in rendered.html
    if kind == "agreement_request":
        assert "<script>alert" in rendered.text  # text parts are not HTML-escaped
        assert "&lt;script&gt;" in rendered.html


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_preformatted_text_wraps_on_a_phone(kind: str) -> None:
    # At 375 px a line of the form or an example that does not wrap runs out of its box.
    html = render(kind, context(kind)).html
    for tag in re.findall(r"<pre\b[^>]*>", html):
        assert "white-space:pre-wrap" in tag and ("break-word" in tag or "anywhere" in tag), tag


@pytest.mark.parametrize("kind", sorted(k for k, v in KINDS.items() if v.expects_answer))
def test_emails_that_expect_an_answer_end_by_saying_what_to_write(kind: str) -> None:
    text = render(kind, context(kind)).text
    tail = text.strip().split("HOW TO ANSWER", 1)
    assert len(tail) == 2, "the text part has no closing 'how to answer' section"
    assert len(tail[1]) > 40


@pytest.mark.parametrize("kind", sorted(k for k in KINDS if "help_text" in context(k)))
def test_every_command_on_offer_is_shown_in_both_parts(kind: str) -> None:
    rendered = render(kind, context(kind))
    for example, meaning in HELP.entries:
        # One line per command in the text part; in HTML the command, then what it does.
        assert any(example in line and meaning in line for line in rendered.text.splitlines())
        assert f">{escape(example)}</code><br>" in rendered.html
        assert escape(meaning) in rendered.html


def test_the_agreement_names_the_time_where_the_reader_is() -> None:
    rendered = render("agreement_request", context("agreement_request"))
    for part in (rendered.text, rendered.html):
        assert "Wednesdays at 04:00 Tokyo time" in part
        assert "outside usual working hours" in part


def test_the_agreement_form_can_be_copied_into_a_reply() -> None:
    text = render("agreement_request", context("agreement_request")).text
    for label, value in Terms(goals=(TERMS["goals"][0],)).form():
        assert f"\n{label}: {value}".rstrip() in text
    assert "I agree" in text.split("HOW TO ANSWER")[1]


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    values = context("refusal")
    del values["reason"]
    with pytest.raises(UndefinedError):
        render("refusal", values)


def wire(rendered: Rendered, to: tuple[str, str]) -> bytes:
    return build_message(
        "refusal",
        rendered,
        from_addr=("mentormail", "mentorship@mentormail.example"),
        to=to,
        reply_to="mentorship@mentormail.example",
        message_id="abc@mentormail.example",
        date=datetime(2026, 12, 1, 9, tzinfo=UTC),
    )


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_headers_and_no_injection_through_names() -> None:
    raw = wire(
        render("refusal", context("refusal")),
        ("Mallory\r\nBcc: victim@example.org", "mallory@elsewhere.example"),
    )
    assert b"\r\nBcc:" not in raw
    message = parsed(raw)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Mentormail-Kind"] == "refusal"
    assert message["Message-ID"] == "<abc@mentormail.example>"
    assert [a.addr_spec for a in message["To"].addresses] == ["mallory@elsewhere.example"]
    assert message.get_content_type() == "multipart/alternative"


def test_the_wire_form_reads_back_as_written() -> None:
    html = "<p>" + "é" * 3000 + "</p>\n"  # one line longer than 8bit mail may carry
    raw = wire(Rendered(f"Agenda for {NAME}", f"Hello {NAME},\n", html), (NAME, "z@example.org"))
    assert b"\n" not in raw.replace(b"\r\n", b"") and raw.count(b"\r\n") > 10
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    message = parsed(raw)
    assert str(message["Subject"]) == f"Agenda for {NAME}"
    assert message["To"].addresses[0].display_name == NAME
    plain = message.get_body(("plain",))
    assert plain is not None and plain.get_content().splitlines() == [f"Hello {NAME},"]
    html_part = message.get_body(("html",))
    assert html_part is not None and html_part["Content-Transfer-Encoding"] == "quoted-printable"
    assert html_part.get_content().splitlines() == html.splitlines()


@pytest.mark.parametrize(("today", "said"), [(True, "due today"), (False, "due soon")])
def test_a_reminder_says_due_today_on_the_morning_its_item_falls_due(
    today: bool, said: str
) -> None:
    item = {"number": 2, "text": "Send the CV", "due": "Saturday 5 December 2026"}
    reminder = {**context("task_reminder"), "soon": [{**item, "today": today}], "late": []}
    rendered = render("task_reminder", reminder)
    other = "due soon" if today else "due today"
    assert rendered.subject == f"{said.capitalize()}: Send the CV"
    for part in (rendered.text, rendered.html):
        assert f"this action item is {said}." in part
        assert other not in part.lower()
