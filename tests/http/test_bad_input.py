"""Bad input to POST /api/entries: a 4xx problem-details answer, never a 500, nothing written."""

from __future__ import annotations

import copy
import json
from typing import Any

from .helpers import DEPOSIT, Api


def _with(**fields: Any) -> dict[str, Any]:
    body = copy.deepcopy(DEPOSIT)
    body.update(fields)
    return body


def _first_posting(**fields: Any) -> dict[str, Any]:
    body = copy.deepcopy(DEPOSIT)
    body["postings"][0].update(fields)
    return body


def _two(debit: Any, credit: Any, currency: str | None = None) -> dict[str, Any]:
    postings = [{"account": "1002", "debit": debit}, {"account": "420101", "credit": credit}]
    if currency:
        for posting in postings:
            posting["currency"] = currency
    return _with(postings=postings)


#: name -> (body, problem type, path into `errors` that must name the culprit)
BAD_BODIES: dict[str, tuple[Any, str, tuple[str, ...]]] = {
    "float amount": (_first_posting(debit=350000.0), "about:blank", ("postings", "0", "debit")),
    "integer amount": (_first_posting(debit=350000), "about:blank", ("postings", "0", "debit")),
    "boolean amount": (_first_posting(debit=True), "about:blank", ("postings", "0", "debit")),
    "three decimals": (_two("100.001", "100.001"), "about:blank", ("postings", "0", "debit")),
    "negative": (_two("-100.00", "-100.00"), "about:blank", ("postings", "0", "debit")),
    "zero": (_two("0.00", "0.00"), "about:blank", ("postings", "1", "credit")),
    "NaN": (_two("NaN", "NaN"), "about:blank", ("postings", "0", "debit")),
    "Infinity": (_two("Infinity", "Infinity"), "about:blank", ("postings", "0", "debit")),
    "-Infinity": (_two("-Infinity", "-Infinity"), "about:blank", ("postings", "0", "debit")),
    "exponent": (_two("3.5e5", "3.5e5"), "about:blank", ("postings", "0", "debit")),
    "thousands separator": (_two("1,000.00", "1,000.00"), "about:blank",
                            ("postings", "0", "debit")),
    "full-width digits": (_two("１００.00", "１００.00"), "about:blank",
                          ("postings", "0", "debit")),
    "empty amount": (_two("", ""), "about:blank", ("postings", "0", "debit")),
    "one trillion": (_two("1000000000000.00", "1000000000000.00"), "about:blank",
                     ("postings", "0", "debit")),
    "JPY with decimals": (_two("1.50", "1.50", "JPY"), "about:blank",
                          ("postings", "0", "debit")),
    "unbalanced": (_first_posting(debit="350000.01"), "/problems/unbalanced-entry",
                   ("postings",)),
    "unbalanced per currency": (
        _with(postings=[{"account": "1002", "debit": "100.00"},
                        {"account": "420101", "credit": "100.00", "currency": "USD"}]),
        "/problems/unbalanced-entry", ("postings",)),
    "one posting": (_with(postings=[{"account": "1002", "debit": "1.00"}]), "about:blank",
                    ("postings",)),
    "no postings": (_with(postings=[]), "about:blank", ("postings",)),
    "postings not a list": (_with(postings="1002"), "about:blank", ("postings",)),
    "unknown account": (_first_posting(account="9999"), "/problems/unknown-account",
                        ("postings[0].account",)),
    "account of the other entity": (_first_posting(account="410101"),
                                    "/problems/unknown-account", ("postings[0].account",)),
    "empty account": (_first_posting(account=""), "about:blank",
                      ("postings", "0", "account")),
    "unknown entity": (_with(entity="charity"), "about:blank", ("entity",)),
    "both debit and credit": (_first_posting(credit="350000.00"), "about:blank",
                              ("postings", "0", "_schema")),
    "neither debit nor credit": (
        _with(postings=[{"account": "1002"}, *DEPOSIT["postings"][1:]]), "about:blank",
        ("postings", "0", "_schema")),
    "unknown field": (_with(colour="red"), "about:blank", ("colour",)),
    "unknown posting field": (_first_posting(colour="red"), "about:blank",
                              ("postings", "0", "colour")),
    "unknown currency": (_two("1.00", "1.00", "XYZ"), "about:blank",
                         ("postings", "0", "currency")),
    "lower-case currency": (_two("1.00", "1.00", "cny"), "about:blank",
                            ("postings", "0", "currency")),
    "memo too long": (_with(memo="备" * 501), "about:blank", ("memo",)),
    "posting memo too long": (_first_posting(memo="x" * 501), "about:blank",
                              ("postings", "0", "memo")),
    "source kind too long": (_with(source={"kind": "k" * 41, "id": "1"}), "about:blank",
                             ("source", "kind")),
    "date invalid": (_with(effective_date="2025-02-30"), "about:blank", ("effective_date",)),
    "date not a date": (_with(effective_date="yesterday"), "about:blank", ("effective_date",)),
    "date with a time": (_with(effective_date="2025-11-03T10:00:00"), "about:blank",
                         ("effective_date",)),
    "date null": (_with(effective_date=None), "about:blank", ("effective_date",)),
    "missing fields": ({}, "about:blank", ("entity",)),
    "body a list": ([DEPOSIT], "about:blank", ("_schema",)),
    "body a string": ("entry", "about:blank", ("_schema",)),
    "body null": (None, "about:blank", ("_schema",)),
}


