"""The public figures (ledger.transparency) as open data: JSON documents, CSV files and the
JSON Schema (draft 2020-12) that describes every JSON document (issue 8).

Amounts are decimal strings in yuan with two decimals ("22.09", "-1.00"), never floats;
ratios are decimal strings with four decimals ("0.0234") or null; dates are ISO 8601
("2026-04-15"). Every document says which it is (`kind`), where its schema is (`schema`) and
the chain head it was read at (`head`, the journal's last entry number).

CSV: UTF-8 with a byte-order mark (so Excel in China opens it right), a header row, CRLF line
ends, amounts as in JSON. Names come from people, so a cell that starts with = + - @ (or a tab
or carriage return) gets a leading apostrophe and cannot run as a spreadsheet formula; a cell
that is a plain number ("-1.00", "12") is left as it is."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from moneyed import Money

from ledger.core.money import to_minor
from ledger.transparency import (
    NODES,
    SOURCES,
    Donation,
    Overview,
    PublicCampaign,
    PublicGrant,
)

from .statement_data import amount as _fen_text

Document = dict[str, Any]
CURRENCY = "CNY"
KINDS = ("overview", "grants", "campaigns", "donations")
#: The figures of the deposits' note: key -> (zh, en).
DEPOSIT_NAMES = {
    "count": ("笔数", "Number of deposits"),
    "received": ("收到保证金", "Deposits received"),
    "operating": ("留作运作经费（30%）", "Kept for operating costs (30 %)"),
    "foundation": ("应转基金会（70%）", "Due to the foundation (70 %)"),
    "reversed": ("已冲回", "Reversed"),
    "transferred": ("本年转入基金会", "Transferred to the foundation in the year"),
}
RATIO_NAMES = {
    "admin_share": ("管理费用占支出比例", "Administrative costs / spending"),
    "charitable_ratio": ("公益支出占上年收入比例",
                         "Charitable spending / previous year's income"),
}
AVAILABLE_NAMES = ("可动用资金（当前）", "Money available to commit (now)")
TOTAL_NAMES = ("合计", "Total")


# --- values -----------------------------------------------------------------------------------
def money_text(value: Money) -> str:
    """'22.09': yuan with two decimals, from the exact fen."""
    return _fen_text(to_minor(value))


def ratio_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.4f}"


def names(key: str) -> tuple[str, str]:
    """zh and en names of a source or flow node."""
    return SOURCES.get(key) or NODES[key]


def raised(campaign: PublicCampaign) -> Money:
    """What a campaign has toward its target: the subsidy received, the households' payments
    (net of refunds) and the foundation's pledged match."""
    return campaign.subsidy_received + campaign.crowdfunded + campaign.match


def percent(part: Money, whole: Money) -> int | None:
    """Whole percent of `whole` that `part` is (rounded down), or None for a zero whole."""
    total = to_minor(whole)
    return None if total <= 0 else max(to_minor(part), 0) * 100 // total


# --- JSON -------------------------------------------------------------------------------------
def _head(kind: str, schema: str, head: int, year: int | None = None) -> Document:
    found: Document = {"kind": kind, "schema": f"{schema}#/$defs/{kind}", "head": head,
                       "currency": CURRENCY}
    if year is not None:
        found["year"] = year
    return found


def _amounts(items: Iterable[Any]) -> list[Document]:
    return [{"key": a.key, "name_zh": a.zh, "name_en": a.en, "amount": money_text(a.amount)}
            for a in items]


def overview_json(found: Overview, schema: str) -> Document:
    d = found.deposits
    keys = {f.source for f in found.flows} | {f.target for f in found.flows}
    return {
        **_head("overview", schema, found.head, found.year),
        "years": list(found.years),
        "deposits": {"count": d.count, "received": money_text(d.received),
                     "operating": money_text(d.operating),
                     "foundation": money_text(d.foundation),
                     "reversed": money_text(d.reversed),
                     "transferred": money_text(d.transferred)},
        "income": _amounts(found.income), "income_total": money_text(found.income_total),
        "spending": _amounts(found.spending),
        "spending_total": money_text(found.spending_total),
        "admin_share": ratio_text(found.admin_share),
        "charitable_ratio": ratio_text(found.charitable_ratio),
        "available": money_text(found.available),
        "nodes": [{"key": k, "name_zh": names(k)[0], "name_en": names(k)[1]}
                  for k in (*SOURCES, *NODES) if k in keys],
        "flows": [{"source": f.source, "target": f.target, "amount": money_text(f.amount)}
                  for f in found.flows],
        "months": [{"month": m.label, "income": money_text(m.income),
                    "spending": money_text(m.spending)} for m in found.months],
    }


