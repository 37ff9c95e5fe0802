"""Advances of the fund's money for a bridge: activating with an advance posts Dr 1122 / Cr 1002,
repaying posts it back, a default writes it off to 5401; without an advance nothing is posted."""

from __future__ import annotations

from .helpers import CAP, Desk


def test_advance_repay_and_write_off(desk: Desk) -> None:
    member = desk.member("350000.00")
    before = desk.trial_balance()
    assert before == {"1002": ("350000.00", "0.00"), "420101": ("0.00", "105000.00"),
                      "2209": ("0.00", "245000.00")}

    # --- an advance: cash out, a receivable from the member --------------------------------
    first = desk.approved(member, "200000.00")
    activated = desk.ok(desk.activate(first["id"], advance=True, on="2025-11-10"))
    assert (activated["status"], activated["advanced"]) == ("active", True)
    [advance] = desk.entries(account="1122")
    assert desk.lines(advance) == [("1122", "200000.00", None), ("1002", None, "200000.00")]
    assert (advance["entity"], advance["effective_date"], advance["source"], advance["actor"]) == (
        "fund", "2025-11-10", {"kind": "service", "id": str(first["id"])}, "fm1")
    assert desk.trial_balance() == {
        "1002": ("150000.00", "0.00"), "1122": ("200000.00", "0.00"),
        "420101": ("0.00", "105000.00"), "2209": ("0.00", "245000.00")}
    assert desk.exposure(member) == {"member_id": member, "cap": CAP,
                                     "outstanding": "200000.00", "available": "4800000.00",
                                     "advanced": "200000.00"}
    # an advance is not an expense: the operating money stays, the bank falls
    assert desk.position() == {"operating_funds": "105000.00", "bank": "150000.00"}

    # --- the bank cannot pay a second advance of 200,000.00 --------------------------------
    second = desk.approved(member, "200000.00")
    problem = desk.refused(lambda: desk.activate(second["id"], advance=True), 409,
                           "/problems/insufficient-funds")
    assert "150000.00" in problem["detail"]
    assert desk.service(second["id"])["status"] == "approved"
    # the same service without an advance: active, nothing posted
    entries = desk.entries()
    without = desk.ok(desk.activate(second["id"], advance=False))
    assert (without["status"], without["advanced"]) == ("active", False)
    assert desk.entries() == entries
    assert desk.exposure(member)["advanced"] == "200000.00"
    assert desk.exposure(member)["outstanding"] == "400000.00"

    # --- repaid: the advance comes back, 1122 is zero again --------------------------------
    repaid = desk.ok(desk.end(first["id"], "repaid", on="2025-12-01", actor="fm2"))
    assert (repaid["status"], repaid["ended_on"], repaid["advanced"]) == (
        "repaid", "2025-12-01", True)
    advance_again, repayment = desk.entries(account="1122")
    assert advance_again == advance
    assert desk.lines(repayment) == [("1002", "200000.00", None), ("1122", None, "200000.00")]
    assert (repayment["effective_date"], repayment["source"], repayment["actor"]) == (
        "2025-12-01", {"kind": "service", "id": str(first["id"])}, "fm2")
    assert desk.trial_balance() == before
    assert desk.trial_balance("2025-11-30")["1122"] == ("200000.00", "0.00")
    assert desk.exposure(member) == {"member_id": member, "cap": CAP,
                                     "outstanding": "200000.00", "available": "4800000.00",
                                     "advanced": "0.00"}

    # --- defaulted: the advance is written off as an other expense -------------------------
    third = desk.approved(member, "50000.00")
    desk.ok(desk.activate(third["id"], advance=True, on="2025-12-02"))
    assert desk.exposure(member)["advanced"] == "50000.00"
    defaulted = desk.ok(desk.end(third["id"], "defaulted", on="2025-12-20"))
    assert (defaulted["status"], defaulted["ended_on"]) == ("defaulted", "2025-12-20")
    write_off = desk.entries(account="1122")[-1]
    assert desk.lines(write_off) == [("5401", "50000.00", None), ("1122", None, "50000.00")]
    assert write_off["source"] == {"kind": "service", "id": str(third["id"])}
    assert desk.entries(account="5401") == [write_off]
    assert desk.trial_balance() == {
        "1002": ("300000.00", "0.00"), "420101": ("0.00", "105000.00"),
        "2209": ("0.00", "245000.00"), "5401": ("50000.00", "0.00")}
    # nothing of the fund's money is out any more (whether a default keeps holding the cap
    # is test_lifecycle.py's test_a_default_does_not_restore_the_cap)
    assert desk.exposure(member)["advanced"] == "0.00"
    # the write-off is spent operating money
    assert desk.position() == {"operating_funds": "55000.00", "bank": "300000.00"}

    # --- an active service without an advance ends without an entry ------------------------
    entries = desk.entries()
    desk.ok(desk.end(second["id"], "repaid"))
    assert desk.entries() == entries
    assert desk.exposure(member)["advanced"] == "0.00"

    services = {s["id"]: s for s in desk.get("/api/services")}
    assert {i: (s["status"], s["advanced"]) for i, s in services.items()} == {
        first["id"]: ("repaid", True), second["id"]: ("repaid", False),
        third["id"]: ("defaulted", True)}


def test_advances_and_expenses_stop_at_the_bank_balance(desk: Desk) -> None:
    member = desk.member("350000.00")
    whole = desk.approved(member, "350000.01")
    desk.refused(lambda: desk.activate(whole["id"], advance=True), 409,
                 "/problems/insufficient-funds")
    big = desk.approved(member, "300000.00")
    desk.ok(desk.activate(big["id"], advance=True))
    assert desk.position() == {"operating_funds": "105000.00", "bank": "50000.00"}

    # the operating money would allow 105,000.00 but the bank holds only 50,000.00
    problem = desk.refused(lambda: desk.post_expense("50000.01"), 409,
                           "/problems/insufficient-funds")
    assert "50000.00" in problem["detail"]
    over, exact = desk.approved(member, "50000.01"), desk.approved(member, "50000.00")
    desk.refused(lambda: desk.activate(over["id"], advance=True), 409,
                 "/problems/insufficient-funds")
    desk.ok(desk.activate(exact["id"], advance=True))
    assert desk.position() == {"operating_funds": "105000.00", "bank": "0.00"}
    assert desk.exposure(member)["advanced"] == "350000.00"
    desk.refused(lambda: desk.post_expense("0.01"), 409, "/problems/insufficient-funds")
    # money back in the bank can be spent again
    desk.ok(desk.end(big["id"], "repaid", on="2025-12-10"))
    desk.ok(desk.post_expense("105000.00", spent_on="2025-12-15"), 201)
    assert desk.position() == {"operating_funds": "0.00", "bank": "195000.00"}


def test_an_advance_cannot_pay_out_money_before_it_arrived(desk: Desk) -> None:
    member = desk.member("350000.00")  # received on 2025-11-03
    service = desk.approved(member, "200000.00")
    desk.refused(lambda: desk.activate(service["id"], advance=True, on="2025-10-01"), 409,
                 "/problems/insufficient-funds")
    assert "1002" not in desk.trial_balance("2025-10-31")
