"""The report's rows as files: CSV, and XLSX written with openpyxl. Pure: rows in, bytes out.

Neither file can run anything when opened: in the CSV a cell that begins like a formula gets
an apostrophe before it; in the XLSX every text cell is stored as text (never a formula),
and one that begins like a formula is marked as such text for when it is edited.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date

from service.coordinators.report_rules import COLUMNS, Cell, executable, neutral

# Characters an XLSX cannot hold (XML 1.0 has no place for them): shown as U+FFFD.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def as_csv(rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads accents right), dates as 2027-01-04."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for row in (COLUMNS, *rows):
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return value
    return neutral(value)


def as_xlsx(rows: Iterable[Sequence[Cell]], title: str = "Pairings") -> bytes:
    """One sheet, its header row frozen; numbers and dates as such, text always as text."""
    from openpyxl import Workbook  # a second's import, for the few who ask for a report
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value: Cell) -> Cell | WriteOnlyCell:
        if isinstance(value, date):
            made = WriteOnlyCell(sheet, value=value)
            made.number_format = "yyyy-mm-dd"
            return made
        if not isinstance(value, str):
            return value
        value = _UNWRITABLE.sub("\ufffd", value)
        if not (executable(value) or value.startswith("#")):
            return value
        # openpyxl would make a formula of text that begins with "=", and an error value of
        # text such as "#N/A": stored as text, and marked as text for when it is edited.
        made = WriteOnlyCell(sheet, value=value)
        made.data_type = "s"
        made.quotePrefix = True
        return made

    header = []
    for name in COLUMNS:
        made = WriteOnlyCell(sheet, value=name)
        made.font = bold
        header.append(made)
    sheet.append(header)
    for row in rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
