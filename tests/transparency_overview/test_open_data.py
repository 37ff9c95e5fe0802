"""The open data (issue 8) on SQLite and PostgreSQL: the JSON and CSV files hold the figures of
ledger.transparency (the pages' figures), amounts as "22.09" strings and dates ISO; every JSON
document validates against /transparency/data/schema.json (JSON Schema 2020-12, with formats
checked); CSV is UTF-8 with BOM, a header row, and no cell a spreadsheet would run as a
formula."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import jsonschema
import pytest

from ledger import transparency as public
from ledger.foundation import ANONYMOUS
from reports import open_data
from reports.open_data import money_text

from ..periods.helpers import Books
from .helpers import CONTRACTOR, FORMULA_DONORS, SECRET_DONOR, YEAR, Seeded

AMOUNT = r"^-?[0-9]+\.[0-9]{2}$"


def get(client: Any, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


def fetch_json(client: Any, url: str) -> dict[str, Any]:
    response = get(client, url)
    assert response.mimetype == "application/json"
    return json.loads(response.data)


def fetch_csv(client: Any, url: str) -> list[dict[str, str]]:
    response = get(client, url)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.data.startswith(b"\xef\xbb\xbf"), "CSV without a byte-order mark"
    text = response.data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text)))


def validator(client: Any, kind: str) -> jsonschema.Draft202012Validator:
    schema = fetch_json_schema(client)
    return jsonschema.Draft202012Validator(
        {"$ref": f"#/$defs/{kind}", "$defs": schema["$defs"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def fetch_json_schema(client: Any) -> dict[str, Any]:
    response = get(client, "/transparency/data/schema.json")
    assert response.mimetype == "application/schema+json"
    return json.loads(response.data)


def test_the_schema_is_a_valid_2020_12_schema_of_every_document(client: Any, bk: Books,
                                                                 seeded: Seeded) -> None:
    schema = fetch_json_schema(client)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(open_data.KINDS) <= set(schema["$defs"])
    whole = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for kind in open_data.KINDS:
        doc = fetch_json(client, f"/transparency/data/{kind}.json?year={YEAR}")
        validator(client, kind).validate(doc)
        whole.validate(doc)  # the root's oneOf picks the document's kind
        assert doc["kind"] == kind
        assert doc["schema"] == f"/transparency/data/schema.json#/$defs/{kind}"
    bad = fetch_json(client, f"/transparency/data/grants.json?year={YEAR}")
    bad["grants"][0]["approved"] = 80000.0  # a float amount is refused
    assert not validator(client, "grants").is_valid(bad)


def test_overview_json_and_csv_hold_the_ledgers_figures(client: Any, bk: Books,
                                                       seeded: Seeded) -> None:
    ov = public.overview(bk.uow, YEAR)
    doc = fetch_json(client, f"/transparency/data/overview.json?year={YEAR}")
    assert (doc["year"], doc["years"], doc["head"]) == (YEAR, list(ov.years), ov.head)
    d = ov.deposits
    assert doc["deposits"] == {"count": d.count, "received": "450000.00",
                               "operating": "135000.00", "foundation": "315000.00",
                               "reversed": "0.00", "transferred": money_text(d.transferred)}
    assert doc["income"] == [{"key": a.key, "name_zh": a.zh, "name_en": a.en,
                              "amount": money_text(a.amount)} for a in ov.income]
    assert doc["spending"] == [{"key": a.key, "name_zh": a.zh, "name_en": a.en,
                                "amount": money_text(a.amount)} for a in ov.spending]
    assert (doc["income_total"], doc["spending_total"], doc["available"]) == (
        money_text(ov.income_total), money_text(ov.spending_total), money_text(ov.available))
    assert doc["admin_share"] == f"{ov.admin_share:.4f}"
    assert doc["flows"] == [{"source": f.source, "target": f.target,
                             "amount": money_text(f.amount)} for f in ov.flows]
    assert doc["months"] == [{"month": m.label, "income": money_text(m.income),
                              "spending": money_text(m.spending)} for m in ov.months]
    rows = fetch_csv(client, f"/transparency/data/overview.csv?year={YEAR}")
    assert list(rows[0]) == list(open_data.OVERVIEW_HEADER)
    found = {(r["section"], r["key"]): r["value"] for r in rows}
    assert {r["year"] for r in rows} == {str(YEAR)}
    assert found[("deposits", "received")] == "450000.00"
    assert found[("deposits", "count")] == str(d.count)
    for a in ov.income:
        assert found[("income", a.key)] == money_text(a.amount)
    assert found[("income", "total")] == money_text(ov.income_total)
    assert found[("spending", "total")] == money_text(ov.spending_total)
    assert found[("available", "available")] == money_text(ov.available)
    assert found[("ratios", "admin_share")] == doc["admin_share"]
    for f in ov.flows:
        assert found[("flows", f"{f.source}->{f.target}")] == money_text(f.amount)
    for m in ov.months:
        assert found[("months_income", m.label)] == money_text(m.income)


def test_grants_files_hold_each_grant(client: Any, bk: Books, seeded: Seeded) -> None:
    grant, = public.grants(bk.uow, YEAR)
    doc = fetch_json(client, f"/transparency/data/grants.json?year={YEAR}")
    assert doc["grants"] == [{
        "id": grant.id, "title": grant.title, "grantee": grant.grantee,
        "resolved_on": grant.resolved_on.isoformat(), "approved": "80000.00",
        "paid": "50000.00", "outstanding": "30000.00", "status": "active",
        "evaluation": "passed"}]
    assert doc["totals"] == {"count": 1, "approved": "80000.00", "paid": "50000.00",
                             "outstanding": "30000.00"}
    row, = fetch_csv(client, f"/transparency/data/grants.csv?year={YEAR}")
    assert row == {k: str(v) for k, v in {"year": YEAR, **doc["grants"][0]}.items()}
    assert fetch_json(client, f"/transparency/data/grants.json?year={YEAR - 1}")["grants"] == []


def test_campaigns_files_hold_each_campaign(client: Any, bk: Books, seeded: Seeded) -> None:
    campaign, = public.campaigns(bk.uow)
    doc = fetch_json(client, "/transparency/data/campaigns.json")
    found, = doc["campaigns"]
    assert "year" not in doc
    assert found["target"] == money_text(campaign.target) == "1000.00"
    assert found["raised"] == money_text(campaign.subsidy_received + campaign.crowdfunded
                                         + campaign.match)
    assert (found["households"], found["asked"], found["paid"]) == (6, 5, 5)
    assert found["buildings"] == [{"building": "1", "households": 4, "asked": 4, "paid": 4},
                                  {"building": "2", "households": 2, "asked": 1, "paid": 1}]
    assert found["shortfall_covered_by"] == ["foundation"]
    assert (found["shortfall"], found["crowdfunded"], found["subsidy_received"]) == (
        money_text(campaign.shortfall), money_text(campaign.crowdfunded), "400.00")
    assert found["contractor"] == CONTRACTOR
    row, = fetch_csv(client, "/transparency/data/campaigns.csv?year=1999")  # the year is moot
    assert row["buildings"] == "1:4/4/4; 2:1/1/2"
    assert row["shortfall_covered_by"] == "foundation"
    assert row["target"] == "1000.00"
    assert row["contractor"] == "'" + CONTRACTOR  # never a formula
    assert row["title"] == campaign.title


def test_donations_show_anonymous_donors_as_anonymous(client: Any, bk: Books,
                                                      seeded: Seeded) -> None:
    doc = fetch_json(client, f"/transparency/data/donations.json?year={YEAR}")
    expected = public.donations(bk.uow, YEAR)
    assert [(d["received_on"], d["donor"], d["amount"]) for d in doc["donations"]] == [
        (d.received_on.isoformat(), d.donor, money_text(d.amount)) for d in expected]
    assert [d["amount"] for d in doc["donations"] if d["donor"] == ANONYMOUS] == ["888.00"]
    assert SECRET_DONOR not in json.dumps(doc, ensure_ascii=False)
    rows = fetch_csv(client, f"/transparency/data/donations.csv?year={YEAR}")
    assert [r["amount"] for r in rows] == [d["amount"] for d in doc["donations"]]


def test_csv_cells_never_run_as_formulas(client: Any, bk: Books, seeded: Seeded) -> None:
    rows = fetch_csv(client, f"/transparency/data/donations.csv?year={YEAR}")
    donors = [r["donor"] for r in rows]
    for donor in FORMULA_DONORS:
        assert "'" + donor in donors, donor
        assert donor not in donors
    for url in (f"/transparency/data/{kind}.csv?year={YEAR}" for kind in open_data.KINDS):
        for row in fetch_csv(client, url):
            for value in row.values():
                assert not value.startswith(("=", "+", "@", "\t", "\r")), (url, value)
                if value.startswith("-"):
                    assert open_data._NUMBER.fullmatch(value), (url, value)


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+2", "'=1+2"), ("+86 138", "'+86 138"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("-1.00", "-1.00"), ("-12", "-12"), ("22.09", "22.09"),
    ("王 = 李", "王 = 李"), (None, ""), (True, "true"), (3, "3")])
def test_a_cell_is_neutralised_only_when_it_could_run(value: object, cell: str) -> None:
    assert open_data.cell(value) == cell


def test_amounts_are_strings_never_numbers(client: Any, bk: Books, seeded: Seeded) -> None:
    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                walk(value, f"{path}[{n}]")
        else:
            assert not isinstance(node, float), path

    for kind in open_data.KINDS:
        walk(fetch_json(client, f"/transparency/data/{kind}.json?year={YEAR}"), kind)


def test_addresses_and_errors(client: Any, bk: Books, seeded: Seeded) -> None:
    latest = fetch_json(client, "/transparency/data/overview.json")
    assert latest["year"] == YEAR
    response = get(client, "/transparency/data/overview.json?year=1999", 404)
    assert response.mimetype == "application/problem+json"
    assert json.loads(response.data)["status"] == 404
    get(client, "/transparency/data/members.json", 404)
    get(client, "/transparency/data/overview.xml", 404)
    response = get(client, "/transparency/data/grants.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    page = get(client, "/transparency/data/?lang=en").get_data(as_text=True)
    for kind in open_data.KINDS:
        assert f'href="/transparency/data/{kind}.json' in page
        assert f'href="/transparency/data/{kind}.csv' in page
        assert f'id="fields-{kind}"' in page
    assert 'href="/transparency/data/schema.json"' in page
    assert "<code>grants[].resolved_on</code>" in page
