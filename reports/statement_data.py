"""The statement pack's figures as plain data: JSON and CSV, exactly what the PDF shows.

Both are attached to the statements PDF (PDF/A-3 associated files), so a machine reads the
figures a person sees. Amounts are decimal strings in yuan with two decimals ("-1234.56"),
never floats; counts are integers written as strings in the CSV; ratios are decimal strings
with four decimals ("0.8033") or empty when they are not applicable.

CSV: one row per figure, with the columns of `CSV_HEADER`: the section (a statement's key, or
"trial_balance", "deposits", "exposure", "grants", "campaigns", "spending_ratios"), the line
(a statement line's key, an account code, a member's credit code, a grant or campaign number,
or "total"), its labels in Chinese and English, the column, the amount and, for the three
statements, the previous period's amount.

`figures_from_csv` and `figures_from_json` read either back into the same mapping
(section, line, column) -> (amount, previous), so the two round-trip to the same figures.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from moneyed import Money

from ledger.core.exports import csv_cell
from ledger.core.money import to_minor
from ledger.core.statements import SpendingRatios, Statement
from ledger.statements import Pack

FORMAT = "huzhu.statement-pack/1"
CSV_HEADER = ("section", "line", "label_zh", "label_en", "column", "amount", "previous")
#: (section, line, column) -> (amount, previous); previous is "" where there is none.
Figures = dict[tuple[str, str, str], tuple[str, str]]


# --- numbers ----------------------------------------------------------------------------------
def amount(fen: int) -> str:
    """Integer fen as a plain decimal string in yuan: -123456 -> "-1234.56"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def grouped(fen: int) -> str:
    """Integer fen as printed: thousands separators, negatives in parentheses:
    -123456789 -> "(1,234,567.89)"."""
    whole, cents = divmod(abs(fen), 100)
    text = f"{whole:,}.{cents:02d}"
    return f"({text})" if fen < 0 else text


def fen_of(money: Money) -> int:
    return to_minor(money)


def ratio(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.4f}"


def column_key(en: str) -> str:
    """A statement column's English heading as a key: "End of period" -> "end_of_period"."""
    return re.sub(r"[^a-z0-9]+", "_", en.lower()).strip("_")


# --- JSON -------------------------------------------------------------------------------------
def _statement(statement: Statement) -> dict[str, Any]:
    return {
        "key": statement.key, "zh": statement.zh, "en": statement.en,
        "columns": [{"key": column_key(en), "zh": zh, "en": en}
                    for zh, en in statement.columns],
        "lines": [{"key": line.key, "zh": line.zh, "en": line.en, "total": line.total,
                   "values": [amount(v) for v in line.values],
                   "previous": [amount(v) for v in line.previous]}
                  for line in statement.lines],
        "checks": [{"check": name, "ok": ok} for name, ok in statement.checks],
    }


def _ratios(ratios: SpendingRatios) -> dict[str, Any]:
    return {
        "charitable_spending": amount(ratios.charitable_spending),
        "previous_year_income": amount(ratios.previous_year_income),
        "total_spending": amount(ratios.total_spending),
        "administrative": amount(ratios.administrative),
        "charitable_ratio": ratio(ratios.charitable_ratio),
        "admin_ratio": ratio(ratios.admin_ratio),
        "charitable_ok": ratios.charitable_ok, "admin_ok": ratios.admin_ok,
        "rule": {"min_charitable_share": "0.7000", "max_admin_share": "0.1000"},
    }


def _state(pack: Pack) -> dict[str, Any]:
    state = pack.state
    close, signoff = state.close, state.signoff
    return {
        "status": state.status.value, "audited": state.audited, "reopened": state.reopened,
        "close": None if close is None else {
            "head_seq": close.head_seq, "head_hash": close.head_hash,
            "closed_at": close.closed_at.isoformat(), "closed_by": close.closed_by},
        "signoff": None if signoff is None else {
            "opinion": signoff.opinion.value, "notes": signoff.notes,
            "signed_at": signoff.signed_at.isoformat(), "signed_by": signoff.signed_by},
    }


