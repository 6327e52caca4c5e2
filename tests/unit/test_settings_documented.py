"""Every setting the service reads is in the README's configuration table, and every row of
the table is a setting it reads."""

from __future__ import annotations

import re
from pathlib import Path

from service.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _table_variables() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section, re.MULTILINE))


def _read_variables() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias if isinstance(alias, str) else name.upper())
    return names


def test_every_setting_is_documented_and_every_documented_one_is_read() -> None:
    table, read = _table_variables(), _read_variables()
    assert read - table == set(), "settings the README's table leaves out"
    assert table - read == set(), "rows of the README's table the service does not read"
