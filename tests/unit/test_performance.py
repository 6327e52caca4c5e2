"""The mentor's summary form, read as mentors fill it in; what the draft flags; has it improved?"""

from __future__ import annotations

from datetime import date

from service.performance.rules import ActionItem, FollowUp, has_form, improved, read_summary

TODAY = date(2026, 12, 28)


def test_the_form_as_it_comes_back_filled_in() -> None:
    follow_up = read_summary(
        "Summary: we talked about drafts\n"
        "arriving late, and what gets in the way\n"
        "Expectation not met: drafts a week before deadlines\n"
        "Incidents: the abstract on Dec 1\n"
        "Action item: share a writing timeline by Jan 15\n"
        "Action item 2: block two writing mornings a week by January 29",
        TODAY,
    )
    assert follow_up.summary == "we talked about drafts arriving late, and what gets in the way"
    assert follow_up.expectation == "drafts a week before deadlines"
    assert follow_up.incidents == "the abstract on Dec 1"
    assert follow_up.items == (
        ActionItem("share a writing timeline", date(2027, 1, 15)),
        ActionItem("block two writing mornings a week", date(2027, 1, 29)),
    )
    assert follow_up.problems() == [] and follow_up.last_due == date(2027, 1, 29)


def test_action_items_listed_under_one_label() -> None:
    follow_up = read_summary(
        "Action items:\n- read the guide's chapter by Jan 8\n2) meet the statistician by Jan 12",
        TODAY,
    )
    assert [i.text for i in follow_up.items] == [
        "read the guide's chapter",
        "meet the statistician",
    ]


def test_an_edit_changes_only_what_it_names() -> None:
    before = read_summary("Summary: first words\nAction item: a by Jan 5", TODAY)
    after = read_summary("Incidents: the poster", TODAY, before=before)
    assert after.summary == "first words" and after.incidents == "the poster"
    assert after.items == before.items
    replaced = read_summary("Action item: b by Jan 9", TODAY, before=after)
    assert [i.text for i in replaced.items] == ["b"]


def test_what_stands_between_the_form_and_a_follow_up() -> None:
    assert len(FollowUp().problems()) == 2  # no summary, no action items
    undated = read_summary("Summary: s\nAction item: practise the talk", TODAY)
    assert undated.problems() == ['"practise the talk" has no date: add one, as in "by Jan 15".']


def test_generalisations_are_flagged_as_the_guide_asks() -> None:
    follow_up = read_summary(
        "Summary: You always come late and you never write back.\nIncidents: Dec 1", TODAY
    )
    assert follow_up.sweeping() == ["You always", "you never"]
    assert read_summary("Summary: the Dec 1 draft came late", TODAY).sweeping() == []


def test_a_reply_without_the_form_is_not_a_summary() -> None:
    assert not has_form("send")
    assert not has_form("Thanks, that went well.")
    assert has_form("> quoted\nsummary: it went well")


def test_has_it_improved() -> None:
    assert improved("Yes, much better") is True
    assert improved("no, not really") is False
    assert improved("- Not yet.") is False
    assert improved("Hard to say") is None


def test_the_sealed_form_reads_back() -> None:
    follow_up = read_summary("Summary: s\nAction item: a by Jan 5\nAction item: b", TODAY)
    assert FollowUp.from_json(follow_up.to_json()) == follow_up
