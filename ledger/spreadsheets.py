"""Tables from uploaded files: CSV text as it is, or the first sheet of an Excel workbook.

Excel files (.xlsx) are read with openpyxl in read-only mode, which streams the sheet, and
with defusedxml installed, which refuses XML entity tricks. The old binary .xls is refused
with a message saying what to save instead.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from ledger.core.campaigns import Table
from ledger.core.errors import InvalidInput

_XLSX = b"PK\x03\x04"
_XLS = b"\xd0\xcf\x11\xe0"
#: A workbook that unpacks to more than this is refused (a "zip bomb" guard).
MAX_UNPACKED_BYTES = 100 * 1024 * 1024


def table_of(data: bytes) -> bytes | Table:
    """CSV bytes unchanged (the core decodes them), or the rows of an Excel workbook."""
    if data.startswith(_XLS):
        raise InvalidInput("old .xls workbooks are not read; save the sheet as .xlsx or CSV",
                           field="file")
    if not data.startswith(_XLSX):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InvalidInput("the file is neither CSV nor a readable .xlsx workbook",
                           field="file") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidInput("the workbook unpacks to more than 100 MB; save it as CSV",
                           field="file")
    return _rows(data)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel keeps numbers as binary floats; the shortest repr is what the cell showed.
        found = Decimal(repr(value))
        return str(found.quantize(Decimal(1))) if found == found.to_integral() else str(found)
    return str(value)


def _rows(data: bytes) -> Iterator[list[str]]:
    import openpyxl  # only when a workbook is uploaded

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise InvalidInput(f"the .xlsx workbook cannot be read ({type(error).__name__})",
                           field="file") from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong size; read what is there
        width = 0
        rows = sheet.iter_rows(values_only=True)
        while True:
            try:  # a truncated sheet fails here, part way through (a ParseError)
                row = next(rows)
            except StopIteration:
                return
            except Exception as error:
                raise InvalidInput(f"the .xlsx workbook cannot be read "
                                   f"({type(error).__name__})", field="file") from None
            cells = [_cell(v) for v in row]
            width = width or len(cells)  # the header's width: rows are padded to it
            yield cells + [""] * (width - len(cells))
    finally:
        book.close()
