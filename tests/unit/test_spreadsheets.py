"""Tables from uploaded files (ledger/spreadsheets.py): CSV bytes pass through for the core to
decode; an .xlsx workbook's first sheet is read as text cells, numbers as they showed in Excel
(never through a binary float's long tail), dates as ISO dates; the old .xls and broken
workbooks are refused, and so is a workbook that would unpack to more than 100 MB."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from datetime import date, datetime, time

import openpyxl
import pytest

from ledger import spreadsheets
from ledger.core.campaigns import parse_payments, parse_roll
from ledger.core.errors import InvalidInput
from ledger.core.money import parse_money
from ledger.spreadsheets import table_of


def xlsx(rows: list[list[object]], *, sheets: int = 1) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for n in range(1, sheets):
        book.create_sheet(f"other {n}").append(["not", "this", "one"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite(data: bytes, name: str, change: object) -> bytes:
    """The workbook with one member's bytes changed by `change`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            archive.writestr(info, change(content) if info.filename == name else content)  # type: ignore[operator]
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def excel_time(text: str) -> datetime:
    """A date and time as an Excel cell holds it: no time zone."""
    return datetime.fromisoformat(text)


def test_csv_bytes_pass_through_unchanged() -> None:
    data = "楼栋,单元,室\r\n1,1,101\r\n".encode("gb18030")
    assert table_of(data) is data
    assert table_of(b"") == b""


def test_numbers_dates_and_blanks_read_as_excel_showed_them() -> None:
    rows = list(table_of(xlsx([
        ["金额", "整数", "日期", "时间", "电话", "文字", "空", "是否"],
        [22.08, 101, date(2026, 10, 2), excel_time("2026-10-02 14:33:05"), 13800000000,
         "0302", None, True],
        [101.0, 7000, excel_time("2026-10-03 00:00"), excel_time("2026-10-03 00:00:01"), 1e15,
         " 王 ", "", False],
        [0.1, 22.09, date(2027, 1, 1), time(9, 30), -5, "¥22.08", None, None],
    ])))
    assert rows == [
        ["金额", "整数", "日期", "时间", "电话", "文字", "空", "是否"],
        ["22.08", "101", "2026-10-02", "2026-10-02 14:33:05", "13800000000", "0302", "",
         "True"],
        ["101", "7000", "2026-10-03", "2026-10-03 00:00:01", "1000000000000000", " 王 ", "",
         "False"],
        ["0.1", "22.09", "2027-01-01", "09:30:00", "-5", "¥22.08", "", ""],
    ]
    # and so they parse exactly: 22.08 is 22.08, not 22.0799999999999982946974341757595539093
    assert parse_money(rows[1][0]) == parse_money("22.08")
    assert parse_money(rows[2][0]) == parse_money("101.00")


def test_only_the_first_sheet_is_read() -> None:
    found = list(table_of(xlsx([["building"], ["1"]], sheets=3)))
    assert found == [["building"], ["1"]]


def test_a_workbook_roll_and_payments_parse_like_csv() -> None:
    roll = parse_roll(table_of(xlsx([["楼栋", "单元", "室", "联系人", "电话"],
                                     [1, 1, 101, "王先生", 13800000001],
                                     [1, 1, 102, "李阿姨", None]])))
    assert roll.clean
    assert [str(r.key) for r in roll.rows] == ["1-1-101", "1-1-102"]  # type: ignore[attr-defined]
    paid = parse_payments(table_of(xlsx([
        ["交易单号", "楼栋", "单元", "室", "金额(元)", "交易时间"],
        ["4200001", 1, 1, 101, 22.09, excel_time("2026-10-02 14:33:05")],
        [4200002, 1, 1, 102, 22.08, date(2026, 10, 3)]])))
    assert paid.clean
    assert [(p.reference, str(p.amount.amount), p.paid_on)  # type: ignore[attr-defined]
            for p in paid.rows] == [("4200001", "22.09", date(2026, 10, 2)),
                                    ("4200002", "22.08", date(2026, 10, 3))]


