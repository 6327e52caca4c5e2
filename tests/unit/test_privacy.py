from __future__ import annotations

import pytest

from service.storage.sealing import seal, unseal


def test_sealed_text_opens_only_with_its_key_and_purpose() -> None:
    sealed = seal(b"secret-1", "Zoë: I felt unheard today", "reflection")
    assert b"unheard" not in sealed and "Zoë".encode() not in sealed
    assert unseal(b"secret-1", sealed, "reflection") == "Zoë: I felt unheard today"
    with pytest.raises(ValueError):
        unseal(b"secret-2", sealed, "reflection")
    with pytest.raises(ValueError):
        unseal(b"secret-1", sealed, "performance")
