"""A bridging service's life through the API: requested by one fund manager, approved by
another within the member's cap, then ended; transitions outside TRANSITIONS are refused."""

from __future__ import annotations

from typing import Any

from ledger.core.mutual_aid import TRANSITIONS, ServiceStatus

from .helpers import CAP, Desk, snapshot


def exposure_of(cap: str, outstanding: str, available: str, advanced: str = "0.00"
                ) -> dict[str, str]:
    return {"cap": cap, "outstanding": outstanding, "available": available,
            "advanced": advanced}


def without_id(exposure: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in exposure.items() if k != "member_id"}


def test_request_approve_within_the_cap_and_free_it_again(desk: Desk) -> None:
    member = desk.member("350000.00")
    assert desk.get(f"/api/members/{member}")["entitlement"]["cap"] == CAP
    assert without_id(desk.exposure(member)) == exposure_of(CAP, "0.00", CAP)

    response = desk.post_request(member, "3000000.00")
    first = desk.ok(response, 201)
    assert response.headers["Location"].endswith(f"/api/services/{first['id']}")
    assert first == {"id": first["id"], "member_id": member, "bank": "嘉兴银行",
                     "loan_amount": "3000000.00", "bridge_from": "2025-11-10",
                     "bridge_to": "2025-12-10", "status": "requested",
                     "requested_by": desk.user_id("fm1"), "approved_by": None,
                     "advanced": False, "ended_on": None}
    # a requested service holds nothing of the cap yet
    assert without_id(desk.exposure(member)) == exposure_of(CAP, "0.00", CAP)

    # maker-checker: the requester cannot approve (nor reject) it
    desk.refused(lambda: desk.approve(first["id"], actor="fm1"), 403, "/problems/self-approval")
    desk.refused(lambda: desk.reject(first["id"], actor="fm1"), 403, "/problems/self-approval")
    assert desk.service(first["id"])["status"] == "requested"

    approved = desk.ok(desk.approve(first["id"], actor="fm2"))
    assert (approved["status"], approved["approved_by"]) == ("approved", desk.user_id("fm2"))
    assert desk.service(first["id"]) == approved
    assert without_id(desk.exposure(member)) == exposure_of(CAP, "3000000.00", "2000000.00")

    # one fen above what is left cannot be approved; exactly what is left can
    over = desk.request(member, "2000000.01")
    exact = desk.request(member, "2000000.00")
    problem = desk.refused(lambda: desk.approve(over["id"]), 409, "/problems/over-cap")
    assert "2000000.00" in problem["detail"]
    assert desk.service(over["id"])["status"] == "requested"
    desk.ok(desk.approve(exact["id"], actor="admin1"))
    assert without_id(desk.exposure(member)) == exposure_of(CAP, "5000000.00", "0.00")

    # a rejected service never holds the cap
    rejected = desk.ok(desk.reject(over["id"]))
    assert (rejected["status"], rejected["approved_by"]) == ("rejected", None)
    assert rejected["ended_on"] is not None
    assert without_id(desk.exposure(member)) == exposure_of(CAP, "5000000.00", "0.00")

    # a repaid service frees its part of the cap (approved -> repaid, nothing advanced)
    third = desk.request(member, "3000000.00")
    desk.refused(lambda: desk.approve(third["id"]), 409, "/problems/over-cap")
    entries = len(desk.entries())
    repaid = desk.ok(desk.end(first["id"], "repaid", on="2025-12-10"))
    assert (repaid["status"], repaid["ended_on"], repaid["advanced"]) == (
        "repaid", "2025-12-10", False)
    assert len(desk.entries()) == entries  # nothing advanced, nothing to post
    assert without_id(desk.exposure(member)) == exposure_of(CAP, "2000000.00", "3000000.00")
    desk.ok(desk.approve(third["id"]))
    assert without_id(desk.exposure(member)) == exposure_of(CAP, "5000000.00", "0.00")

    listed = desk.get("/api/services", member_id=member)
    assert [(s["id"], s["status"]) for s in listed] == [
        (first["id"], "repaid"), (over["id"], "rejected"), (exact["id"], "approved"),
        (third["id"], "approved")]