def test_old_xls_and_broken_workbooks_are_refused() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024
    with pytest.raises(InvalidInput, match=r"\.xls workbooks are not read; save the sheet as"):
        table_of(ole)
    good = xlsx([["a"], [1]])
    with pytest.raises(InvalidInput, match=r"neither CSV nor a readable \.xlsx"):
        table_of(good[: len(good) // 2])
    with pytest.raises(InvalidInput, match=r"neither CSV nor a readable \.xlsx"):
        table_of(b"PK\x03\x04" + b"\x00" * 100)
    # a zip that is not a workbook, and a workbook whose sheet is not XML
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(InvalidInput, match="cannot be read"):
        list(table_of(other.getvalue()))
    with pytest.raises(InvalidInput, match="cannot be read"):
        list(table_of(rewrite(good, "xl/workbook.xml", lambda b: b"<not xml")))


def test_a_workbook_that_unpacks_to_more_than_the_limit_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    good = xlsx([["building", "unit"], [1, 1]])
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(good)).infolist())
    monkeypatch.setattr(spreadsheets, "MAX_UNPACKED_BYTES", unpacked)
    assert list(table_of(good))[1] == ["1", "1"]  # at the limit: read
    monkeypatch.setattr(spreadsheets, "MAX_UNPACKED_BYTES", unpacked - 1)
    with pytest.raises(InvalidInput, match="unpacks to more than 100 MB; save it as CSV"):
        table_of(good)


def test_a_zip_bomb_is_refused_before_anything_is_unpacked() -> None:
    """A workbook whose sheet declares 2 GB unpacked (a forged central directory, as a zip
    bomb's): refused from the directory alone."""
    good = bytearray(xlsx([["building"], [1]]))
    at = good.find(b"PK\x01\x02")  # the central directory's first entry
    found = 0
    while at != -1:
        name_length = struct.unpack_from("<H", good, at + 28)[0]
        name = bytes(good[at + 46:at + 46 + name_length])
        if name == SHEET.encode():
            struct.pack_into("<I", good, at + 24, 0x7FFF_FFFF)  # uncompressed size
            found += 1
        at = good.find(b"PK\x01\x02", at + 4)
    assert found == 1
    assert zipfile.ZipFile(io.BytesIO(bytes(good))).getinfo(SHEET).file_size == 0x7FFF_FFFF
    with pytest.raises(InvalidInput, match="unpacks to more than 100 MB"):
        table_of(bytes(good))
    # a real one: 200 MB of zeros that compress to a few hundred kilobytes
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(SHEET, "w") as sheet:
            chunk = b"\x00" * (1 << 20)
            for _ in range(101):
                sheet.write(chunk)
    assert len(bomb.getvalue()) < 1 << 20
    with pytest.raises(InvalidInput, match="unpacks to more than 100 MB"):
        table_of(bomb.getvalue())


def test_a_workbook_with_a_wrong_dimension_is_read_whole() -> None:
    """openpyxl's read-only mode trusts the sheet's <dimension>; some writers put ref="A1"
    there, and the sheet was read as one cell (fixed in 8925054)."""
    good = xlsx([["building", "unit", "room", "contact", "phone"], [1, 1, 101, "王", 138000]])
    wrong = rewrite(good, SHEET, lambda b: re.sub(rb"<dimension [^>]*/>",
                                                  b'<dimension ref="A1"/>', b))
    assert list(table_of(wrong)) == list(table_of(good))


def test_a_workbook_without_a_dimension_keeps_empty_trailing_cells() -> None:
    """Without a <dimension>, a row ended at its last non-empty cell, and a roll line with no
    phone was refused as '4 cells where the header has 5' (fixed in 8925054)."""
    good = xlsx([["building", "unit", "room", "contact", "phone"], [1, 1, 101, "王", None]])
    bare = rewrite(good, SHEET, lambda b: re.sub(rb"<dimension [^>]*/>", b"", b))
    assert parse_roll(table_of(bare)).problems == ()
