"""ledger/core/exports.py without a database: account names every tool accepts for the Chinese
titles (Beancount's rules are the strictest: a root of five, components starting with a capital
or a digit, made of letters, digits and dashes); amounts to the fen; the escaping of memos,
checked property by property and then through the real tools on a journal of random memos
(every script, control and format characters, quotes, backslashes, brackets, colons)."""

from __future__ import annotations

import json
import random
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.chart import ENTITIES, AccountType, chart_of
from ledger.core.exports import (
    Entry,
    Line,
    Names,
    account_name,
    accounts_of,
    amount,
    beancount_string,
    comment_string,
    csv_cell,
    one_line,
    writer,
)

from .helpers import bean_check, bean_query, hledger_transactions, run, tool

PROPERTY = settings(max_examples=300, deadline=None)
ROOT_OF_CODE = {"1": "Assets", "2": "Liabilities", "3": "Equity", "4": "Income",
                "5": "Expenses"}
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


def beancount_component(component: str) -> bool:
    """Beancount 3's lexer: a capital letter or a digit, then letters, digits and dashes."""
    first = unicodedata.category(component[:1]) if component else ""
    return first in ("Lu", "Nd") and all(
        c == "-" or unicodedata.category(c)[0] == "L" or unicodedata.category(c) == "Nd"
        for c in component[1:])


@pytest.mark.parametrize("names", list(Names))
def test_account_names_every_tool_accepts(names: Names) -> None:
    for prefixed in (True, False):
        both: list[str] = []
        for entity in ENTITIES:
            own = []
            for code, account in chart_of(entity).items():
                name = account_name(entity, account, prefixed=prefixed, names=names)
                root, *middle, leaf = name.split(":")
                assert root == ROOT_OF_CODE[code[0]], name
                assert middle == ([entity.capitalize()] if prefixed else []), name
                assert leaf.startswith(f"{code}-"), name
                assert all(beancount_component(c) for c in name.split(":")), name
                assert not any(c in name for c in " \t;[]()@*!|\"'"), name
                if names is Names.EN:
                    assert name.isascii(), name
                else:  # the Chinese title, its punctuation turned into dashes
                    assert leaf.removeprefix(f"{code}-").replace("-", "") == "".join(
                        c for c in account.name_zh if unicodedata.category(c)[0] == "L"), name
                own.append(name)
            assert len(set(own)) == len(own)
            both += own
        if prefixed:  # both books in one file: every account of both has a name of its own
            assert len(set(both)) == len(both)
    assert account_name("fund", chart_of("fund")["420101"], prefixed=True) == \
        "Income:Fund:420101-会费收入-互助资金运作经费"
    assert account_name("foundation", chart_of("foundation")["3102"], prefixed=False,
                        names=Names.EN) == "Equity:3102-RestrictedNetAssets"


def test_net_assets_are_equity() -> None:
    for entity, account in accounts_of(None):
        name = account_name(entity, account, prefixed=True)
        is_net_assets = account.type in (AccountType.NET_ASSETS_UNRESTRICTED,
                                         AccountType.NET_ASSETS_RESTRICTED)
        assert name.startswith("Equity:") is is_net_assets, name


@PROPERTY
@given(st.integers(min_value=-(10**17), max_value=10**17))
def test_amounts_to_the_fen(units: int) -> None:
    text = amount(units, "CNY")
    assert Decimal(text) * 100 == units
    assert text.count(".") == 1
    assert len(text.split(".")[1]) == 2


def test_amount_examples() -> None:
    assert [amount(u, "CNY") for u in (2209, -2209, 0, 1, -1, 10500000)] == [
        "22.09", "-22.09", "0.00", "0.01", "-0.01", "105000.00"]


@PROPERTY
@given(TEXT)
def test_comment_strings_read_back_and_hide_what_tools_parse(text: str) -> None:
    encoded = comment_string(text)
    assert json.loads(encoded) == text
    inner = encoded[1:-1]
    assert not any(c in inner for c in "[]:;\n\r\t")
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") for c in inner)


@PROPERTY
@given(TEXT)
def test_descriptions_are_one_line(text: str) -> None:
    line = one_line(text)
    assert ";" not in line
    assert "  " not in line
    assert line == line.strip()
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") for c in line)
    assert line.splitlines() in ([line], [])


