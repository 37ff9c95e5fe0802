"""ledger/core/bulk.py, pure: a JSON Lines file of entries gives the entries and, for each bad
line, a clear problem naming it (bad JSON, unknown account, unbalanced, three decimals, a JSON
number such as 1e3, a wrong date, unknown keys); blank lines are skipped and keep numbering."""

from __future__ import annotations

import json

from ledger.core.bulk import InvalidBatch, entry_to_json, read_jsonl

from .helpers import entry_json


def lines(*rows: object) -> list[str]:
    return [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]


def test_good_lines_give_entries() -> None:
    parsed = read_jsonl(lines(entry_json(0), "", entry_json(1)), actor="operator")
    assert parsed.problems == []
    assert parsed.lines == [1, 3]
    fund, foundation = parsed.entries
    assert (fund.entity, fund.actor, len(fund.postings)) == ("fund", "operator", 3)
    assert foundation.source is not None
    assert foundation.source.kind == "import"
    again = read_jsonl(lines(*(entry_to_json(e) for e in parsed.entries)), actor="operator")
    assert again.entries == parsed.entries


def bad(**changes: object) -> dict[str, object]:
    return {**entry_json(0), **changes}


def posting(account: str = "1002", **side: object) -> dict[str, object]:
    return {"account": account, **side}


def test_every_bad_line_is_named_with_its_problem() -> None:
    parsed = read_jsonl(lines(
        entry_json(0),
        '{"entity": "fund", ',                                                     # 2: bad JSON
        bad(postings=[posting(debit="1.00"), posting("9999", credit="1.00")]),    # 3
        bad(postings=[posting(debit="1.00"), posting("2209", credit="2.00")]),    # 4
        bad(postings=[posting(debit="1.001"), posting("2209", credit="1.001")]),  # 5
        '{"entity": "fund", "effective_date": "2026-11-01", "postings": '
        '[{"account": "1002", "debit": 1e3}, {"account": "2209", "credit": "1000.00"}]}',  # 6
        bad(effective_date="2026-02-30"),                                         # 7
        bad(effective_date="01/11/2026"),                                         # 8
        bad(colour="red"),                                                        # 9
        "[1, 2]",                                                                 # 10
        '{"entity": NaN}',                                                        # 11
        bad(postings=[posting(debit="1.00", credit="1.00"), posting("2209", credit="1.00")]),
        bad(entity="club"),                                                       # 13
        entry_json(1),
    ), actor="operator")
    by_line = {p.number: p for p in parsed.problems}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    assert parsed.lines == [1, 14]
    assert by_line[2].message.startswith("not valid JSON")
    assert "no account '9999'" in by_line[3].message
    assert "debits 1.00 do not equal credits 2.00" in by_line[4].message
    assert "3 decimal places; CNY allows at most 2" in by_line[5].message
    assert "not a JSON float (1000.0)" in by_line[6].message
    assert "not a date of the calendar" in by_line[7].message
    assert 'a date such as "2026-11-01"' in by_line[8].message
    assert "unknown key colour" in by_line[9].message
    assert "one JSON object" in by_line[10].message
    assert "not valid JSON" in by_line[11].message
    assert "exactly one of debit or credit" in by_line[12].message
    assert "entity must be one of fund, foundation" in by_line[13].message


def test_integer_amounts_are_refused_too() -> None:
    parsed = read_jsonl(lines(bad(postings=[posting(debit=1000), posting("2209", credit=1000)])),
                        actor="operator")
    assert "not a JSON int (1000)" in parsed.problems[0].message


def test_the_error_lists_every_problem() -> None:
    parsed = read_jsonl(lines(*(bad(effective_date="x") for _ in range(25))), actor="operator")
    error = InvalidBatch(parsed.problems)
    assert error.message.startswith("25 entries break the rules; nothing was written: line 1:")
    assert error.message.endswith("and 5 more")
    listed = error.extensions()["invalid_entries"]
    assert [p["line"] for p in listed] == list(range(1, 26))  # type: ignore[attr-defined]
