"""Posting, reading and reversing journal entries over HTTP."""

from __future__ import annotations

from typing import Any

from .helpers import ACTOR, DEPOSIT, Api, entry_body

HASH_HEX = set("0123456789abcdef")


# --- posting -----------------------------------------------------------------------------------
def test_post_deposit_returns_the_entry_as_posted(api: Api) -> None:
    api.add_staff("zhang.san", "admin")
    response = api.post_entry(DEPOSIT, actor="zhang.san")

    assert response.status_code == 201
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert response.headers["Location"] == f"/api/entries/{body['seq']}"
    assert "Idempotent-Replayed" not in response.headers
    assert body["seq"] == 1
    assert body["entity"] == "fund"
    assert body["effective_date"] == "2025-11-03"
    assert body["memo"] == DEPOSIT["memo"]
    assert body["actor"] == "zhang.san"
    assert body["source"] == {"kind": "import", "id": "YY-2025-001"}
    assert body["reverses"] is None
    assert body["reversed_by"] is None
    assert body["prev_hash"] == "0" * 64
    assert len(body["hash"]) == 64
    assert set(body["hash"]) <= HASH_HEX
    assert body["recorded_at"].endswith("+00:00")
    assert body["postings"] == [
        {"line": 1, "account": "1002", "account_name_zh": "银行存款",
         "account_name_en": "Bank deposits", "currency": "CNY", "debit": "350000.00",
         "credit": None, "memo": ""},
        {"line": 2, "account": "420101", "account_name_zh": "会费收入—互助资金运作经费",
         "account_name_en": "Operating share of mutual-aid deposits", "currency": "CNY",
         "debit": None, "credit": "105000.00", "memo": ""},
        {"line": 3, "account": "2209", "account_name_zh": "其他应付款—应付基金会",
         "account_name_en": "Payable to the foundation", "currency": "CNY", "debit": None,
         "credit": "245000.00", "memo": ""},
    ]

    fetched = api.client.get(response.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.get_json() == body


def test_actor_is_the_token_owner_and_entries_are_chained(api: Api) -> None:
    api.add_staff("li.si", "admin")
    anonymous = api.post_entry(DEPOSIT, actor=None)
    api.problem(anonymous, 401)
    assert api.row_counts() == {"journal_entries": 0, "postings": 0, "idempotency_keys": 0}

    first = api.post_entry(DEPOSIT, actor="li.si").get_json()
    second = api.posted(entry_body("foundation", amount="245000.00", memo="基金会收款"))

    assert first["actor"] == "li.si"
    assert second["actor"] == ACTOR
    assert second["seq"] == first["seq"] + 1
    assert second["prev_hash"] == first["hash"]
    assert second["entity"] == "foundation"
    assert second["postings"][1]["account_name_zh"] == "捐赠收入（非限定性）"


def test_amounts_are_normalised_and_currencies_kept(api: Api) -> None:
    body = entry_body(amount=" 12.5")
    body["postings"][1]["credit"] = "12.50"
    usd = entry_body(amount="1.25")
    for posting in usd["postings"]:
        posting["currency"] = "USD"

    assert [p["debit"] or p["credit"] for p in api.posted(body)["postings"]] == ["12.50"] * 2
    assert {p["currency"] for p in api.posted(usd)["postings"]} == {"USD"}


def test_utf8_token_from_a_real_wsgi_server_is_401_not_an_error(api: Api) -> None:
    as_a_server_delivers_it = "Bearer hz_王会计".encode().decode("latin-1")
    response = api.client.post("/api/entries", json=DEPOSIT, headers={
        "Idempotency-Key": api.new_key(), "Authorization": as_a_server_delivers_it})

    api.problem(response, 401)
    assert api.row_counts() == {"journal_entries": 0, "postings": 0, "idempotency_keys": 0}


def test_a_display_name_does_not_change_the_actor(api: Api) -> None:
    api.add_staff("wang.kuaiji", "admin")
    assert api.client.get("/api/me", headers=api.bearer("wang.kuaiji")).get_json()[
        "username"] == "wang.kuaiji"
    response = api.post_entry(DEPOSIT, actor="wang.kuaiji")

    assert response.status_code == 201
    assert response.get_json()["actor"] == "wang.kuaiji"


def test_get_unknown_entry_is_404(api: Api) -> None:
    body = api.problem(api.client.get("/api/entries/42"), 404, "/problems/entry-not-found")
    assert "42" in body["detail"]
    api.problem(api.client.get("/api/entries/0"), 404, "/problems/entry-not-found")


def test_out_of_range_sequence_number_is_404(api: Api) -> None:
    seq = 2**63
    api.problem(api.client.get(f"/api/entries/{seq}"), 404, "/problems/entry-not-found")
    api.problem(api.reverse(seq), 404, "/problems/entry-not-found")


# --- reversal ----------------------------------------------------------------------------------
def test_reversal_swaps_every_side_and_links_both_entries(api: Api) -> None:
    original = api.posted(DEPOSIT)
    response = api.reverse(original["seq"], {"effective_date": "2025-11-05",
                                             "memo": "录入错误 / wrong amount"})

    assert response.status_code == 201
    reversal = response.get_json()
    assert response.headers["Location"] == f"/api/entries/{reversal['seq']}"
    assert reversal["seq"] == original["seq"] + 1
    assert reversal["reverses"] == original["seq"]
    assert reversal["reversed_by"] is None
    assert reversal["effective_date"] == "2025-11-05"
    assert reversal["memo"] == "录入错误 / wrong amount"
    assert reversal["actor"] == ACTOR
    assert reversal["source"] == original["source"]
    assert reversal["prev_hash"] == original["hash"]
    assert [(p["account"], p["debit"], p["credit"]) for p in reversal["postings"]] == [
        (p["account"], p["credit"], p["debit"]) for p in original["postings"]]

    fetched = api.client.get(f"/api/entries/{original['seq']}").get_json()
    assert fetched["reversed_by"] == reversal["seq"]
    assert {k: v for k, v in fetched.items() if k != "reversed_by"} == {
        k: v for k, v in original.items() if k != "reversed_by"}  # otherwise unchanged
    assert api.client.get(response.headers["Location"]).get_json() == reversal

    tb = api.client.get("/api/entities/fund/trial-balance?as_of=2025-12-31").get_json()
    assert all(line["debit"] == line["credit"] == "0.00" for line in tb["lines"])
    balance = api.client.get("/api/entities/fund/accounts/1002/balance?as_of=2025-11-04")
    assert balance.get_json()["balances"][0]["balance"] == "350000.00"  # before the reversal


def test_reversal_defaults_memo_and_date(api: Api) -> None:
    original = api.posted(DEPOSIT)
    response = api.client.post(f"/api/entries/{original['seq']}/reversal",
                               headers=api.headers())  # no body at all
    assert response.status_code == 201
    reversal = response.get_json()

    assert reversal["memo"] == f"冲销 #1 / Reversal of #1: {DEPOSIT['memo']}"
    assert reversal["effective_date"] > "2025-11-03"  # today


def test_second_reversal_and_reversal_of_a_reversal_are_refused(api: Api) -> None:
    original = api.posted(DEPOSIT)
    reversal = api.reverse(original["seq"]).get_json()

    body = api.problem(api.reverse(original["seq"]), 409, "/problems/already-reversed")
    assert f"#{original['seq']}" in body["detail"]
    assert f"#{reversal['seq']}" in body["detail"]
    api.problem(api.reverse(reversal["seq"]), 409, "/problems/not-reversible")

    assert api.entry_count() == 2
    assert api.client.get(f"/api/entries/{reversal['seq']}").get_json()["reversed_by"] is None
    assert api.row_counts()["idempotency_keys"] == 2  # the refused requests kept no key


def test_reversal_of_an_unknown_entry_is_404(api: Api) -> None:
    api.posted(DEPOSIT)
    body = api.problem(api.reverse(99), 404, "/problems/entry-not-found")
    assert "#99" in body["detail"]
    assert api.entry_count() == 1


def test_reversal_with_bad_input_writes_nothing(api: Api, subtests: Any) -> None:
    original = api.posted(DEPOSIT)
    cases: dict[str, tuple[Any, str]] = {
        "empty memo": ({"memo": ""}, "memo"),
        "memo too long": ({"memo": "x" * 501}, "memo"),
        "bad date": ({"effective_date": "2025-13-01"}, "effective_date"),
        "unknown field": ({"colour": "red"}, "colour"),
        "memo not a string": ({"memo": 5}, "memo"),
    }
    for name, (body, field) in cases.items():
        with subtests.test(name):
            problem = api.problem(api.reverse(original["seq"], body), 422)
            assert field in problem["errors"]
    assert api.entry_count() == 1
    assert api.client.get(f"/api/entries/{original['seq']}").get_json()["reversed_by"] is None


def test_a_manual_entry_cannot_claim_a_business_record_as_its_source(api: Api) -> None:
    for kind in ("deposit", "transfer", "expense", "service", "voucher"):
        body = api.problem(api.post_entry({**DEPOSIT, "source": {"kind": kind, "id": "1"}}), 422)
        assert list(body["errors"]) == ["source"]
        assert "reserved" in body["detail"]
    assert api.entry_count() == 0
