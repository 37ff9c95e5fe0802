"""GET /api/entries: filters and keyset (cursor) pagination."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from .helpers import Api, cursor_for, entry_body

SEVEN = [
    entry_body("fund", "2025-10-01", "100.00"),                          # 1
    entry_body("foundation", "2025-10-15", "200.00"),                    # 2
    entry_body("fund", "2025-11-01", "300.00", debit="1001"),            # 3 (cash, not bank)
    entry_body("foundation", "2025-11-03", "245000.00", credit="2209"),  # 4
    entry_body("fund", "2025-11-20", "500.00", credit="2209"),           # 5
    entry_body("fund", "2025-12-01", "600.00", debit="1001"),            # 6
    entry_body("foundation", "2025-12-31", "700.00", debit="1001"),      # 7
]


@pytest.fixture
def seven(api: Api) -> list[dict[str, Any]]:
    return [api.posted(copy.deepcopy(body)) for body in SEVEN]


def _seqs(items: list[dict[str, Any]]) -> list[int]:
    return [item["seq"] for item in items]


def test_list_of_empty_books(api: Api) -> None:
    assert api.client.get("/api/entries").get_json() == {"items": [], "next_cursor": None}


def test_list_filters(api: Api, seven: list[dict[str, Any]], subtests: Any) -> None:
    cases: list[tuple[dict[str, str], list[int]]] = [
        ({}, [1, 2, 3, 4, 5, 6, 7]),
        ({"entity": "fund"}, [1, 3, 5, 6]),
        ({"entity": "foundation"}, [2, 4, 7]),
        ({"account": "1002"}, [1, 2, 4, 5]),
        ({"account": "1002", "entity": "fund"}, [1, 5]),
        ({"account": "2209"}, [4, 5]),
        ({"account": "410101"}, [2, 7]),
        ({"account": "9999"}, []),
        ({"from": "2025-11-01"}, [3, 4, 5, 6, 7]),
        ({"to": "2025-11-03"}, [1, 2, 3, 4]),
        ({"from": "2025-11-01", "to": "2025-11-30"}, [3, 4, 5]),
        ({"from": "2025-11-03", "to": "2025-11-03"}, [4]),
        ({"from": "2025-12-01", "to": "2025-11-01"}, []),
        ({"entity": "foundation", "from": "2025-11-01", "account": "1001"}, [7]),
    ]
    for query, expected in cases:
        with subtests.test(str(query)):
            response = api.client.get("/api/entries", query_string=query)
            assert response.status_code == 200
            page = response.get_json()
            assert _seqs(page["items"]) == expected
            assert page["next_cursor"] is None
            # items are the full entries, exactly as posted
            assert page["items"] == [seven[seq - 1] for seq in expected]


def test_cursor_pagination_walks_every_entry_once(api: Api, seven: list[dict[str, Any]],
                                                  subtests: Any) -> None:
    cases: list[tuple[dict[str, str], list[list[int]]]] = [
        ({}, [[1, 2, 3], [4, 5, 6], [7]]),
        ({"entity": "fund"}, [[1, 3, 5], [6]]),
        ({"entity": "foundation"}, [[2, 4, 7]]),  # one full page: no cursor to an empty page
        ({"from": "2025-10-15"}, [[2, 3, 4], [5, 6, 7]]),
        ({"account": "1001", "to": "2025-12-01"}, [[3, 6]]),
    ]
    for query, pages in cases:
        with subtests.test(str(query)):
            seen: list[list[int]] = []
            params: dict[str, Any] = {**query, "limit": 3}
            while True:
                response = api.client.get("/api/entries", query_string=params)
                assert response.status_code == 200
                page = response.get_json()
                seen.append(_seqs(page["items"]))
                if page["next_cursor"] is None:
                    break
                assert isinstance(page["next_cursor"], str)
                assert page["next_cursor"]
                params["cursor"] = page["next_cursor"]
                assert len(seen) <= len(SEVEN), "pagination does not end"
            assert seen == pages


def test_a_cursor_survives_new_entries(api: Api, seven: list[dict[str, Any]]) -> None:
    first = api.client.get("/api/entries?limit=3").get_json()
    api.posted(entry_body("fund", "2025-01-01", "1.00"))  # an earlier date, but a later seq
    rest = api.entries(limit=3, cursor=first["next_cursor"])

    assert _seqs(rest) == [4, 5, 6, 7, 8]


def test_list_with_bad_query_is_422(api: Api, subtests: Any) -> None:
    cases = [
        {"cursor": "not-a-cursor"}, {"cursor": "%%%"}, {"cursor": cursor_for("before:3")},
        {"cursor": cursor_for("after:-1")}, {"cursor": cursor_for("after:")},
        {"cursor": cursor_for("after:1.5")}, {"cursor": ""},
        {"limit": "0"}, {"limit": "1000"}, {"limit": "501"}, {"limit": "-1"}, {"limit": "ten"},
        {"entity": "charity"}, {"from": "2025-02-30"}, {"to": "yesterday"},
    ]
    for query in cases:
        with subtests.test(str(query)):
            body = api.problem(api.client.get("/api/entries", query_string=query), 422)
            (name,) = query
            assert name in body["errors"]["query"]


def test_limit_bounds_are_accepted(api: Api, seven: list[dict[str, Any]]) -> None:
    one = api.client.get("/api/entries?limit=1").get_json()
    assert _seqs(one["items"]) == [1]
    assert one["next_cursor"] is not None
    assert len(api.client.get("/api/entries?limit=500").get_json()["items"]) == 7
    assert len(api.client.get("/api/entries").get_json()["items"]) == 7  # default 50


def test_cursor_beyond_bigint_is_422(api: Api, backend: str,
                                     request: pytest.FixtureRequest) -> None:
    response = api.client.get("/api/entries", query_string={"cursor": cursor_for(f"after:{2**63}")})
    api.problem(response, 422)
