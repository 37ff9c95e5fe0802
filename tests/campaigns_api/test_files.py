"""Uploaded files: a roll or a payment export as CSV (UTF-8, GBK/GB18030) or .xlsx, and every
kind of bad file or bad form, each refused as a 4xx problem that writes nothing (a file with
problems is a 422 `bad-file` listing its `rows`)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from api.grants_api import MAX_UPLOAD_BODY

from .helpers import (
    HOUSEHOLDS,
    PAYMENT_HEADER,
    ROLL_HEADER,
    SPLIT,
    Campaigns,
    house_keys,
    payments_csv,
    roll_csv,
    roll_rows,
    table_csv,
)

BAD_FILE = "/problems/bad-file"
INVALID = "/problems/invalid-input"


def _draft(c: Campaigns) -> int:
    return int(c.create()["id"])


def _bad_roll(c: Campaigns, cid: int, content: bytes, filename: str = "roll.csv"
              ) -> dict[str, Any]:
    return c.refused(lambda: c.roll(cid, content, filename=filename), 422, BAD_FILE)


def test_a_roll_with_wrong_columns_lists_them(campaigns: Campaigns) -> None:
    c = campaigns
    cid = _draft(c)
    body = _bad_roll(c, cid, table_csv(("楼栋", "单元", "门", "姓名", "电话"), roll_rows(5)))
    assert body["problem_count"] == 2
    assert [(r["line"], r["column"]) for r in body["rows"]] == [(1, "room"), (1, "contact")]
    assert "室" in body["rows"][0]["message"]
    assert body["errors"] == {"file": [body["detail"]]}


def test_a_roll_with_bad_rows_lists_every_one_and_a_preview_shows_them(
        campaigns: Campaigns) -> None:
    c = campaigns
    cid = _draft(c)
    rows = [list(r) for r in roll_rows(6)[::-1]]  # roll order: lines 2..7
    rows[1][4] = "not a phone"
    rows[2][3] = ""
    rows[4][:3] = rows[3][:3]  # the same flat twice
    rows.append(["1"])  # too few cells
    content = table_csv(ROLL_HEADER, rows)
    body = _bad_roll(c, cid, content)
    found = sorted((r["line"], r["column"], r["message"]) for r in body["rows"])
    assert [(line, column) for line, column, _ in found] == [
        (3, "phone"), (4, "contact"), (6, "room"), (8, "")]
    assert "1-1-104 is on the roll already (line 5)" in found[2][2]

    preview = c.ok(c.roll(cid, content, query={"preview": "true"}), 200)
    assert preview["written"] is False
    assert len(preview["problems"]) == 4
    assert len(preview["households"]) == 3  # the good ones, with shares over them
    assert c.households(cid) == []


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_a_roll_saved_by_chinese_excel_is_read(campaigns: Campaigns, encoding: str) -> None:
    c = campaigns
    cid = _draft(c)
    content = roll_csv(encoding=encoding)
    assert content.decode(encoding).startswith("楼栋")
    assert content.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    imported = c.ok(c.roll(cid, content), 201)
    assert imported["summary"]["text"] == SPLIT
    households = c.households(cid)
    assert (len(households), households[0]["contact"]) == (HOUSEHOLDS, "住户001")


def test_a_roll_with_cr_line_endings_is_read(campaigns: Campaigns) -> None:
    """Excel for Mac's 'CSV (Macintosh)' (found by these tests: it used to be refused)."""
    c = campaigns
    cid = _draft(c)
    imported = c.ok(c.roll(cid, roll_csv(3).replace(b"\r\n", b"\r")), 201)
    assert [h["household"] for h in imported["households"]] == ["1-1-101", "1-1-102",
                                                                "1-1-103"]