def test_caps_are_per_member_and_come_from_deposits(desk: Desk) -> None:
    one, two, none = desk.member("350000.00"), desk.member("35000.00"), desk.member(None)
    desk.approved(one, "5000000.00")
    assert without_id(desk.exposure(two)) == exposure_of("500000.00", "0.00", "500000.00")
    desk.approved(two, "500000.00")
    for member in (two, none):
        late = desk.request(member, "0.01")
        desk.refused(lambda late=late: desk.approve(late["id"]), 409, "/problems/over-cap")
    assert without_id(desk.exposure(one)) == exposure_of(CAP, CAP, "0.00")
    assert without_id(desk.exposure(none)) == exposure_of("0.00", "0.00", "0.00")


def test_a_default_does_not_restore_the_cap(desk: Desk) -> None:
    member = desk.member("350000.00")
    service = desk.approved(member, CAP)
    desk.ok(desk.activate(service["id"], advance=False))
    desk.ok(desk.end(service["id"], "defaulted"))
    # the member never repaid: its 5,000,000.00 stays drawn, no new service fits
    assert without_id(desk.exposure(member)) == exposure_of(CAP, CAP, "0.00")
    again = desk.request(member, CAP)
    desk.refused(lambda: desk.approve(again["id"]), 409, "/problems/over-cap")


#: The API call that asks for each new status.
def _ask(desk: Desk, service_id: int, new: ServiceStatus) -> Any:
    if new is ServiceStatus.APPROVED:
        return desk.approve(service_id)
    if new is ServiceStatus.REJECTED:
        return desk.reject(service_id)
    if new is ServiceStatus.ACTIVE:
        return desk.activate(service_id, advance=False)
    return desk.end(service_id, new.value)


def test_every_transition_outside_the_table_is_refused(desk: Desk) -> None:
    member = desk.member("350000.00")
    by_status: dict[ServiceStatus, int] = {}
    by_status[ServiceStatus.REQUESTED] = desk.request(member, "100000.00")["id"]
    by_status[ServiceStatus.APPROVED] = desk.approved(member, "100000.00")["id"]
    active = desk.approved(member, "100000.00")["id"]
    desk.ok(desk.activate(active, advance=False))
    by_status[ServiceStatus.ACTIVE] = active
    by_status[ServiceStatus.REPAID] = desk.approved(member, "100000.00")["id"]
    desk.ok(desk.end(by_status[ServiceStatus.REPAID], "repaid"))
    defaulted = desk.approved(member, "100000.00")["id"]
    desk.ok(desk.activate(defaulted, advance=False))
    desk.ok(desk.end(defaulted, "defaulted"))
    by_status[ServiceStatus.DEFAULTED] = defaulted
    by_status[ServiceStatus.REJECTED] = desk.request(member, "100000.00")["id"]
    desk.ok(desk.reject(by_status[ServiceStatus.REJECTED]))
    assert {desk.service(i)["status"] for i in by_status.values()} == {
        s.value for s in by_status}

    refused = 0
    for current, service_id in by_status.items():
        for new in ServiceStatus:
            if new is ServiceStatus.REQUESTED or new in TRANSITIONS.get(current, ()):
                continue
            before = snapshot(desk.engine)
            body = desk.api.problem(_ask(desk, service_id, new), 422)
            assert body["type"] == "/problems/invalid-input", (current, new)
            assert body["errors"] == {"status": [body["detail"]]}
            assert snapshot(desk.engine) == before, (current, new)
            assert desk.service(service_id)["status"] == current.value
            refused += 1
    # requested: activate, repay, default; approved: approve, reject, default; active:
    # approve, reject, activate; and all five from each of the three ended statuses
    assert refused == 3 + 3 + 3 + 3 * 5


