"""The report's rows as files: CSV, and XLSX written with openpyxl. Pure: rows in, bytes out.

Neither file can run anything when opened: in the CSV a cell that begins like a formula gets
an apostrophe before it; in the XLSX every text cell is stored as text (never a formula),
and one that begins like a formula is marked as such text for when it is edited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date

from service.coordinators.report_rules import COLUMNS, Cell, executable, neutral

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

    def cell(value: Cell) -> WriteOnlyCell:
        made = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            # openpyxl makes a formula of any text that begins with "=": this one is text.
            made.data_type = "s"
            made.quotePrefix = executable(value)
        elif isinstance(value, date):
            made.number_format = "yyyy-mm-dd"
        return made

    header = []
    for name in COLUMNS:
        made = cell(name)
        made.font = bold
        header.append(made)
    sheet.append(header)
    for row in rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