def test_an_xlsx_roll_is_read(campaigns: Campaigns) -> None:
    c = campaigns
    cid = _draft(c)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(ROLL_HEADER))
    for building, unit, room, name, phone in roll_rows():
        sheet.append([int(building), int(unit), int(room), name, int(phone)])  # numbers
    out = io.BytesIO()
    book.save(out)
    preview = c.ok(c.roll(cid, out.getvalue(), filename="名册.xlsx",
                          query={"preview": "1"}), 200)
    assert (preview["summary"]["text"], preview["problems"]) == (SPLIT, [])
    assert preview["households"][0]["household"] == "1-1-101"
    assert preview["households"][0]["phone"] == "13800000001"
    imported = c.ok(c.roll(cid, out.getvalue(), filename="名册.xlsx"), 201)
    assert imported["written"] is True
    assert c.get(f"/api/campaigns/{cid}/imports")[0]["filename"] == "名册.xlsx"


GARBAGE = [
    (b"\x00\x01\x02garbage\xff" * 50, "binary"),
    (b"\xff\xfe\xfd\xfc\x81\x30" * 200, "neither UTF-8 nor GB18030"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, ".xlsx"),
    (b"PK\x03\x04" + b"not really a zip" * 20, "neither CSV nor a readable .xlsx"),
]
EMPTY = [
    (b"", "the file is empty"),
    (b"\xef\xbb\xbf", "the file is empty"),
    (table_csv(ROLL_HEADER, []), "the file has no households"),
    (table_csv(ROLL_HEADER, [("", "", "", "", "")] * 3), "the file has no households"),
]


def test_garbage_and_old_workbooks_are_refused(campaigns: Campaigns, subtests: Any) -> None:
    c = campaigns
    cid = _draft(c)
    for content, words in GARBAGE:
        for query in ({}, {"preview": "true"}):
            with subtests.test(words=words, query=repr(query)):
                body = c.refused(lambda q=query, b=content: c.roll(cid, b, query=q), 422,
                                 INVALID)
                assert words in body["detail"]
                assert body["errors"] == {"file": [body["detail"]]}


def test_an_empty_roll_is_a_bad_file(campaigns: Campaigns, subtests: Any) -> None:
    c = campaigns
    cid = _draft(c)
    for content, message in EMPTY:
        with subtests.test(content=repr(content)[:30]):
            body = _bad_roll(c, cid, content)
            assert body["rows"] == [{"line": 1, "column": "", "message": message}]