def test_bad_bodies_are_422_problems_and_write_nothing(api: Api, subtests: Any) -> None:
    api.posted(DEPOSIT)
    before = api.row_counts()
    for name, (body, type_, path) in BAD_BODIES.items():
        with subtests.test(name):
            response = api.client.post("/api/entries", data=json.dumps(body),
                                       content_type="application/json", headers=api.headers())
            problem = api.problem(response, 422, type_)
            node = problem["errors"]
            for step in path:
                assert step in node, (path, problem["errors"])
                node = node[step]
            assert node
            assert all(isinstance(message, str) for message in node)
    assert api.row_counts() == before  # no entry, no posting, no idempotency key kept
    assert api.entry_count() == 1


def test_the_largest_accepted_amount(api: Api) -> None:
    posted = api.posted(_two("999999999999.99", "999999999999.99"))
    assert posted["postings"][0]["debit"] == "999999999999.99"


def test_bad_requests_that_are_not_json(api: Api, subtests: Any) -> None:
    cases: dict[str, tuple[str | bytes, str, set[int]]] = {
        "malformed JSON": ('{"entity": "fund",', "application/json", {400}),
        "trailing garbage": (json.dumps(DEPOSIT) + "}", "application/json", {400}),
        "NaN literal": ('{"entity": "fund", "postings": [{"debit": NaN}]}', "application/json",
                        {400, 422}),
        "not UTF-8": (b'{"entity": "\xff"}', "application/json", {400}),
        "empty body": (b"", "application/json", {400, 422}),
        "text/plain": (json.dumps(DEPOSIT), "text/plain", {415}),
        "form": ("entity=fund&effective_date=2025-11-03", "application/x-www-form-urlencoded",
                 {400, 415, 422}),
        "XML": ("<entry/>", "application/xml", {415}),
    }
    for name, (data, content_type, statuses) in cases.items():
        with subtests.test(name):
            response = api.post_raw("/api/entries", data, content_type=content_type)
            assert response.status_code in statuses, response.get_data(as_text=True)
            api.problem(response, response.status_code)
    assert api.entry_count() == 0
    assert api.row_counts() == {"journal_entries": 0, "postings": 0, "idempotency_keys": 0}


def test_deeply_nested_json_is_a_4xx(api: Api) -> None:
    depth = 100_000
    response = api.post_raw("/api/entries", "[" * depth + "]" * depth)
    assert response.status_code in (400, 413, 422), response.status_code
    api.problem(response, response.status_code)


def test_nul_characters_are_422_on_both_backends(api: Api, subtests: Any) -> None:
    """PostgreSQL cannot store NUL in text; SQLite could, so the books must refuse it first."""
    cases = {
        "memo": _with(memo="永耀纺织\x00"),
        "posting memo": _first_posting(memo="a\x00b"),
        "source id": _with(source={"kind": "deposit", "id": "YY\x00"}),
    }
    for name, body in cases.items():
        with subtests.test(name):
            api.problem(api.post_entry(body), 422)
    assert api.row_counts() == {"journal_entries": 0, "postings": 0, "idempotency_keys": 0}


def test_errors_member_is_always_an_object(api: Api) -> None:
    problem = api.problem(api.post_raw("/api/entries", '{"entity": "fund",'), 400)
    assert isinstance(problem.get("errors", {}), dict), problem


def test_dates_outside_the_books_window_are_422(api: Api, subtests: Any) -> None:
    for day in ("0001-01-01", "1949-12-31", "2200-01-01", "9999-12-31"):
        with subtests.test(day):
            problem = api.problem(api.post_entry({**DEPOSIT, "effective_date": day}), 422)
            assert "effective_date" in problem["errors"]
    assert api.row_counts() == {"journal_entries": 0, "postings": 0, "idempotency_keys": 0}