def grant_json(grant: PublicGrant) -> Document:
    return {"id": grant.id, "title": grant.title, "grantee": grant.grantee,
            "resolved_on": grant.resolved_on.isoformat(), "approved": money_text(grant.approved),
            "paid": money_text(grant.paid), "outstanding": money_text(grant.outstanding),
            "status": grant.status, "evaluation": grant.evaluation}


def grant_totals(grants: Sequence[PublicGrant]) -> Document:
    """How many grants, and their amounts approved, paid and outstanding summed."""
    return {"count": len(grants), "approved": money_text(_sum(g.approved for g in grants)),
            "paid": money_text(_sum(g.paid for g in grants)),
            "outstanding": money_text(_sum(g.outstanding for g in grants))}


def grants_json(grants: Sequence[PublicGrant], year: int, head: int, schema: str) -> Document:
    return {**_head("grants", schema, head, year), "totals": grant_totals(grants),
            "grants": [grant_json(g) for g in grants]}


def campaign_json(c: PublicCampaign) -> Document:
    return {"id": c.id, "title": c.title, "community": c.community, "repair": c.repair,
            "contractor": c.contractor, "status": c.status, "deadline": c.deadline.isoformat(),
            "target": money_text(c.target), "raised": money_text(raised(c)),
            "percent": percent(raised(c), c.target),
            "subsidy_from": c.subsidy_from, "subsidy_received": money_text(c.subsidy_received),
            "crowdfunded": money_text(c.crowdfunded), "foundation_match": money_text(c.match),
            "households": c.households, "asked": c.asked, "paid": c.paid,
            "buildings": [{"building": b.building, "households": b.households,
                           "asked": b.asked, "paid": b.paid} for b in c.buildings],
            "shortfall": money_text(c.shortfall),
            "shortfall_covered_by": list(c.shortfall_covered_by),
            "contractor_paid": money_text(c.contractor_paid), "leftover_rule": c.leftover_rule,
            "leftover_released": money_text(c.leftover_released)}


def campaigns_json(campaigns: Sequence[PublicCampaign], head: int, schema: str) -> Document:
    return {**_head("campaigns", schema, head),
            "campaigns": [campaign_json(c) for c in campaigns]}


def donation_json(d: Donation) -> Document:
    zh, en = SOURCES.get(d.source, (d.source, d.source))
    return {"received_on": d.received_on.isoformat(), "source": d.source, "source_zh": zh,
            "source_en": en, "donor": d.donor, "amount": money_text(d.amount),
            "restricted": d.restricted, "purpose": d.purpose}


def donations_json(donations: Sequence[Donation], year: int, head: int, schema: str
                   ) -> Document:
    return {**_head("donations", schema, head, year),
            "total": money_text(_sum(d.amount for d in donations)),
            "donations": [donation_json(d) for d in donations]}


def _sum(values: Iterable[Money]) -> Money:
    return sum(values, Money(0, CURRENCY))