def test_bad_requests_and_unknown_ids_write_nothing(desk: Desk) -> None:
    member = desk.member("350000.00")
    good = desk.service_body(member, "1000.00")
    bad: list[tuple[dict[str, Any], str]] = [
        ({**good, "loan_amount": 1000.0}, "loan_amount"),
        ({**good, "loan_amount": 1000}, "loan_amount"),
        ({**good, "loan_amount": "1000.001"}, "loan_amount"),
        ({**good, "loan_amount": "0.00"}, "loan_amount"),
        ({**good, "loan_amount": "-1.00"}, "loan_amount"),
        ({**good, "bank": ""}, "bank"),
        ({**good, "bank": "   "}, "bank"),
        ({**good, "bridge_to": "2025-11-09"}, "bridge_to"),
        ({**good, "member_id": 0}, "member_id"),
        ({k: v for k, v in good.items() if k != "bank"}, "bank"),
    ]
    for body, field in bad:
        problem = desk.refused(lambda body=body: desk.post("/api/services", body), 422)
        assert field in problem["errors"], (body, problem)

    # /end takes only repaid or defaulted
    service = desk.approved(member, "100000.00")
    for status in ("approved", "rejected", "active", "requested", "REPAID", ""):
        body = desk.refused(lambda status=status: desk.end(service["id"], status), 422)
        assert "status" in body["errors"], body
    # /activate needs advance (a boolean) and on (a date)
    for body, field in (({"on": "2025-11-10"}, "advance"),
                        ({"advance": "maybe", "on": "2025-11-10"}, "advance"),
                        ({"advance": True}, "on"),
                        ({"advance": True, "on": "10/11/2025"}, "on")):
        problem = desk.refused(
            lambda body=body: desk.post(f"/api/services/{service['id']}/activate", body), 422)
        assert field in problem["errors"], problem

    desk.refused(lambda: desk.approve(999), 404, "/problems/service-not-found")
    desk.refused(lambda: desk.activate(999, advance=True), 404, "/problems/service-not-found")
    desk.refused(lambda: desk.end(999, "repaid"), 404, "/problems/service-not-found")
    desk.refused(lambda: desk.post_request(999, "1000.00"), 404, "/problems/member-not-found")
    reader = desk.api.bearer("aud1")
    desk.api.problem(desk.client.get("/api/services/999", headers=reader),
                     404, "/problems/service-not-found")
    desk.api.problem(desk.client.get("/api/members/999/exposure", headers=reader),
                     404, "/problems/member-not-found")


def test_who_may_do_what(desk: Desk) -> None:
    member = desk.member("350000.00")
    service = desk.request(member, "1000.00")
    for reader in ("aud1", "board1"):  # staff read ...
        assert desk.get(f"/api/services/{service['id']}", actor=reader)["status"] == "requested"
        assert desk.get(f"/api/members/{member}/exposure", actor=reader)["cap"] == CAP
        desk.get("/api/fund/position", actor=reader)
        desk.get("/api/expenses", actor=reader)
    for outsider in ("aud1", "board1"):  # ... but only fund managers and admins write
        desk.refused(lambda o=outsider: desk.post_request(member, "1000.00", actor=o), 403)
        desk.refused(lambda o=outsider: desk.approve(service["id"], actor=o), 403)
        desk.refused(lambda o=outsider: desk.post_expense(actor=o), 403)
    anonymous = desk.client.application.test_client()
    desk.refused(lambda: anonymous.post(f"/api/services/{service['id']}/approve",
                                        headers={"Idempotency-Key": "k"}), 401)
    # every POST needs an Idempotency-Key
    desk.refused(lambda: desk.client.post(f"/api/services/{service['id']}/approve",
                                          headers=desk.api.bearer("fm2")), 400)
    # multi1 holds fund_manager among its roles: it may approve what fm1 requested
    first = desk.post(f"/api/services/{service['id']}/approve", actor="multi1", key="once")
    assert desk.ok(first)["approved_by"] == desk.user_id("multi1")
    # a retried approval replays the first answer and writes nothing
    before = snapshot(desk.engine)
    again = desk.post(f"/api/services/{service['id']}/approve", actor="multi1", key="once")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    assert again.get_json() == first.get_json()
    assert snapshot(desk.engine) == before
