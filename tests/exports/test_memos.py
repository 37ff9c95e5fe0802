"""Memos survive every format, read back by the tools themselves: a `;` (a comment in Ledger and
hledger), a `"`, two spaces (which end an account name), a newline, a bracketed date and a
`date:` tag (which Ledger and hledger would read as a posting's date), a backslash and Chinese.
The CSV neutralises cells a spreadsheet would run as formulas (`=cmd()`), and both books in
one file still balance separately. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ledger import books
from ledger.core.entries import JournalEntry, Posting
from ledger.core.exports import one_line
from ledger.core.money import parse_money
from ledger.db.session import UnitOfWork

from .helpers import (
    assert_same,
    balances,
    bean_query,
    csv_rows,
    export_text,
    hledger_transactions,
    ours,
    run,
    tool,
    write,
)

NASTY = ('永耀纺织; "互助"资金  两个空格\n第二行 [2026-12-31] date:2026-13-01 ; :tag: '
         'a\\b\t制表\r\n结束')
POSTING_MEMO = '银行回单 No. 7; "甲"  乙\n[2026-01-01]'
FORMULAS = ("=cmd()", "+1+1", "-2+3", "@SUM(A1)")


def post(uow: UnitOfWork, entity: str, day: date, memo: str, amount: str,
         debit_memo: str = "", credit_memo: str = "") -> int:
    money = parse_money(amount, "CNY")
    return books.post(uow, JournalEntry(
        entity=entity, effective_date=day, memo=memo, actor="tester",
        postings=(Posting.debit("1002", money, debit_memo),
                  Posting.credit("490101", money, credit_memo)))).seq


@pytest.fixture
def seqs(uow: UnitOfWork) -> dict[str, int]:
    return {
        "nasty": post(uow, "fund", date(2026, 3, 1), NASTY, "22.09", debit_memo=POSTING_MEMO),
        "formula": post(uow, "foundation", date(2026, 3, 2), FORMULAS[0], "0.01",
                        debit_memo=FORMULAS[1], credit_memo=FORMULAS[2]),
        "at": post(uow, "foundation", date(2026, 3, 3), FORMULAS[3], "1000000.00"),
        "plain": post(uow, "fund", date(2026, 3, 4), "利息", "0.99"),
    }


def test_ledger_reads_the_memos_back(uow: UnitOfWork, seqs: dict[str, int],
                                     tmp_path: Path) -> None:
    plan, text = export_text(uow, "ledger")
    path = write(tmp_path, plan, text)
    assert_same("ledger", balances(path, plan), ours(uow, ("fund", "foundation"), None))
    out = run(tool("ledger"), "-f", path, "--pedantic", "reg", "--format",
              '%(code)\t%(payee)\t%(xact.tag("memo"))\t%(tag("memo"))\t%(tag("hash"))\n')
    rows = [line.split("\t") for line in out.splitlines()]
    nasty = [r for r in rows if r[0] == str(seqs["nasty"])]
    assert len(nasty) == 2
    (_, payee, memo, posting_memo, digest), (_, _, _, other_memo, _) = nasty
    assert json.loads(memo) == NASTY
    assert json.loads(posting_memo) == POSTING_MEMO
    assert json.loads(other_memo) == NASTY  # the credit has no memo of its own
    assert payee == one_line(NASTY)
    assert digest == books.entry(uow, seqs["nasty"]).hash


def test_hledger_reads_the_memos_back(uow: UnitOfWork, seqs: dict[str, int],
                                      tmp_path: Path) -> None:
    plan, text = export_text(uow, "hledger")
    path = write(tmp_path, plan, text)
    assert_same("hledger", balances(path, plan), ours(uow, ("fund", "foundation"), None))
    found = {int(str(t["tcode"])): t for t in hledger_transactions(path)}
    assert set(found) == set(seqs.values())
    nasty = found[seqs["nasty"]]
    assert nasty["tdescription"] == one_line(NASTY)
    assert str(nasty["tdate"]) == "2026-03-01"
    comment = dict(line.split(": ", 1) for line in str(nasty["tcomment"]).strip().split("\n"))
    assert json.loads(comment["memo"]) == NASTY
    assert comment["hash"] == books.entry(uow, seqs["nasty"]).hash
    postings = nasty["tpostings"]
    assert isinstance(postings, list)
    assert [p["pdate"] for p in postings] == [None, None]  # no date read out of a memo
    assert json.loads(str(postings[0]["pcomment"]).strip().removeprefix("memo: ")) \
        == POSTING_MEMO


def test_beancount_reads_the_memos_back(uow: UnitOfWork, seqs: dict[str, int],
                                        tmp_path: Path) -> None:
    plan, text = export_text(uow, "beancount")
    path = write(tmp_path, plan, text)
    assert_same("beancount", balances(path, plan), ours(uow, ("fund", "foundation"), None))
    rows = bean_query(path, "SELECT entry_meta('entry') AS seq, entry_meta('hash') AS hash, "
                            "narration, meta('memo') AS posting_memo, account")
    nasty = [r for r in rows if r["seq"] == str(seqs["nasty"])]
    assert len(nasty) == 2
    assert {r["narration"] for r in nasty} == {NASTY}
    assert [r["posting_memo"] for r in nasty] == [POSTING_MEMO, ""]
    assert nasty[0]["hash"] == books.entry(uow, seqs["nasty"]).hash
    formula = [r for r in rows if r["seq"] == str(seqs["formula"])]
    assert {r["narration"] for r in formula} == {"=cmd()"}  # only the CSV neutralises


def test_the_csv_keeps_memos_and_neutralises_formulas(uow: UnitOfWork, seqs: dict[str, int],
                                                       tmp_path: Path) -> None:
    plan, text = export_text(uow, "csv")
    path = write(tmp_path, plan, text)
    assert_same("csv", balances(path, plan), ours(uow, ("fund", "foundation"), None))
    rows = csv_rows(path)
    by_seq: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        by_seq.setdefault(int(row["entry"]), []).append(row)
    nasty, formula, at = by_seq[seqs["nasty"]], by_seq[seqs["formula"]], by_seq[seqs["at"]]
    assert [r["memo"] for r in nasty] == [NASTY, NASTY]
    assert [r["posting_memo"] for r in nasty] == [POSTING_MEMO, ""]
    assert [(r["debit"], r["credit"]) for r in nasty] == [("22.09", ""), ("", "22.09")]
    assert [(r["memo"], r["posting_memo"]) for r in formula] == [
        ("'=cmd()", "'+1+1"), ("'=cmd()", "'-2+3")]
    assert [r["memo"] for r in at] == ["'@SUM(A1)", "'@SUM(A1)"]
    assert (at[0]["debit"], at[1]["credit"]) == ("1000000.00", "1000000.00")
    assert nasty[0]["account_name_zh"] == "银行存款"
    assert nasty[1]["account_name_en"] == "Other income, unrestricted"
    assert not any(cell.startswith(("=", "+", "-", "@"))
                   for row in rows for cell in row.values())
