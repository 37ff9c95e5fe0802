"""Operating expenses through the API: each posts Dr <expense account> / Cr 1002 and never
spends more than the fund's operating money (operating income less expenses) or its bank."""

from __future__ import annotations

from typing import Any

from ledger.core.mutual_aid import EXPENSE_ACCOUNTS

from .helpers import OPERATING, Desk


def test_an_expense_is_posted_and_spends_operating_money(desk: Desk) -> None:
    assert desk.position() == {"operating_funds": "0.00", "bank": "0.00"}
    desk.member("350000.00")
    assert desk.position() == {"operating_funds": OPERATING, "bank": "350000.00"}

    expense = desk.ok(desk.post_expense("1000.00", "administration"), 201)
    assert expense == {"id": 1, "category": "administration", "amount": "1000.00",
                       "spent_on": "2025-11-05", "payee": "嘉兴市秀洲印刷厂",
                       "memo": "会员手册印刷 / member handbooks",
                       "entry_seq": expense["entry_seq"], "created_by": "fm1"}
    [entry] = desk.entries(account="5201")
    assert entry["seq"] == expense["entry_seq"]
    assert desk.lines(entry) == [("5201", "1000.00", None), ("1002", None, "1000.00")]
    assert (entry["entity"], entry["effective_date"], entry["source"], entry["actor"]) == (
        "fund", "2025-11-05", {"kind": "expense", "id": "1"}, "fm1")
    assert entry["memo"] == "嘉兴市秀洲印刷厂: 会员手册印刷 / member handbooks"
    assert desk.position() == {"operating_funds": "104000.00", "bank": "349000.00"}
    assert desk.trial_balance() == {
        "1002": ("349000.00", "0.00"), "420101": ("0.00", "105000.00"),
        "2209": ("0.00", "245000.00"), "5201": ("1000.00", "0.00")}
    assert desk.get("/api/expenses") == [expense]


def test_no_more_than_the_operating_money_left(desk: Desk) -> None:
    desk.member("350000.00")
    desk.ok(desk.post_expense("1000.00"), 201)
    problem = desk.refused(lambda: desk.post_expense("104000.01"), 409,
                           "/problems/insufficient-funds")
    assert "104000.00" in problem["detail"]
    assert problem["errors"] == {"amount": [problem["detail"]]}
    desk.ok(desk.post_expense("104000.00", "programme"), 201)
    assert desk.position() == {"operating_funds": "0.00", "bank": "245000.00"}
    # the 245,000.00 still in the bank is owed to the foundation: not to be spent
    desk.refused(lambda: desk.post_expense("0.01", "other"), 409, "/problems/insufficient-funds")
    assert [e["amount"] for e in desk.get("/api/expenses")] == ["1000.00", "104000.00"]


def test_each_category_is_charged_to_its_account(desk: Desk) -> None:
    desk.member("350000.00")
    assert EXPENSE_ACCOUNTS == {"administration": "5201", "programme": "5101", "other": "5401"}
    amounts = {"administration": "1200.50", "programme": "3000.00", "other": "0.01"}
    for category, account in EXPENSE_ACCOUNTS.items():
        expense = desk.ok(desk.post_expense(amounts[category], category, actor="admin1"), 201)
        assert (expense["category"], expense["created_by"]) == (category, "admin1")
        [entry] = desk.entries(account=account)
        assert entry["seq"] == expense["entry_seq"]
        assert desk.lines(entry) == [(account, amounts[category], None),
                                     ("1002", None, amounts[category])]
    tb = desk.trial_balance()
    assert {a: tb[a] for a in ("5201", "5101", "5401")} == {
        "5201": ("1200.50", "0.00"), "5101": ("3000.00", "0.00"), "5401": ("0.01", "0.00")}
    assert desk.position() == {"operating_funds": "100799.49", "bank": "345799.49"}


def test_bad_expenses_are_problems_that_write_nothing(desk: Desk) -> None:
    desk.member("350000.00")
    good = desk.expense_body()
    bad: list[tuple[dict[str, Any], str]] = [
        ({**good, "amount": 1000.0}, "amount"),
        ({**good, "amount": 1000}, "amount"),
        ({**good, "amount": "1000.001"}, "amount"),
        ({**good, "amount": "0.00"}, "amount"),
        ({**good, "amount": "0"}, "amount"),
        ({**good, "amount": "-5.00"}, "amount"),
        ({**good, "amount": "1e3"}, "amount"),
        ({**good, "amount": "NaN"}, "amount"),
        ({**good, "amount": ""}, "amount"),
        ({**good, "category": "travel"}, "category"),
        ({**good, "category": "Administration"}, "category"),
        ({**good, "payee": ""}, "payee"),
        ({**good, "payee": "   "}, "payee"),
        ({**good, "payee": "x" * 201}, "payee"),
        ({**good, "memo": ""}, "memo"),
        ({**good, "spent_on": "2025-02-30"}, "spent_on"),
        ({k: v for k, v in good.items() if k != "payee"}, "payee"),
    ]
    for body, field in bad:
        problem = desk.refused(lambda body=body: desk.post("/api/expenses", body), 422)
        assert field in problem["errors"], (body, problem)
    for raw, status in ((b"", 422), (b"not json", 400), (b"{", 400), (b"[]", 422),
                        (b"null", 422)):
        desk.refused(lambda raw=raw: desk.client.post(
            "/api/expenses", data=raw, content_type="application/json",
            headers={"Idempotency-Key": f"raw-{raw!r}", **desk.api.bearer("fm1")}), status)
    desk.refused(lambda: desk.client.post("/api/expenses", json=good,
                                          headers=desk.api.bearer("fm1")), 400)
    assert desk.get("/api/expenses") == []
    assert desk.position() == {"operating_funds": OPERATING, "bank": "350000.00"}

    # a retried request is recorded once; the same key for another request is refused
    first = desk.post("/api/expenses", desk.expense_body("2500.00"), key="exp-1")
    again = desk.post("/api/expenses", desk.expense_body("2500.00"), key="exp-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    desk.refused(lambda: desk.post("/api/expenses", desk.expense_body("2500.01"), key="exp-1"),
                 422, "/problems/idempotency-key-reused")
    assert len(desk.get("/api/expenses")) == 1
    assert desk.position()["operating_funds"] == "102500.00"


def test_an_expense_cannot_spend_money_before_it_arrived(desk: Desk) -> None:
    desk.member("350000.00")  # received on 2025-11-03
    desk.refused(lambda: desk.post_expense("1000.00", spent_on="2025-10-01"), 409,
                 "/problems/insufficient-funds")
    assert "1002" not in desk.trial_balance("2025-10-31")
