"""Helpers of the export tests (issue 9): find and run the real tools (Ledger, hledger,
bean-check, bean-query), read every account's balance out of what they print, and our own
trial balance in the same shape, in fen.

A tool that is missing skips its test, unless HUZHU_REQUIRE_TOOLS is set (not empty, not 0),
where that is a failure: `make test` installs Ledger and hledger (scripts/system-deps.sh test)
and Beancount with the `dev` extra.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledger import books, exports
from ledger.core.chart import chart_of
from ledger.core.exports import Names, account_name
from ledger.db.session import UnitOfWork

#: (entity, account code) -> debits minus credits, in fen.
Balances = dict[tuple[str, str], int]


def tools_required() -> bool:
    return os.environ.get("HUZHU_REQUIRE_TOOLS", "") not in ("", "0")


def tool(name: str) -> str:
    """The path of a command-line tool (the venv's bin first), or skip / fail without it."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(name, path=search)
    if found is None:
        reason = (f"{name} is not installed (Debian packages ledger and hledger: "
                  f"scripts/system-deps.sh test; bean-check and bean-query: pip install "
                  f"-e '.[dev]')")
        if tools_required():
            pytest.fail(f"HUZHU_REQUIRE_TOOLS is set but {reason}")
        pytest.skip(reason)
    return found


def run(*args: str | Path) -> str:
    """Run a tool; its stdout (UTF-8), failing the test with its stderr if it fails."""
    done = subprocess.run([str(a) for a in args], capture_output=True, timeout=120,
                          env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed: {err or out}"
    return out


def export_text(uow: UnitOfWork, fmt: str, *, entity: str | None = None, to: date | None = None,
                names: str = "zh", batch: int = exports.BATCH) -> tuple[exports.Export, str]:
    plan = exports.prepare(uow, fmt, entity=entity, to=to, names=names)
    return plan, "".join(exports.chunks(uow, plan, batch=batch))


def write(folder: Path, plan: exports.Export, text: str) -> Path:
    path = folder / (f"{plan.entity or 'both'}-{plan.to or 'all'}-{plan.names}"
                     f"{plan.format.suffix}")
    path.write_text(text, encoding="utf-8", newline="")
    return path


# --- amounts ----------------------------------------------------------------------------------
AMOUNT = re.compile(r"^(-?[0-9]+(?:\.[0-9]+)?) CNY$")


def fen(text: str) -> int:
    """'-105000.00 CNY' (or a bare '0', as tools print an empty balance) -> -10500000."""
    text = text.strip()
    if text in ("", "0"):
        return 0
    match = AMOUNT.match(text)
    assert match, f"not an amount in CNY: {text!r}"
    value = Decimal(match.group(1)) * 100
    assert value == value.to_integral_value(), f"finer than a fen: {text!r}"
    return int(value)


# --- our side ---------------------------------------------------------------------------------
def ours(uow: UnitOfWork, entities: tuple[str, ...], to: date | None) -> Balances:
    """Debits minus credits of every account in our trial balance as of `to` (all dates when
    None), through the trial-balance use case."""
    found: Balances = {}
    for entity in entities:
        tb = books.trial_balance(uow, entity, to or date.max)
        assert tb.balanced, entity
        for line in tb.lines:
            assert line.currency == "CNY"
            found[(entity, line.account.code)] = line.debits - line.credits
    return found


def names_of(plan: exports.Export) -> dict[str, tuple[str, str]]:
    """Account name in the export -> (entity, code)."""
    return {account_name(e, a, prefixed=plan.entity is None, names=Names(plan.names)): (e, code)
            for e in plan.entities for code, a in chart_of(e).items()}


def by_account(plan: exports.Export, balances: dict[str, int]) -> Balances:
    """A tool's balances by account name -> by (entity, code); an unknown name fails."""
    names = names_of(plan)
    unknown = set(balances) - set(names)
    assert not unknown, f"accounts not in our charts: {unknown}"
    return {names[name]: value for name, value in balances.items()}


def assert_same(tool_name: str, theirs: Balances, expected: Balances) -> None:
    """Every account: the tool's balance equals ours to the fen (absent means zero)."""
    keys = set(theirs) | set(expected)
    different = {k: (theirs.get(k, 0), expected.get(k, 0)) for k in sorted(keys)
                 if theirs.get(k, 0) != expected.get(k, 0)}
    assert not different, f"{tool_name} disagrees (theirs, ours) in fen: {different}"


# --- the tools --------------------------------------------------------------------------------
def ledger_balances(path: Path) -> dict[str, int]:
    """`ledger -f FILE --pedantic bal --flat`: every account declared, every balance."""
    out = run(tool("ledger"), "-f", path, "--pedantic", "bal", "--flat", "--empty", "--no-total",
              "--balance-format", "%(account)\t%(display_total)\n")
    found: dict[str, int] = {}
    for row in out.splitlines():
        account, _, total = row.partition("\t")
        assert account not in found, row
        found[account] = fen(total)
    return found


def hledger_balances(path: Path) -> dict[str, int]:
    """`hledger -f FILE --strict bal --flat -O csv`: accounts and commodities declared."""
    out = run(tool("hledger"), "-f", path, "--strict", "bal", "--flat", "--empty",
              "--no-total", "-O", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["account", "balance"], rows[:1]
    return {account: fen(total) for account, total in rows[1:]}


def bean_check(path: Path) -> None:
    """`bean-check FILE`: exit 0, no error printed."""
    done = subprocess.run([tool("bean-check"), str(path)], capture_output=True, timeout=120)
    report = (done.stdout + done.stderr).decode("utf-8")
    assert (done.returncode, report.strip()) == (0, ""), f"bean-check: {report}"


def bean_query(path: Path, query: str) -> list[dict[str, str]]:
    out = run(tool("bean-query"), "-f", "csv", path, query)
    return list(csv.DictReader(io.StringIO(out)))


def beancount_balances(path: Path) -> dict[str, int]:
    bean_check(path)
    rows = bean_query(path, "SELECT account, sum(position) AS balance GROUP BY account")
    return {row["account"]: fen(row["balance"]) for row in rows}


def csv_rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def csv_balances(path: Path) -> Balances:
    """The CSV's postings summed by (entity, code), as a spreadsheet would."""
    found: Balances = {}
    for row in csv_rows(path):
        key = (row["entity"], row["account_code"])
        assert row["currency"] == "CNY"
        debit = fen(f"{row['debit']} CNY") if row["debit"] else 0
        credit = fen(f"{row['credit']} CNY") if row["credit"] else 0
        assert (debit > 0) != (credit > 0), row
        found[key] = found.get(key, 0) + debit - credit
    return found


def balances(path: Path, plan: exports.Export) -> Balances:
    """What the format's tool finds in the file, by (entity, code)."""
    fmt = plan.format.value
    if fmt == "csv":
        return csv_balances(path)
    read = {"ledger": ledger_balances, "hledger": hledger_balances,
            "beancount": beancount_balances}[fmt]
    return by_account(plan, read(path))


def hledger_transactions(path: Path) -> list[dict[str, object]]:
    return json.loads(run(tool("hledger"), "-f", path, "--strict", "print", "-O", "json"))
