"""Where an email says "the guide", it carries the guide's own words: each checklist item and
talking point is found in the Hematology Mentorship Guide (../shared/guide), as written there
(an item may be cut short, never reworded)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from service.program import guide

GUIDE = Path(
    os.environ.get(
        "MENTORMAIL_GUIDE",
        Path(__file__).resolve().parents[3]
        / "shared"
        / "guide"
        / "hematology-mentorship-guide.txt",
    )
)
CARRIED = {
    "preparing for the first meeting": guide.FIRST_MEETING_CHECKLIST,
    "during the first meeting": guide.DURING_FIRST_MEETING,
    "example talking points": guide.FIRST_MEETING_TALKING_POINTS,
    "between meetings": guide.BETWEEN_MEETINGS,
}


def _plain(text: str) -> str:
    text = text.replace("\u2019", "'")
    return " ".join(re.sub(r"[^\w'/?,;:()-]+", " ", text).lower().split())


@pytest.mark.parametrize("section", sorted(CARRIED))
def test_the_guides_words_are_carried_as_the_guide_wrote_them(section: str) -> None:
    if not GUIDE.is_file():
        pytest.skip(f"the guide is not at {GUIDE} (set MENTORMAIL_GUIDE to check against it)")
    written = _plain(GUIDE.read_text(encoding="utf-8"))
    for item in CARRIED[section]:
        # Each sentence of the item, as the guide has it (cut at a colon, as the emails may).
        for sentence in re.split(r"(?<=[.?])\s+|:\s+", item):
            words = _plain(sentence).rstrip(".?")
            assert words in written, (section, sentence)
    assert len(guide.FIRST_MEETING_TALKING_POINTS) == 17, "every one of the guide's points"