def pack_json(pack: Pack) -> dict[str, Any]:
    """Every statement line, note and trial-balance line, amounts as decimal strings."""
    tb = pack.trial_balance
    deposits = pack.deposits
    return {
        "format": FORMAT,
        "entity": {"code": pack.entity.code, "kind": pack.entity.kind.value,
                   "name_zh": pack.entity.name_zh, "name_en": pack.entity.name_en},
        "period": {"label": pack.period.label, "starts_on": pack.period.starts_on.isoformat(),
                   "ends_on": pack.period.ends_on.isoformat()},
        "previous_period": {"label": pack.previous.label,
                            "starts_on": pack.previous.starts_on.isoformat(),
                            "ends_on": pack.previous.ends_on.isoformat()},
        "currency": "CNY",
        "state": _state(pack),
        "statements": [_statement(s) for s in pack.statements],
        "trial_balance": {
            "as_of": tb.as_of.isoformat(), "balanced": tb.balanced,
            "lines": [{"account": line.account.code, "name_zh": line.account.name_zh,
                       "name_en": line.account.name_en, "currency": line.currency,
                       "debits": amount(line.debits), "credits": amount(line.credits),
                       "debit_column": amount(line.debit_column),
                       "credit_column": amount(line.credit_column)} for line in tb.lines],
            "totals": {currency: {"debit_column": amount(d), "credit_column": amount(c)}
                       for currency, (d, c) in tb.totals().items()},
        },
        "notes": {
            "deposits": None if deposits is None else {
                "count": deposits.count, "received": amount(fen_of(deposits.received)),
                "operating": amount(fen_of(deposits.operating)),
                "foundation": amount(fen_of(deposits.foundation)),
                "reversed": amount(fen_of(deposits.reversed)),
                "parts_add_up": deposits.parts_add_up},
            "exposure": [{"member": e.member, "credit_code": e.credit_code,
                          "outstanding": amount(fen_of(e.outstanding)),
                          "advanced": amount(fen_of(e.advanced))} for e in pack.exposure],
            "grants": [{"grant_id": g.grant_id, "grantee": g.grantee,
                        "committed_on": g.committed_on.isoformat(),
                        "approved": amount(fen_of(g.approved)),
                        "paid_in_period": amount(fen_of(g.paid_in_period)),
                        "paid_to_date": amount(fen_of(g.paid_to_date)),
                        "outstanding": amount(fen_of(g.outstanding)), "status": g.status,
                        "evaluation": g.evaluation} for g in pack.grants],
            "campaigns": [{"campaign_id": c.campaign_id, "title": c.title,
                           "community": c.community, "target": amount(fen_of(c.target)),
                           "raised": amount(fen_of(c.raised)),
                           "households_paid": c.households_paid,
                           "households": c.households,
                           "shortfall": amount(fen_of(c.shortfall)),
                           "shortfall_sources": c.shortfall_sources,
                           "leftover_rule": c.leftover_rule, "status": c.status}
                          for c in pack.campaigns],
            "spending_ratios": None if pack.ratios is None else _ratios(pack.ratios),
        },
    }


# --- CSV --------------------------------------------------------------------------------------
Row = tuple[str, str, str, str, str, str, str]


def _rows(pack: Pack) -> Iterator[Row]:
    for s in pack.statements:
        keys = [column_key(en) for _, en in s.columns]
        for line in s.lines:
            for key, value, previous in zip(keys, line.values, line.previous, strict=True):
                yield s.key, line.key, line.zh, line.en, key, amount(value), amount(previous)
    tb = pack.trial_balance
    for line in tb.lines:
        a = line.account
        for key, value in (("debits", line.debits), ("credits", line.credits),
                           ("debit_column", line.debit_column),
                           ("credit_column", line.credit_column)):
            yield "trial_balance", a.code, a.name_zh, a.name_en, key, amount(value), ""
    for debit, credit in tb.totals().values():
        yield "trial_balance", "total", "合计", "Total", "debit_column", amount(debit), ""
        yield "trial_balance", "total", "合计", "Total", "credit_column", amount(credit), ""
    if pack.deposits is not None:
        d = pack.deposits
        yield "deposits", "deposits", "互助资金", "Deposits", "count", str(d.count), ""
        for key, money in (("received", d.received), ("operating", d.operating),
                           ("foundation", d.foundation), ("reversed", d.reversed)):
            yield "deposits", "deposits", "互助资金", "Deposits", key, amount(fen_of(money)), ""
    for e in pack.exposure:
        yield "exposure", e.credit_code, e.member, "", "outstanding", \
            amount(fen_of(e.outstanding)), ""
        yield "exposure", e.credit_code, e.member, "", "advanced", amount(fen_of(e.advanced)), ""
    if pack.exposure:
        for key in ("outstanding", "advanced"):
            total = sum(fen_of(getattr(e, key)) for e in pack.exposure)
            yield "exposure", "total", "合计", "Total", key, amount(total), ""
    grant_keys = ("approved", "paid_in_period", "paid_to_date", "outstanding")
    for g in pack.grants:
        for key in grant_keys:
            yield "grants", str(g.grant_id), g.grantee, "", key, \
                amount(fen_of(getattr(g, key))), ""
    if pack.grants:
        for key in grant_keys:
            total = sum(fen_of(getattr(g, key)) for g in pack.grants)
            yield "grants", "total", "合计", "Total", key, amount(total), ""
    for c in pack.campaigns:
        for key in ("target", "raised", "shortfall"):
            yield "campaigns", str(c.campaign_id), c.title, "", key, \
                amount(fen_of(getattr(c, key))), ""
        for key in ("households_paid", "households"):
            yield "campaigns", str(c.campaign_id), c.title, "", key, str(getattr(c, key)), ""
    if pack.ratios is not None:
        r = pack.ratios
        for key, value in (("charitable_spending", amount(r.charitable_spending)),
                           ("previous_year_income", amount(r.previous_year_income)),
                           ("total_spending", amount(r.total_spending)),
                           ("administrative", amount(r.administrative)),
                           ("charitable_ratio", ratio(r.charitable_ratio)),
                           ("admin_ratio", ratio(r.admin_ratio))):
            yield "spending_ratios", "ratios", "慈善支出比例", "Charity spending ratios", key, \
                value, ""


