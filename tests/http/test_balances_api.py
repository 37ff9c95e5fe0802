"""Entities, charts, account balances and the trial balance over HTTP."""

from __future__ import annotations

from typing import Any

from .helpers import DEPOSIT, Api


def test_entities_and_chart(api: Api) -> None:
    entities = api.client.get("/api/entities").get_json()
    assert [e["code"] for e in entities] == ["fund", "foundation"]
    assert entities[0] == {"code": "fund", "kind": "mutual_aid_fund", "name_zh": "商会互助资金会",
                           "name_en": "Chamber of Commerce Mutual-Aid Fund"}

    accounts = api.client.get("/api/entities/fund/accounts").get_json()
    by_code = {a["code"]: a for a in accounts}
    assert {"1002", "420101", "2209"} <= set(by_code)
    assert by_code["2209"] == {"entity": "fund", "code": "2209", "name_zh": "其他应付款—应付基金会",
                               "name_en": "Payable to the foundation", "type": "liability",
                               "normal_side": "credit", "restricted": False}
    assert "410101" not in by_code  # a foundation account
    foundation = {a["code"] for a in api.client.get("/api/entities/foundation/accounts").get_json()}
    assert {"410101", "410102"} <= foundation
    assert "420101" not in foundation


def test_trial_balance_after_the_deposit(api: Api) -> None:
    api.posted(DEPOSIT)

    for query in ({"as_of": "2025-11-03"}, {}):  # on the entry's date, and today by default
        response = api.client.get("/api/entities/fund/trial-balance", query_string=query)
        assert response.status_code == 200
        tb = response.get_json()
        assert tb["entity"] == "fund"
        assert tb["balanced"] is True
        assert tb["totals"] == [{"currency": "CNY", "debit": "350000.00", "credit": "350000.00"}]
        assert [(line["account"], line["debit"], line["credit"]) for line in tb["lines"]] == [
            ("1002", "350000.00", "0.00"), ("2209", "0.00", "245000.00"),
            ("420101", "0.00", "105000.00")]
        assert tb["lines"][0]["name_zh"] == "银行存款"
        assert tb["lines"][0]["name_en"] == "Bank deposits"
    assert tb["as_of"] > "2025-11-03"  # the default is today

    before = api.client.get("/api/entities/fund/trial-balance?as_of=2025-11-02").get_json()
    assert before == {"entity": "fund", "as_of": "2025-11-02", "balanced": True, "lines": [],
                      "totals": []}
    other = api.client.get("/api/entities/foundation/trial-balance?as_of=2025-12-31").get_json()
    assert other["lines"] == []
    assert other["balanced"] is True


def test_account_balance_and_as_of(api: Api) -> None:
    api.posted(DEPOSIT)
    url = "/api/entities/fund/accounts/1002/balance"

    body = api.client.get(url, query_string={"as_of": "2025-11-03"}).get_json()
    assert body["entity"] == "fund"
    assert body["as_of"] == "2025-11-03"
    assert body["account"] == {"entity": "fund", "code": "1002", "name_zh": "银行存款",
                               "name_en": "Bank deposits", "type": "asset",
                               "normal_side": "debit", "restricted": False}
    assert body["balances"] == [{"currency": "CNY", "debits": "350000.00", "credits": "0.00",
                                 "balance": "350000.00"}]

    assert api.client.get(url).get_json()["balances"] == body["balances"]  # as of today
    before = api.client.get(url, query_string={"as_of": "2025-11-02"}).get_json()
    assert before["as_of"] == "2025-11-02"
    assert before["balances"] == []

    payable = api.client.get("/api/entities/fund/accounts/2209/balance?as_of=2025-12-31")
    assert payable.get_json()["balances"] == [
        {"currency": "CNY", "debits": "0.00", "credits": "245000.00", "balance": "245000.00"}]


def test_balance_lookups_with_bad_input(api: Api, subtests: Any) -> None:
    cases = [  # an unknown thing in the path is 404; a bad query value is 422
        ("/api/entities/fund/accounts/9999/balance", 404, "/problems/account-not-found"),
        ("/api/entities/fund/accounts/410101/balance", 404, "/problems/account-not-found"),
        ("/api/entities/charity/accounts/1002/balance", 404, "/problems/entity-not-found"),
        ("/api/entities/charity/trial-balance", 404, "/problems/entity-not-found"),
        ("/api/entities/charity/accounts", 404, "/problems/entity-not-found"),
        ("/api/entities/fund/trial-balance?as_of=2025-02-30", 422, "about:blank"),
        ("/api/entities/fund/accounts/1002/balance?as_of=today", 422, "about:blank"),
    ]
    for url, status, type_ in cases:
        with subtests.test(url):
            api.problem(api.client.get(url), status, type_)
