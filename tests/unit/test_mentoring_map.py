from __future__ import annotations

from service.domain.guide import MENTORING_MAP, read_mentoring_map


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
