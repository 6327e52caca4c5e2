"""The reply grammar of DESIGN §3."""

from __future__ import annotations

import pytest

from service.program.grammar import help_text, parse_commands


@pytest.mark.parametrize(
    ("line", "name", "args"),
    [
        ("done 2", "done", {"ref": "2"}),
        ("DONE #12.", "done", {"ref": "12"}),
        ("[x] 2", "done", {"ref": "2"}),
        ("✓ 3", "done", {"ref": "3"}),
        ("done: draft aims", "done", {"text": "draft aims"}),
        ("task: send CV to Dr. Lee by Dec 3", "task", {"text": "send CV to Dr. Lee by Dec 3"}),
        (
            "Task: book the room for mentor",
            "task",
            {"text": "book the room for mentor", "for": "mentor"},
        ),
        ("agenda: discuss fellowship options", "agenda", {"text": "discuss fellowship options"}),
        ("Reschedule: Tue Dec 9 3pm", "reschedule", {"when": "Tue Dec 9 3pm"}),
        ("frequency: monthly", "frequency", {"value": "monthly"}),
        ("Pause", "pause", {}),
        ("resume.", "resume", {}),
        ("phase out", "phase_out", {}),
        ("help", "help", {}),
        ("help: we have not met in months", "help", {"text": "we have not met in months"}),
        ("- agenda: bulleted", "agenda", {"text": "bulleted"}),
        ("2. done 5", "done", {"ref": "5"}),
        ("Performance conversation", "performance", {}),
        ("performance conversation: Tue Dec 9 3pm", "performance", {"when": "Tue Dec 9 3pm"}),
    ],
)
def test_each_command(line: str, name: str, args: dict[str, str]) -> None:
    result = parse_commands(line)
    assert [(c.name, c.args) for c in result.commands] == [(name, args)]


def test_free_text_and_attempts_are_told_apart() -> None:
    result = parse_commands("Thanks for a great meeting!\ndone soon-ish\n\nagenda")
    assert result.commands == []
    assert result.free_text == ["Thanks for a great meeting!"]
    assert result.unknown == ["done soon-ish", "agenda"]


def test_agreement_form_lines_and_agreeing() -> None:
    result = parse_commands(
        "Goal 1: Write my K99\nfrequency:  every 2 weeks\nRe-evaluate after: 4 months\n"
        "Reschedule by: phone\nI agree.",
        "agreement",
    )
    assert [(c.name, c.args) for c in result.commands] == [
        ("set", {"field": "goal1", "value": "Write my K99"}),
        ("set", {"field": "frequency", "value": "every 2 weeks"}),
        ("set", {"field": "reevaluate_months", "value": "4 months"}),
        ("set", {"field": "reschedule_channel", "value": "phone"}),
        ("agree", {}),
    ]


@pytest.mark.parametrize("line", ["I agree", "i agree to the above", "Agreed!", "I agree."])
def test_ways_of_agreeing(line: str) -> None:
    assert [c.name for c in parse_commands(line, "agreement").commands] == ["agree"]


def test_agreeing_is_not_a_command_outside_the_agreement() -> None:
    assert parse_commands("I agree").commands == []


def test_help_offers_only_what_the_service_applies() -> None:
    text = str(help_text())
    offered = ("agenda:", "help", "done 2", "task:", "reschedule:", "frequency:", "phase out")
    for command in (*offered, "pause", "resume"):
        assert command in text
    assert "I agree" in str(help_text("agreement")) and "I agree" not in text


def test_a_mentee_is_not_offered_the_mentor_s_commands() -> None:
    assert "performance conversation" in str(help_text("general", "mentor"))
    assert "performance conversation" not in str(help_text("general", "mentee"))
