"""Hostile files and bodies (issue 10, hostile input), on SQLite and PostgreSQL, beside what
tests/campaigns*, tests/bulk and tests/http already try: each one is a clear error, never a 500
or a traceback, and writes nothing. Then CSV formula injection: no cell of a CSV we produce
starts with = + - @ TAB CR unless it is a plain number, and our own export reads back into
the same books.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from moneyed import Money
from sqlalchemy import Engine, func, select

from api.grants_api import MAX_UPLOAD_BODY
from ledger import books
from ledger.core import exports
from ledger.core.entries import JournalEntry, Posting
from ledger.db.models import EntryRow
from ledger.db.session import UnitOfWork

from ..campaigns_api.helpers import Campaigns, snapshot
from ..http.helpers import Api

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def formula_cells(text: str) -> list[str]:
    """The cells of a CSV a spreadsheet would run as a formula (OWASP: a cell starting with
    = + - @ TAB CR), numbers such as -12.50 excepted."""
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))
            for cell in row if cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell)]


def entries(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(EntryRow)) or 0)


@pytest.fixture
def api(client: Any, engine: Engine, staff_accounts: Any) -> Api:
    return Api(client, engine, staff_accounts)


# --- the bulk import: `flask --app api ledger import` ---------------------------------------------
GOOD_LINE = json.dumps({"entity": "fund", "effective_date": "2026-03-02", "memo": "ok",
                        "postings": [{"account": "1002", "debit": "10.00"},
                                     {"account": "420101", "credit": "10.00"}]},
                       ensure_ascii=False)
HOSTILE_IMPORTS: dict[str, tuple[str, bytes]] = {
    "truncated last line": ("entries.jsonl", (GOOD_LINE + "\n") * 50 + GOOD_LINE[:40]),
    "UTF-16": ("entries.jsonl", (GOOD_LINE + "\n").encode("utf-16")),
    "GBK": ("entries.jsonl", GOOD_LINE.replace("ok", "互助").encode("gbk")),
    "a PNG": ("entries.jsonl", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
    "a zip": ("entries.jsonl", b"PK\x03\x04" + b"\x00" * 200),
    "NUL bytes": ("entries.jsonl", GOOD_LINE.replace("ok", "o\\u0000k").encode()),
    "nested 100,000 deep": ("entries.jsonl", b"[" * 100_000 + b"]" * 100_000),
    "one 8 MB line": ("entries.jsonl", b"9" * (8 << 20)),
    "truncated CSV row": ("postings.csv", ",".join(exports.CSV_COLUMNS).encode()
                          + b"\r\n1,1,2026-03-02,fund,1002,"),
    "CSV of another tool": ("postings.csv", "日期,摘要,借方,贷方\r\n2026-03-02,x,1,1\r\n"
                            .encode("gb18030")),
    "an xlsx named .csv": ("postings.csv", b"PK\x03\x04" + b"\x00" * 200),
    "empty": ("entries.jsonl", b""),
}


def as_bytes(content: str | bytes) -> bytes:
    return content.encode() if isinstance(content, str) else content


@pytest.mark.parametrize("case", HOSTILE_IMPORTS, ids=list(HOSTILE_IMPORTS))
def test_a_hostile_import_file_is_a_clear_error(runner: Any, engine: Engine, tmp_path: Path,
                                                case: str) -> None:
    name, content = HOSTILE_IMPORTS[case]
    path = tmp_path / name
    path.write_bytes(as_bytes(content))
    done = runner.invoke(args=["ledger", "import", str(path)])
    assert done.exit_code == 1, done.output
    assert "nothing was written" in done.output, done.output
    assert "Traceback" not in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert entries(engine) == 0


# --- POST /api/entries/batch -----------------------------------------------------------------
BATCH = json.dumps({"entries": [json.loads(GOOD_LINE)] * 3}, ensure_ascii=False)
HOSTILE_BATCHES: dict[str, tuple[bytes, int]] = {
    "truncated": (BATCH[:-20].encode(), 400),
    "UTF-16": (BATCH.encode("utf-16"), 400),
    "GBK": (BATCH.replace("ok", "互助").encode("gbk"), 400),
    "nested 100,000 deep": (b'{"entries": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400),
    "NUL in a memo": (BATCH.replace("ok", "o\\u0000k").encode(), 422),
    "binary": (bytes(range(256)) * 64, 400),
    "beyond the body limit": (b'{"entries": [' + b" " * MAX_UPLOAD_BODY + b"]}", 413),
}


def test_hostile_batches_are_problems_and_write_nothing(api: Api) -> None:
    for case, (body, status) in HOSTILE_BATCHES.items():
        response = api.post_raw("/api/entries/batch", body)
        assert response.status_code == status, (case, response.get_data(as_text=True)[:300])
        Api.problem(response, status)
    assert api.row_counts()["journal_entries"] == 0


# --- roll and payment uploads ---------------------------------------------------------------
def _workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["building", "unit", "room", "contact", "phone"])
    sheet.append([1, 1, 101, "王", "13800000000"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_part(workbook: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one of its parts replaced."""
    source, out = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, content if info.filename == name else source.read(info))
    return out.getvalue()


