from __future__ import annotations

from service.program.guide import MENTORING_MAP, read_mentoring_map


def test_a_filled_in_map_reads_back_per_category_and_nobody_is_a_gap() -> None:
    text = (
        "Career guidance: Dr. Zoë O'Brien\n"
        "- Sponsorship: nobody yet\n"
        "emotional support:   my partner and Ana\n"
        "Feedback: the lab meeting\n"
        "Random line: not a category\n"
        "Accountability: n/a"
    )
    filled = read_mentoring_map(text)
    assert filled == {
        "Career guidance": "Dr. Zoë O'Brien",
        "Emotional support": "my partner and Ana",
        "Feedback on your work": "the lab meeting",
    }
    unmet = [name for name, _ in MENTORING_MAP if name not in filled]
    assert "Sponsorship" in unmet and "Accountability" in unmet


def test_numbered_answers_and_what_counts_as_no() -> None:
    from service.program.guide import PRODUCTIVE, is_no, numbered_answers

    answers = numbered_answers("1. yes, a lot\n2) mostly\n3 - no, not lately\nthanks!")
    assert answers == {1: "yes, a lot", 2: "mostly", 3: "no, not lately"}
    assert PRODUCTIVE == 3
    assert is_no(answers[3]) and not is_no(answers[1]) and not is_no("none of the above")
    assert not is_no(None) and not is_no("nothing to add") and is_no("Not really.")