def test_a_100k_row_roll_is_refused_at_the_limit(campaigns: Campaigns) -> None:
    c = campaigns
    cid = _draft(c)
    content = table_csv(ROLL_HEADER, ((str(i // 1000), "1", str(i % 1000), "住户", "")
                                      for i in range(100_000)))
    assert 1_500_000 < len(content) < MAX_UPLOAD_BODY
    body = _bad_roll(c, cid, content)
    assert body["problem_count"] == 1
    assert body["rows"] == [{"line": 5002, "column": "",
                             "message": "more than 5,000 rows; split the file"}]


def test_a_body_beyond_the_upload_limit_is_413(campaigns: Campaigns) -> None:
    c = campaigns
    cid = _draft(c)
    c.refused(lambda: c.roll(cid, b"a" * (MAX_UPLOAD_BODY + 1)), 413)


def test_bad_forms_are_refused(campaigns: Campaigns) -> None:
    c = campaigns
    cid = _draft(c)
    path = f"/api/campaigns/{cid}/roll"
    missing = c.refused(lambda: c.upload(path, None, preview="true"), 422)
    assert "file" in missing["errors"]["files"]
    as_text = c.refused(lambda: c.upload(path, None, file="building,unit"), 422)
    assert "multipart" in str(as_text["errors"]["files"]["file"])
    typo = c.refused(lambda: c.roll(cid, roll_csv(5), previw="true"), 422)
    assert "previw" in typo["errors"]["files"]
    maybe = c.refused(lambda: c.roll(cid, roll_csv(5), preview="maybe"), 422)
    assert "preview" in maybe["errors"]["files"]
    query = c.refused(lambda: c.roll(cid, roll_csv(5), query={"preview": "maybe"}), 422)
    assert "preview" in query["errors"]["query"]
    c.refused(lambda: c.post(path, {"file": "building,unit,room"}), 415)
    c.refused(lambda: c.api.post_raw(path, roll_csv(5), content_type="text/csv",
                                     actor="fm1"), 415)
    c.refused(lambda: c.roll(999, roll_csv(5)), 404, "/problems/campaign-not-found")


def test_a_roll_is_imported_while_the_campaign_is_a_draft(campaigns: Campaigns) -> None:
    c = campaigns
    opened, _ = c.opened(5)
    c.refused(lambda: c.roll(opened["id"], roll_csv(6)), 409, "/problems/campaign-state")
    # a preview of an open campaign's roll file still reads it
    assert len(c.ok(c.roll(opened["id"], roll_csv(6), preview="true"))["households"]) == 6


# --- payment exports --------------------------------------------------------------------------
def test_a_payment_export_with_bad_lines_lists_them(campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(10)
    cid = opened["id"]
    keys = house_keys(10)
    lines = [(f"T{i}", keys[i], "100.00") for i in range(10)]
    lines[1] = ("T1", keys[1], "abc")
    lines[2] = ("T2", keys[2], "-5")
    lines[3] = ("T3", keys[3], "22.085")
    lines[4] = ("T4", keys[4], "22.08")  # fine
    lines[5] = ("", keys[5], "1e3")
    content = payments_csv(lines)
    body = c.refused(lambda: c.pay_import(cid, content), 422, BAD_FILE)
    assert [(r["line"], r["column"]) for r in body["rows"]] == [
        (3, "amount"), (4, "amount"), (5, "amount"), (7, "reference"), (7, "amount")]
    dated = payments_csv([("T1", keys[0], "100.00")], paid_at="yesterday")
    body = c.refused(lambda: c.pay_import(cid, dated), 422, BAD_FILE)
    assert body["rows"][0]["column"] == "paid_on"
    preview = c.ok(c.pay_import(cid, content, preview="true"))
    assert (preview["written"], preview["recorded"], len(preview["problems"])) == (
        False, 0, 5)
    assert c.get(f"/api/campaigns/{cid}/payments") == []
    assert households  # the roll is there


def test_a_gbk_payment_export_with_yuan_signs_is_read(campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(10)
    keys = house_keys(10)
    content = payments_csv([(f"T{i}", keys[i], f"￥{households[i]['share']}")
                            for i in range(10)], encoding="gbk")
    report = c.ok(c.pay_import(opened["id"], content, method="alipay"), 201)
    assert report["counts"]["matched"] == 10
    assert c.campaign(opened["id"])["paid_up"] == 10


def test_a_100k_line_payment_export_is_refused(campaigns: Campaigns) -> None:
    c = campaigns
    opened, _ = c.opened(5)
    content = table_csv(PAYMENT_HEADER, ((f"R{i}", "1", "1", "101", "1.00", "2026-04-02")
                                         for i in range(100_000)))
    assert len(content) < MAX_UPLOAD_BODY
    body = c.refused(lambda: c.pay_import(opened["id"], content), 422, BAD_FILE)
    assert body["rows"] == [{"line": 20002, "column": "",
                             "message": "more than 20,000 rows; split the file"}]


def test_bad_payment_forms_are_refused(campaigns: Campaigns) -> None:
    c = campaigns
    opened, _ = c.opened(5)
    cid = opened["id"]
    content = payments_csv([("T1", house_keys(1)[0], "22.08")])
    path = f"/api/campaigns/{cid}/payments/import"
    no_method = c.refused(lambda: c.upload(path, content), 422)
    assert "method" in no_method["errors"]["files"]
    paypal = c.refused(lambda: c.pay_import(cid, content, method="paypal"), 422)
    assert "method" in paypal["errors"]["files"]
    c.refused(lambda: c.pay_import(cid, b"\x00binary"), 422, INVALID)
    c.refused(lambda: c.pay_import(cid, roll_csv(5)), 422, BAD_FILE)  # a roll, not payments
    c.refused(lambda: c.upload(path, None, method="wechat"), 422)


def test_payments_are_not_imported_into_a_draft(campaigns: Campaigns) -> None:
    c = campaigns
    cid = _draft(c)
    c.ok(c.roll(cid, roll_csv(5)), 201)
    content = payments_csv([("T1", house_keys(1)[0], "1400.00")])
    c.refused(lambda: c.pay_import(cid, content), 422, INVALID)
