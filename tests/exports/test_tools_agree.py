"""The demo books of 2026 (ledger/demo.py) exported in every format, on SQLite and on
PostgreSQL, and read back by the real tools: `ledger bal`, `hledger bal`, `bean-check` and
`bean-query`, and the CSV summed as a spreadsheet would. For both entities in one file, for
each entity alone, with and without `--to`, every account's balance equals our trial balance
as of that date, to the fen. The demo posts hundreds of entries, so one test builds it and
checks it all."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ledger import demo
from ledger.db.session import UnitOfWork

from .helpers import assert_same, balances, export_text, names_of, ours, write

OCTOBER = date(2026, 10, 31)  # the last signed month of the demo
FORMATS = ("ledger", "hledger", "beancount", "csv")
#: (entity, to): both books in one file and each alone, all entries and up to October.
SCOPES = ((None, None), (None, OCTOBER), ("fund", OCTOBER), ("foundation", None))


def test_every_tool_finds_our_trial_balance(uow: UnitOfWork, tmp_path: Path) -> None:
    demo.load(uow)
    expected_all = ours(uow, ("fund", "foundation"), None)
    assert ours(uow, ("fund", "foundation"), OCTOBER) != expected_all  # --to matters here
    assert sum(1 for v in expected_all.values() if v) >= 15  # real books, not a toy

    for entity, to in SCOPES:
        entities = (entity,) if entity else ("fund", "foundation")
        expected = ours(uow, entities, to)
        for fmt in FORMATS:
            plan, text = export_text(uow, fmt, entity=entity, to=to)
            where = f"{fmt} export of {entity or 'both'} up to {to or 'the end'}"
            # the trial balance the use case reports is the trial balance, as of --to
            assert {(e, line.account.code): line.debits - line.credits
                    for e, tb in plan.expected.items() for line in tb.lines} == expected, where
            path = write(tmp_path, plan, text)
            assert_same(where, balances(path, plan), expected)

    # English, ASCII account names are accepted as well
    expected = ours(uow, ("fund", "foundation"), None)
    for fmt in ("ledger", "hledger", "beancount"):
        plan, text = export_text(uow, fmt, names="en")
        assert all(name.isascii() for name in names_of(plan))
        assert "Assets:Fund:1002-BankDeposits" in text
        path = write(tmp_path, plan, text)
        assert_same(f"{fmt} export with English names", balances(path, plan), expected)