# --- CSV --------------------------------------------------------------------------------------
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A CSV cell: None and False-y text empty, booleans "true"/"false", numbers as they are,
    text that a spreadsheet would run as a formula behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat() if isinstance(value, date) else str(value)
    if text.startswith(_FORMULA) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with BOM, CRLF, a header row, every cell through `cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


OVERVIEW_HEADER = ("year", "section", "key", "name_zh", "name_en", "value")
GRANTS_HEADER = ("year", "id", "title", "grantee", "resolved_on", "approved", "paid",
                 "outstanding", "status", "evaluation")
CAMPAIGNS_HEADER = ("id", "title", "community", "repair", "contractor", "status", "deadline",
                    "target", "raised", "percent", "subsidy_from", "subsidy_received",
                    "crowdfunded", "foundation_match", "households", "asked", "paid",
                    "buildings", "shortfall", "shortfall_covered_by", "contractor_paid",
                    "leftover_rule", "leftover_released")
DONATIONS_HEADER = ("year", "received_on", "source", "source_zh", "source_en", "donor",
                    "amount", "restricted", "purpose")


def overview_rows(doc: Document) -> list[tuple[object, ...]]:
    """One row per figure of overview_json's document (section, key, names, value)."""
    year = doc["year"]
    rows: list[tuple[object, ...]] = [
        (year, "deposits", k, *DEPOSIT_NAMES[k], v) for k, v in doc["deposits"].items()]
    for section in ("income", "spending"):
        rows += [(year, section, a["key"], a["name_zh"], a["name_en"], a["amount"])
                 for a in doc[section]]
        rows.append((year, section, "total", *TOTAL_NAMES, doc[f"{section}_total"]))
    rows += [(year, "ratios", k, *RATIO_NAMES[k], doc[k]) for k in RATIO_NAMES]
    rows.append((year, "available", "available", *AVAILABLE_NAMES, doc["available"]))
    named = {n["key"]: (n["name_zh"], n["name_en"]) for n in doc["nodes"]}
    rows += [(year, "flows", f"{f['source']}->{f['target']}",
              f"{named[f['source']][0]} → {named[f['target']][0]}",
              f"{named[f['source']][1]} → {named[f['target']][1]}", f["amount"])
             for f in doc["flows"]]
    for key, zh, en in (("income", "收入", "Income"), ("spending", "支出", "Spending")):
        rows += [(year, f"months_{key}", m["month"], f"{m['month']} {zh}", f"{m['month']} {en}",
                  m[key]) for m in doc["months"]]
    return rows


def overview_csv(doc: Document) -> bytes:
    return to_csv(OVERVIEW_HEADER, overview_rows(doc))


def grants_csv(doc: Document) -> bytes:
    return to_csv(GRANTS_HEADER, [(doc["year"], *(g[k] for k in GRANTS_HEADER[1:]))
                                  for g in doc["grants"]])


def buildings_text(buildings: Sequence[Document]) -> str:
    """'1:5/5/6; 2:3/4/4': building: households paid / asked to pay / on the roll."""
    return "; ".join(f"{b['building']}:{b['paid']}/{b['asked']}/{b['households']}"
                     for b in buildings)


def campaigns_csv(doc: Document) -> bytes:
    def row(c: Document) -> list[object]:
        values = {**c, "buildings": buildings_text(c["buildings"]),
                  "shortfall_covered_by": ";".join(c["shortfall_covered_by"])}
        return [values[k] for k in CAMPAIGNS_HEADER]

    return to_csv(CAMPAIGNS_HEADER, [row(c) for c in doc["campaigns"]])


def donations_csv(doc: Document) -> bytes:
    return to_csv(DONATIONS_HEADER, [(doc["year"], *(d[k] for k in DONATIONS_HEADER[1:]))
                                     for d in doc["donations"]])


CSV_OF = {"overview": overview_csv, "grants": grants_csv, "campaigns": campaigns_csv,
          "donations": donations_csv}


# --- the JSON Schema --------------------------------------------------------------------------
def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _described(schema: Document, description: str) -> Document:
    return {**schema, "description": description}


def _object(properties: dict[str, Document], description: str) -> Document:
    return {"type": "object", "description": description, "properties": properties,
            "required": list(properties), "additionalProperties": False}


def _common(kind: str, *, year: bool) -> dict[str, Document]:
    found: dict[str, Document] = {
        "kind": {"const": kind, "description": "Which document this is."},
        "schema": {"type": "string", "description": "Where this document's schema is."},
        "head": {"type": "integer", "minimum": 0, "description":
                 "The journal's last entry number when the figures were read: any new "
                 "posting makes it larger."},
        "currency": {"const": CURRENCY, "description": "Every amount is in this currency."},
    }
    if year:
        found["year"] = {"type": "integer", "minimum": 1950, "maximum": 2199,
                         "description": "The calendar year of the figures."}
    return found


def _named_amounts(description: str) -> Document:
    return {"type": "array", "description": description, "items": _object({
        "key": {"type": "string", "description": "A stable key."},
        "name_zh": {"type": "string", "description": "Its name in Chinese."},
        "name_en": {"type": "string", "description": "Its name in English."},
        "amount": _ref("amount")}, "A named amount.")}


def _overview_schema() -> Document:
    count = {"type": "integer", "minimum": 0, "description": "How many deposits."}
    return _object({
        **_common("overview", year=True),
        "years": {"type": "array", "items": {"type": "integer"},
                  "description": "Years with entries in the books, latest first."},
        "deposits": _object({"count": count, **{k: _described(_ref("amount"), DEPOSIT_NAMES[k][1])
                                                for k in DEPOSIT_NAMES if k != "count"}},
                            "Mutual-aid deposits received in the year and their 30/70 split."),
        "income": _named_amounts("The foundation's income in the year by source (keys: "
                                 + ", ".join(SOURCES) + ")."),
        "income_total": _described(_ref("amount"), "The foundation's income in the year."),
        "spending": _named_amounts("What the foundation paid out and spent in the year "
                                   "(grants, repairs, administration, other_costs)."),
        "spending_total": _described(_ref("amount"), "The foundation's spending in the year."),
        "admin_share": _described(_ref("ratio"), "Administrative costs / the year's "
                                  "spending (null when nothing was spent)."),
        "charitable_ratio": _described(_ref("ratio"), "Charitable spending / the previous "
                                       "year's income (null without previous income)."),
        "available": _described(_ref("amount"), "The foundation's money free to commit now "
                                "(not of the year: as the books stand)."),
        "nodes": {"type": "array", "description": "The flow chart's nodes.", "items": _object({
            "key": {"type": "string", "description": "The node's key."},
            "name_zh": {"type": "string", "description": "Its name in Chinese."},
            "name_en": {"type": "string", "description": "Its name in English."}},
            "A node.")},
        "flows": {"type": "array", "description": "Money moving from one node to another in "
                  "the year (the flow chart).", "items": _object({
                      "source": {"type": "string", "description": "Key of the node it leaves."},
                      "target": {"type": "string", "description": "Key of the node it reaches."},
                      "amount": _ref("amount")}, "A flow.")},
        "months": {"type": "array", "minItems": 12, "maxItems": 12,
                   "description": "Income and spending of both entities by month (without "
                   "the fund's transfer to the foundation).", "items": _object({
                       "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$",
                                 "description": "The month, e.g. 2026-01."},
                       "income": _ref("amount"), "spending": _ref("amount")}, "A month.")},
    }, "The year's figures of the overview page.")


def _grants_schema() -> Document:
    return _object({
        **_common("grants", year=True),
        "totals": _object({"count": {"type": "integer", "minimum": 0,
                                     "description": "How many grants."},
                           "approved": _ref("amount"), "paid": _ref("amount"),
                           "outstanding": _ref("amount")}, "Sums over the grants."),
        "grants": {"type": "array", "description": "Every grant committed by the year's "
                   "end, as it stood then.", "items": _object({
                       "id": {"type": "integer", "description": "The grant's number."},
                       "title": {"type": "string", "description": "The project's title."},
                       "grantee": {"type": "string", "description": "The social "
                                   "organisation that carries it out."},
                       "resolved_on": _described(_ref("date"), "Date of the board's "
                                                 "resolution committing it."),
                       "approved": _described(_ref("amount"), "Amount approved."),
                       "paid": _described(_ref("amount"), "Paid by the year's end."),
                       "outstanding": _described(_ref("amount"), "Still to pay then."),
                       "status": {"enum": ["active", "completed", "closed"],
                                  "description": "active, completed (every tranche paid) or "
                                  "closed (ended early)."},
                       "evaluation": {"enum": ["passed", "failed", None], "description":
                                      "The latest acceptance evaluation's result, if any."}},
                       "A grant.")},
    }, "Venture-philanthropy grants of a year.")


def _campaigns_schema() -> Document:
    count = {"type": "integer", "minimum": 0}
    return _object({
        **_common("campaigns", year=False),
        "campaigns": {"type": "array", "description": "Every repair campaign but drafts, as "
                      "it stands now (not by year).", "items": _object({
                          "id": {"type": "integer", "description": "The campaign's number."},
                          "title": {"type": "string", "description": "Its title."},
                          "community": {"type": "string", "description": "The community."},
                          "repair": {"type": "string", "description": "What is repaired."},
                          "contractor": {"type": "string", "description": "The contractor."},
                          "status": {"enum": ["open", "funded", "contractor_paid", "closed",
                                              "cancelled"], "description": "Its stage."},
                          "deadline": _described(_ref("date"), "The households' deadline."),
                          "target": _described(_ref("amount"), "The quoted cost."),
                          "raised": _described(_ref("amount"), "subsidy_received + "
                                               "crowdfunded + foundation_match."),
                          "percent": {"type": ["integer", "null"], "minimum": 0,
                                      "description": "raised / target in whole percent "
                                      "(rounded down)."},
                          "subsidy_from": {"type": "string", "description": "Who gives the "
                                           "subsidy (an authority), or empty."},
                          "subsidy_received": _ref("amount"),
                          "crowdfunded": _described(_ref("amount"), "The households' "
                                                    "payments, net of refunds."),
                          "foundation_match": _described(_ref("amount"), "The foundation's "
                                                         "pledge."),
                          "households": _described(count, "Households on the roll."),
                          "asked": _described(count, "Households asked to pay (not vacant, "
                                              "unreachable or exempt)."),
                          "paid": _described(count, "Households asked that paid their "
                                             "whole share."),
                          "buildings": {"type": "array", "description": "The same counts by "
                                        "building.", "items": _object({
                                            "building": {"type": "string",
                                                         "description": "The building."},
                                            "households": count, "asked": count,
                                            "paid": count}, "A building.")},
                          "shortfall": _described(_ref("amount"), "The shares of households "
                                                  "not asked to pay."),
                          "shortfall_covered_by": {"type": "array", "items": {
                              "enum": ["subsidy", "foundation", "households"]},
                              "description": "Who covered the shortfall."},
                          "contractor_paid": _described(_ref("amount"), "Paid to the "
                                                        "contractor."),
                          "leftover_rule": {"enum": ["refund", "foundation"], "description":
                                            "What happens to money left over."},
                          "leftover_released": _described(_ref("amount"), "Leftover money "
                                                          "given to the foundation.")},
                          "A campaign.")},
    }, "Crowdfunded repair campaigns.")


def _donations_schema() -> Document:
    return _object({
        **_common("donations", year=True),
        "total": _described(_ref("amount"), "Sum of the year's recorded income."),
        "donations": {"type": "array", "description": "The foundation's recorded income of "
                      "the year, in date order.", "items": _object({
                          "received_on": _ref("date"),
                          "source": {"type": "string", "description": "The source's key."},
                          "source_zh": {"type": "string", "description": "In Chinese."},
                          "source_en": {"type": "string", "description": "In English."},
                          "donor": {"type": "string", "description": "The donor or payer; "
                                    "\"匿名 / Anonymous\" for a donor who asked."},
                          "amount": _ref("amount"),
                          "restricted": {"type": "boolean", "description": "Restricted to a "
                                         "purpose or a grant round."},
                          "purpose": {"type": ["string", "null"],
                                      "description": "The restriction's purpose, if any."}},
                          "A receipt of income.")},
    }, "The foundation's donations and other recorded income of a year.")


def json_schema(url: str) -> Document:
    """The JSON Schema of every open-data JSON document, each under $defs by its kind."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "title": "Huzhu open data",
        "description": "The public figures of the mutual-aid fund and the community development "
                       "foundation. Amounts are strings in yuan (CNY) with two decimals, never "
                       "numbers; dates are ISO 8601.",
        "oneOf": [_ref(kind) for kind in KINDS],
        "$defs": {
            "amount": {"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$",
                       "description": "An amount in yuan with two decimals, e.g. \"22.09\"."},
            "ratio": {"type": ["string", "null"], "pattern": "^-?[0-9]+\\.[0-9]{4}$",
                      "description": "A ratio with four decimals, e.g. \"0.0234\" (2.34 %)."},
            "date": {"type": "string", "format": "date",
                     "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                     "description": "A date, ISO 8601."},
            "overview": _overview_schema(), "grants": _grants_schema(),
            "campaigns": _campaigns_schema(), "donations": _donations_schema(),
        },
    }


def fields(schema: Document, kind: str) -> list[tuple[str, str, str]]:
    """(name, type, description) of every field of a kind's documents, nested ones as
    "grants[].title", for the open-data page."""
    return list(_fields(schema, schema["$defs"][kind], ""))


def _resolve(schema: Document, node: Document) -> Document:
    if "$ref" in node:
        return {**_resolve(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[1]]),
                **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _type_of(child: Document, node: Document) -> str:
    """A field's type in words: a defined type's name ("amount"), a constant, the values of an
    enumeration, or the JSON types."""
    if "$ref" in child:
        return child["$ref"].rsplit("/", 1)[1]
    if "const" in node:
        return f'"{node["const"]}"'
    if "enum" in node:
        return " | ".join("null" if v is None else f'"{v}"' for v in node["enum"])
    kinds = node.get("type", "")
    text = " | ".join(kinds) if isinstance(kinds, list) else kinds
    items = node.get("items")
    if text == "array" and isinstance(items, dict) and items.get("type") != "object":
        return f"array of {_type_of(items, items)}"
    return text


def _fields(schema: Document, node: Document, prefix: str) -> Iterable[tuple[str, str, str]]:
    for name, child in node.get("properties", {}).items():
        found = _resolve(schema, child)
        yield prefix + name, _type_of(child, found), found.get("description", "")
        if found.get("type") == "object":
            yield from _fields(schema, found, f"{prefix}{name}.")
        items = found.get("items")
        if isinstance(items, dict) and items.get("type") == "object":
            yield from _fields(schema, items, f"{prefix}{name}[].")