def test_csv_cells_never_run_as_formulas() -> None:
    assert [csv_cell(t) for t in ("=cmd()", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1")] == [
        "'=cmd()", "'+1", "'-1", "'@SUM(A1)", "'\t=1", "'\r=1"]
    assert [csv_cell(t) for t in ("利息", "", "1+1", "a=b", "'abc")] == [
        "利息", "", "1+1", "a=b", "'abc"]
    assert csv_cell("'=x") == "''=x"  # read back as "'=x": one apostrophe comes off


# --- random memos through the real tools ------------------------------------------------------
NASTY = ("", " ", "  ", ";", "; a", "\\", '"', '\\"', "\n", "\r\n", "\t", "[2026-12-31]",
         "date:2026-13-01", ":tag:", "(1)", "* !", "#", "|", "  ; x  ", "\u202etxet",
         "\u2028", "\x85", "\x7f", "\x1b[31m", "😀👨‍👩‍👧", "中文；“引号”", "=cmd()", "a,b")


def random_memos(count: int, seed: int = 9) -> list[str]:
    """Memos drawn from ASCII, C0/C1 controls, CJK, punctuation, format characters and emoji,
    plus the nasty ones."""
    pools = [range(0x01, 0x80), range(0x80, 0xA0), range(0x4E00, 0x4E80), range(0x3000, 0x3020),
             range(0x2000, 0x2070), range(0xFF00, 0xFF20), range(0x1F600, 0x1F610)]
    chance = random.Random(seed)
    memos = list(NASTY)
    while len(memos) < count:
        memos.append("".join(chr(chance.choice(chance.choice(pools)))
                             for _ in range(chance.randrange(1, 40))))
    return memos


def journal(memos: list[str]) -> list[Entry]:
    fund = chart_of("fund")
    return [Entry(seq=n, entity="fund", effective_date=date(2026, 1, 1 + n % 28), memo=memo,
                  hash=f"{n:064x}",
                  lines=(Line(fund["1002"], "CNY", 2209, 0, memo=memo),
                         Line(fund["490101"], "CNY", 0, 2209)))
            for n, memo in enumerate(memos, start=1)]


def written(fmt: str, entries: list[Entry], folder: Path) -> Path:
    out = writer(fmt, entity="fund")
    path = folder / f"memos.{fmt}"
    path.write_text(out.header(opened=date(2026, 1, 1), to=None) + out.entries(entries)
                    + out.footer(), encoding="utf-8", newline="")
    return path


def test_random_memos_survive_ledger(tmp_path: Path) -> None:
    memos = random_memos(300)
    path = written("ledger", journal(memos), tmp_path)
    out = run(tool("ledger"), "-f", path, "--pedantic", "reg", "--format",
              '%(code)\t%(payee)\t%(xact.tag("memo"))\t%(tag("memo"))\n')
    rows = [line.split("\t") for line in out.splitlines()]
    assert len(rows) == 2 * len(memos)
    for seq, payee, memo, posting_memo in rows:
        expected = memos[int(seq) - 1]
        assert json.loads(memo) == expected
        assert json.loads(posting_memo) == expected
        assert payee == (one_line(expected) or f"#{seq}")


def test_random_memos_survive_hledger(tmp_path: Path) -> None:
    memos = random_memos(300)
    path = written("hledger", journal(memos), tmp_path)
    found = hledger_transactions(path)
    assert len(found) == len(memos)
    for transaction in found:
        expected = memos[int(str(transaction["tcode"])) - 1]
        comment = dict(line.split(": ", 1)
                       for line in str(transaction["tcomment"]).strip().split("\n"))
        assert json.loads(comment["memo"]) == expected
        assert transaction["tdescription"] == (one_line(expected)
                                               or f"#{transaction['tcode']}")
        postings = transaction["tpostings"]
        assert isinstance(postings, list)
        assert [p["pdate"] for p in postings] == [None, None]
        if expected:
            assert json.loads(str(postings[0]["pcomment"]).strip().removeprefix("memo: ")) \
                == expected


def test_random_memos_survive_beancount(tmp_path: Path) -> None:
    memos = random_memos(300)
    path = written("beancount", journal(memos), tmp_path)
    bean_check(path)
    rows = bean_query(path, "SELECT entry_meta('entry') AS seq, narration, "
                            "meta('memo') AS posting_memo WHERE account ~ '1002'")
    assert len(rows) == len(memos)
    for row in rows:
        expected = memos[int(row["seq"]) - 1]
        assert row["narration"] == expected
        assert row["posting_memo"] == expected


def test_beancount_strings() -> None:
    assert beancount_string('a"b\\c\nd\re\tf中') == '"a\\"b\\\\c\\nd\\re\\tf中"'