def pack_csv(pack: Pack) -> str:
    """One row per figure: statement, line, column, amount (and the previous period's). The
    names (of members, grantees, campaigns) go behind an apostrophe if a spreadsheet would
    run them as a formula; amounts are numbers and stay as they are."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows((section, line, csv_cell(zh), csv_cell(en), column, value, previous)
                     for section, line, zh, en, column, value, previous in _rows(pack))
    return out.getvalue()


# --- reading them back ------------------------------------------------------------------------
def figures_from_csv(text: str) -> Figures:
    """The figures of a pack's CSV: (section, line, column) -> (amount, previous)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader)
    if tuple(header) != CSV_HEADER:
        raise ValueError(f"not a statement-pack CSV: header {header}")
    found: Figures = {}
    for section, line, _, _, column, value, previous in reader:
        found[section, line, column] = (value, previous)
    return found


def _sum(items: list[Mapping[str, Any]], key: str) -> str:
    return amount(sum(_fen(item[key]) for item in items))


def _fen(text: str) -> int:
    value = Decimal(text) * 100
    if value != value.to_integral_value():
        raise ValueError(f"{text} is finer than a fen")
    return int(value)


def figures_from_json(data: Mapping[str, Any]) -> Figures:
    """The same figures from a pack's JSON (see `pack_json`)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"not a statement-pack JSON: format {data.get('format')!r}")
    found: Figures = {}
    for s in data["statements"]:
        keys = [c["key"] for c in s["columns"]]
        for line in s["lines"]:
            for key, value, previous in zip(keys, line["values"], line["previous"],
                                            strict=True):
                found[s["key"], line["key"], key] = (value, previous)
    tb = data["trial_balance"]
    for line in tb["lines"]:
        for key in ("debits", "credits", "debit_column", "credit_column"):
            found["trial_balance", line["account"], key] = (line[key], "")
    for totals in tb["totals"].values():
        for key in ("debit_column", "credit_column"):
            found["trial_balance", "total", key] = (totals[key], "")
    notes = data["notes"]
    if notes["deposits"] is not None:
        d = notes["deposits"]
        found["deposits", "deposits", "count"] = (str(d["count"]), "")
        for key in ("received", "operating", "foundation", "reversed"):
            found["deposits", "deposits", key] = (d[key], "")
    for e in notes["exposure"]:
        for key in ("outstanding", "advanced"):
            found["exposure", e["credit_code"], key] = (e[key], "")
    if notes["exposure"]:
        for key in ("outstanding", "advanced"):
            found["exposure", "total", key] = (_sum(notes["exposure"], key), "")
    grant_keys = ("approved", "paid_in_period", "paid_to_date", "outstanding")
    for g in notes["grants"]:
        for key in grant_keys:
            found["grants", str(g["grant_id"]), key] = (g[key], "")
    if notes["grants"]:
        for key in grant_keys:
            found["grants", "total", key] = (_sum(notes["grants"], key), "")
    for c in notes["campaigns"]:
        for key in ("target", "raised", "shortfall"):
            found["campaigns", str(c["campaign_id"]), key] = (c[key], "")
        for key in ("households_paid", "households"):
            found["campaigns", str(c["campaign_id"]), key] = (str(c[key]), "")
    if notes["spending_ratios"] is not None:
        r = notes["spending_ratios"]
        for key in ("charitable_spending", "previous_year_income", "total_spending",
                    "administrative", "charitable_ratio", "admin_ratio"):
            found["spending_ratios", "ratios", key] = (r[key], "")
    return found
