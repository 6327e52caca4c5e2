"""`python -m tests.corpora.measure`: how well replies are read, case by case."""

from __future__ import annotations

import sys
import time

from service.mail.reading.parse import parse_message
from tests.corpora.cases import MISSING, ReplyCase, available, reply_cases


def text_for(case: ReplyCase) -> str:
    parsed = parse_message(case.raw)
    return parsed.visible_text if case.stage == "visible" else parsed.reply_text


def results() -> list[tuple[ReplyCase, bool, str]]:
    found = []
    for case in reply_cases():
        actual = text_for(case)
        found.append((case, case.check(actual), actual))
    return found


def main() -> int:
    if not available():
        print(MISSING)
        return 1
    started = time.perf_counter()
    found = results()
    by_corpus: dict[str, list[int]] = {}
    for case, ok, actual in found:
        counts = by_corpus.setdefault(case.corpus, [0, 0])
        counts[0] += ok
        counts[1] += 1
        if not ok and "-v" in sys.argv:
            print(f"FAIL {case.id} [{case.stage}]")
            print(f"  expected: {case.expected!r}\n  actual:   {actual!r}")
    for corpus, (passed, total) in by_corpus.items():
        print(f"{corpus:32} {passed:3}/{total:<3}")
    passed = sum(ok for _, ok, _ in found)
    print(
        f"{'all':32} {passed:3}/{len(found):<3} ({100 * passed / len(found):.1f}%) "
        f"in {time.perf_counter() - started:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