def test_an_xlsx_with_a_truncated_sheet_is_a_bad_file(api: Api) -> None:
    campaigns = Campaigns(api)
    cid = int(campaigns.create()["id"])
    book = _workbook()
    sheet = zipfile.ZipFile(io.BytesIO(book)).read("xl/worksheets/sheet1.xml")
    broken = _with_part(book, "xl/worksheets/sheet1.xml", sheet[: len(sheet) // 2])
    before = snapshot(api.engine)
    response = campaigns.roll(cid, broken, filename="roll.xlsx")
    assert 400 <= response.status_code < 500, response.status_code
    assert snapshot(api.engine) == before


# --- CSV formula injection ---------------------------------------------------------------------
HOSTILE_MEMOS = ("=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1",
                 '=HYPERLINK("http://evil.example","点我")', "-", "普通摘要", "a=b")


def _post(uow: UnitOfWork, memo: str, posting_memo: str, day: int) -> None:
    amount = Money("12.50", "CNY")
    books.post(uow, JournalEntry(
        entity="fund", effective_date=date(2026, 3, day), memo=memo, actor="tests",
        postings=(Posting.debit("1002", amount, posting_memo),
                  Posting.credit("420101", amount))))


def _same_books(uow: UnitOfWork, first: range, second: range) -> None:
    for a, b in zip(first, second, strict=True):
        old, new = books.entry(uow, a), books.entry(uow, b)
        assert (new.entity, new.effective_date, new.memo, new.postings) == (
            old.entity, old.effective_date, old.memo, old.postings), (a, b)


def test_the_export_neutralises_formulas_and_reads_back(runner: Any, uow: UnitOfWork,
                                                        tmp_path: Path) -> None:
    for day, memo in enumerate(HOSTILE_MEMOS, start=1):
        _post(uow, memo, memo[::-1], day)
    exported = tmp_path / "postings.csv"
    assert runner.invoke(args=["ledger", "export", "--format", "csv", "-o",
                               str(exported)]).exit_code == 0
    text = exported.read_text(encoding="utf-8")
    assert formula_cells(text) == []
    n = len(HOSTILE_MEMOS)
    done = runner.invoke(args=["ledger", "import", str(exported)])
    assert done.exit_code == 0, done.output
    _same_books(uow, range(1, n + 1), range(n + 1, 2 * n + 1))


def test_the_checker_catches_an_export_without_the_apostrophe(
        runner: Any, uow: UnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _post(uow, "=cmd()", "@SUM(A1)", 1)
    monkeypatch.setattr(exports, "csv_cell", lambda text: text)  # the neutralisation removed
    exported = tmp_path / "postings.csv"
    assert runner.invoke(args=["ledger", "export", "--format", "csv", "-o",
                               str(exported)]).exit_code == 0
    assert formula_cells(exported.read_text(encoding="utf-8")) == ["=cmd()", "@SUM(A1)", "=cmd()"]


def test_a_memo_starting_with_an_apostrophe_reads_back(runner: Any, uow: UnitOfWork,
                                                       tmp_path: Path) -> None:
    _post(uow, "'=x", "''+1", 1)
    exported = tmp_path / "postings.csv"
    assert runner.invoke(args=["ledger", "export", "--format", "csv", "-o",
                               str(exported)]).exit_code == 0
    assert runner.invoke(args=["ledger", "import", str(exported)]).exit_code == 0
    _same_books(uow, range(1, 2), range(2, 3))


def test_the_statement_csv_neutralises_a_campaign_title(api: Api) -> None:
    campaigns = Campaigns(api)
    campaigns.income()
    campaigns.create(title='=HYPERLINK("http://evil.example","点我")')
    month = books.today().strftime("%Y-%m")  # the campaign is set up today
    response = api.client.get(f"/api/entities/foundation/periods/{month}/statements.csv",
                              headers=api.bearer("aud1"))
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    assert "evil.example" in text  # the campaign is in the pack
    assert formula_cells(text) == []


def test_open_data_cells_keep_negative_numbers() -> None:
    from reports.open_data import to_csv

    text = to_csv(("a", "b", "c"), [("-12.50", "-1+1", "=1"), (-3, "@x", "\t-1")]).decode(
        "utf-8-sig")
    assert formula_cells(text) == []
    assert list(csv.reader(io.StringIO(text)))[1:] == [["-12.50", "'-1+1", "'=1"],
                                                       ["-3", "'@x", "'\t-1"]]
