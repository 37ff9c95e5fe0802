"""A venture-philanthropy round from income to close, through the HTTP API only.

The foundation receives 500,000.00 of welfare-lottery funds (unrestricted) and 50,000.00 from
an enterprise restricted to the round; the round (budget 300,000.00, three criteria, three
board reviewers, quorum 2) opens and reserves its budget; three social organisations apply;
the board declares (one recusal), scores, ranks, votes and resolves: two grants pass (one
only at the second resolution, the first lacking a quorum), one is rejected by the majority.
Tranches are paid, the final one only after a passed evaluation; the other grant ends early
and part of its money is clawed back; the round closes. The foundation's funds and its trial
balance are checked at each step, to the fen.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from ..http.helpers import Api
from .helpers import (
    CRITERIA,
    FEASIBILITY,
    NEED,
    PARTICIPATION,
    PDF,
    PNG,
    REVIEWERS,
    Programme,
    multipart,
)

LOTTERY, GIVEN_FOR_ROUND = "500000.00", "50000.00"


def funds(balance: str, committed: str, reserved: str, restricted: str, available: str
          ) -> dict[str, str]:
    return {"balance": balance, "committed": committed, "reserved": reserved,
            "restricted": restricted, "available": available}


def committed_books(bank: str, payable: str, costs: str) -> dict[str, tuple[str, str]]:
    """The foundation's trial balance once grants are committed (zero lines left out): the
    income, the restriction released by the first grant, and the bank, payable and costs."""
    found = {"1002": (bank, "0.00"), "220901": ("0.00", payable),
             "3101": ("0.00", GIVEN_FOR_ROUND), "3102": (GIVEN_FOR_ROUND, "0.00"),
             "410102": ("0.00", GIVEN_FOR_ROUND), "450101": ("0.00", LOTTERY),
             "5101": (costs, "0.00")}
    return {account: line for account, line in found.items() if line != ("0.00", "0.00")}


def test_a_grant_round_from_income_to_close(programme: Programme) -> None:
    p = programme
    # --- income -------------------------------------------------------------------------------
    assert p.funds() == funds("0.00", "0.00", "0.00", "0.00", "0.00")
    response = p.post("/api/incomes", {
        "source": "welfare_lottery", "donor": "嘉兴市福利彩票发行中心", "amount": LOTTERY,
        "received_on": "2026-01-05", "reference": "FC-2026-001"})
    lottery = p.ok(response, 201)
    assert response.headers["Location"].endswith(f"/api/incomes/{lottery['id']}")
    assert lottery == {
        "id": lottery["id"], "source": "welfare_lottery", "donor": "嘉兴市福利彩票发行中心",
        "anonymous": False, "public_donor": "嘉兴市福利彩票发行中心", "amount": LOTTERY,
        "received_on": "2026-01-05", "restriction": "none", "purpose": None,
        "round_id": None, "account": "450101", "reference": "FC-2026-001",
        "entry_seq": lottery["entry_seq"], "released": "0.00", "restricted_left": "0.00",
        "created_by": "fm1"}
    assert p.funds() == funds(LOTTERY, "0.00", "0.00", "0.00", LOTTERY)
    assert p.books() == {"1002": (LOTTERY, "0.00"), "450101": ("0.00", LOTTERY)}

    # --- the round, in draft: nothing reserved ------------------------------------------------
    response = p.post("/api/rounds", {
        "title": "2026 年度新塍社区公益创投", "description": "居民提需求，社区设计项目。",
        "eligibility": "在秀洲区登记或备案的社会组织", "budget": "300000.00",
        "opens_on": "2026-02-01", "closes_on": "2026-03-31", "quorum": 2,
        "criteria": CRITERIA, "reviewers": list(REVIEWERS)})
    draft = p.ok(response, 201)
    round_id = draft["id"]
    assert response.headers["Location"].endswith(f"/api/rounds/{round_id}")
    assert draft == {
        "id": round_id, "title": "2026 年度新塍社区公益创投",
        "description": "居民提需求，社区设计项目。", "eligibility": "在秀洲区登记或备案的社会组织",
        "budget": "300000.00", "opens_on": "2026-02-01", "closes_on": "2026-03-31",
        "quorum": 2, "majority": "simple", "assembly_required": False, "status": "draft",
        "criteria": CRITERIA, "reviewers": ["board1", "board2", "board3"],
        "committed": "0.00", "reserved": "0.00"}
    assert p.funds() == funds(LOTTERY, "0.00", "0.00", "0.00", LOTTERY)

    # money given for the round is restricted (限定性) and held for it
    given = p.income(GIVEN_FOR_ROUND, source="enterprise", received_on="2026-01-10",
                     donor="嘉兴永耀纺织有限公司", restriction="round", round_id=round_id)
    assert (given["account"], given["restricted_left"]) == ("410102", GIVEN_FOR_ROUND)
    assert p.funds() == funds("550000.00", "0.00", "0.00", GIVEN_FOR_ROUND, LOTTERY)
    assert p.books() == {"1002": ("550000.00", "0.00"), "410102": ("0.00", GIVEN_FOR_ROUND),
                         "450101": ("0.00", LOTTERY)}
    assert [i["id"] for i in p.get("/api/incomes")] == [lottery["id"], given["id"]]

    # --- open: the budget is reserved, the restricted money counted once within it -----------
    opened = p.move(round_id, "open")
    assert (opened["status"], opened["reserved"]) == ("open", "300000.00")
    assert p.funds() == funds("550000.00", "0.00", "300000.00", "0.00", "250000.00")
    assert p.books()["1002"] == ("550000.00", "0.00")  # a reservation is not in the books

    # --- grantees and applications ------------------------------------------------------------
    windows, spaces, rescue = (p.grantee(n) for n in (1, 2, 3))
    assert [g["id"] for g in p.get("/api/grantees")] == [windows, spaces, rescue]
    response = p.post("/api/applications", {
        "round_id": round_id, "grantee_id": windows, "title": "楼道窗户修缮 / hallway windows",
        "need": "俞范东路小区楼道窗户关不上。", "requested": "120000.00",
        "budget": [{"item": "材料 / materials", "amount": "80000.00"},
                   {"item": "人工 / labour", "amount": "40000.00"}],
        "tranches": [{"number": 1, "due_on": "2026-04-01", "amount": "48000.00"},
                     {"number": 2, "due_on": "2026-07-01", "amount": "48000.00"},
                     {"number": 3, "due_on": "2026-12-01", "amount": "24000.00"}],
        "submitted_on": "2026-02-15"})
    a1 = p.ok(response, 201)
    assert response.headers["Location"].endswith(f"/api/applications/{a1['id']}")
    assert a1 == {
        "id": a1["id"], "round_id": round_id, "grantee_id": windows,
        "grantee": "秀洲区新塍镇社会工作服务中心 1", "title": "楼道窗户修缮 / hallway windows",
        "need": "俞范东路小区楼道窗户关不上。", "requested": "120000.00", "status": "submitted",
        "submitted_on": "2026-02-15",
        "budget": [{"item": "材料 / materials", "amount": "80000.00"},
                   {"item": "人工 / labour", "amount": "40000.00"}],
        "tranches": [{"number": 1, "due_on": "2026-04-01", "amount": "48000.00"},
                     {"number": 2, "due_on": "2026-07-01", "amount": "48000.00"},
                     {"number": 3, "due_on": "2026-12-01", "amount": "24000.00"}],
        "attachments": []}
    a2 = p.apply(round_id, spaces, "80000.00", [("场地改造", "50000.00"), ("活动", "30000.00")],
                 [("2026-04-01", "40000.00"), ("2026-10-01", "40000.00")])
    a3 = p.apply(round_id, rescue, "60000.00", [("救援装备", "60000.00")],
                 [("2026-04-01", "30000.00"), ("2026-09-01", "30000.00")])
    assert [a["id"] for a in p.get("/api/applications", round_id=round_id)] == [
        a1["id"], a2["id"], a3["id"]]

    # a supporting document, uploaded as multipart/form-data and downloaded as it was
    response = p.upload(a1["id"], PDF, "预算说明 budget.pdf")
    attached = p.ok(response, 201)
    assert response.headers["Location"].endswith(f"/api/attachments/{attached['id']}")
    assert attached == {"id": attached["id"], "application_id": a1["id"],
                        "filename": "预算说明 budget.pdf", "content_type": "application/pdf",
                        "size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest(),
                        "uploaded_by": "fm1"}
    assert p.get(f"/api/applications/{a1['id']}")["attachments"] == [attached]
    download = p.client.get(f"/api/attachments/{attached['id']}",
                            headers=p.api.bearer("board1"))
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert f"filename*=UTF-8''{quote('预算说明 budget.pdf')}" in disposition

    # --- review: the call closes; declarations (one recusal) and scores -----------------------
    assert p.move(round_id, "review")["status"] == "review"
    for application in (a1, a2, a3):
        for reviewer in REVIEWERS:
            if (application, reviewer) == (a1, "board3"):
                response = p.declare(a1["id"], "board3", True, "理事在申请机构兼职 / serves it")
                assert p.ok(response, 201)["conflicted"] is True
                assert response.headers["Location"].endswith(
                    f"/api/applications/{a1['id']}/review")
            else:
                p.ok(p.declare(application["id"], reviewer), 201)
    # weighted: (need x 40 + feasibility x 35 + participation x 25) / 100
    scored = p.ok(p.score(a1["id"], "board1", 80, 70, 60), 201)  # 71.50
    assert scored == {"reviewer": "board1", "weighted": "71.50",
                      "scores": {NEED: 80, FEASIBILITY: 70, PARTICIPATION: 60}}
    p.ok(p.score(a1["id"], "board2", 75, 80, 85), 201)  # 79.25
    p.ok(p.score(a2["id"], "board1", 70, 90, 60), 201)  # 74.50
    p.ok(p.score(a2["id"], "board2", 80, 70, 80), 201)  # 76.50
    p.ok(p.score(a2["id"], "board3", 95, 85, 90), 201)  # 90.25
    p.ok(p.score(a3["id"], "board1", 50, 60, 40), 201)  # 51.00
    p.ok(p.score(a3["id"], "board2", 55, 45, 65), 201)  # 54.00
    ranking = p.get(f"/api/rounds/{round_id}/ranking")
    assert [(r["rank"], r["application_id"], r["score"], r["scored_by"]) for r in ranking] == [
        (1, a2["id"], "80.42", 3),  # 241.25 / 3
        (2, a1["id"], "75.38", 2),  # 150.75 / 2, half up
        (3, a3["id"], "52.50", 2)]
    assert ranking[0]["requested"] == "80000.00"

    # --- resolutions: no quorum first, then a pass; a pass by an admin; a rejection -----------
    p.ok(p.vote(a1["id"], "board1", "for"), 201)
    response = p.resolve(a1["id"], "board1")
    no_quorum = p.ok(response, 201)
    assert response.headers["Location"].endswith(f"/api/applications/{a1['id']}/review")
    assert {k: no_quorum[k] for k in ("votes_for", "against", "abstain", "recused", "quorum",
                                      "passed", "reason", "grant_id")} == {
        "votes_for": 1, "against": 0, "abstain": 0, "recused": 1, "quorum": 2,
        "passed": False, "reason": "no_quorum", "grant_id": None}
    assert p.get(f"/api/applications/{a1['id']}")["status"] == "submitted"  # undecided
    assert p.funds() == funds("550000.00", "0.00", "300000.00", "0.00", "250000.00")

    voted = p.ok(p.vote(a1["id"], "board2", "for"), 201)
    assert voted == {"application_id": a1["id"], "reviewer": "board2", "choice": "for"}
    passed = p.ok(p.resolve(a1["id"], "board2"), 201)
    assert (passed["passed"], passed["reason"], passed["votes_for"], passed["recused"]) == (
        True, "passed", 2, 1)
    g1 = passed["grant_id"]
    assert p.get(f"/api/applications/{a1['id']}")["status"] == "approved"
    # committed: the expense and the payable are posted, out of the round's reservation; the
    # money given for the round is spent on it, so its restriction is released
    assert p.funds() == funds("550000.00", "120000.00", "180000.00", "0.00", "250000.00")
    assert p.books() == committed_books("550000.00", "120000.00", "120000.00")
    released = p.get(f"/api/incomes/{given['id']}")
    assert (released["released"], released["restricted_left"]) == (GIVEN_FOR_ROUND, "0.00")
    assert [(r["amount"], r["released_on"], r["grant_id"]) for r in released["releases"]] == [
        (GIVEN_FOR_ROUND, "2026-04-05", g1)]

    for reviewer, choice in (("board1", "for"), ("board2", "for"), ("board3", "against")):
        p.ok(p.vote(a2["id"], reviewer, choice), 201)
    by_admin = p.ok(p.resolve(a2["id"], "admin1"), 201)
    assert (by_admin["passed"], by_admin["decided_by"], by_admin["votes_for"],
            by_admin["against"]) == (True, "admin1", 2, 1)
    g2 = by_admin["grant_id"]

    for reviewer, choice in (("board1", "against"), ("board2", "against"), ("board3", "for")):
        p.ok(p.vote(a3["id"], reviewer, choice), 201)
    rejected = p.ok(p.resolve(a3["id"], "board3"), 201)
    assert (rejected["passed"], rejected["reason"], rejected["grant_id"]) == (
        False, "majority_against", None)
    assert p.get(f"/api/applications/{a3['id']}")["status"] == "rejected"

    review = p.review(a1["id"])
    assert review["reviewers"] == list(REVIEWERS)
    assert [(d["reviewer"], d["conflicted"]) for d in review["declarations"]] == [
        ("board1", False), ("board2", False), ("board3", True)]
    assert review["score"] == "75.38"
    assert [s["weighted"] for s in review["scores"]] == ["71.50", "79.25"]
    assert review["votes"] == [{"reviewer": "board1", "choice": "for"},
                               {"reviewer": "board2", "choice": "for"}]
    assert review["tally"] == {"votes_for": 2, "against": 0, "abstain": 0, "recused": 1,
                               "cast": 2}
    assert [(r["reason"], r["grant_id"]) for r in review["resolutions"]] == [
        ("no_quorum", None), ("passed", g1)]
    assert review["assembly"] is None

    assert p.funds() == funds("550000.00", "200000.00", "100000.00", "0.00", "250000.00")
    assert p.books() == committed_books("550000.00", "200000.00", "200000.00")
    grant = p.grant(g1)
    assert {k: grant[k] for k in ("application_id", "round_id", "grantee_id", "amount",
                                  "status", "committed_on", "paid", "evaluation_passed")} == {
        "application_id": a1["id"], "round_id": round_id, "grantee_id": windows,
        "amount": "120000.00", "status": "active", "committed_on": "2026-04-05",
        "paid": "0.00", "evaluation_passed": False}
    assert [(t["number"], t["amount"], t["final"], t["paid_on"]) for t in grant["tranches"]] == [
        (1, "48000.00", False, None), (2, "48000.00", False, None),
        (3, "24000.00", True, None)]
    assert [g["id"] for g in p.get("/api/grants", round_id=round_id)] == [g1, g2]

    # --- tranches: the final one waits for a passed acceptance evaluation ---------------------
    paid = p.ok(p.pay(g1, 1, "2026-04-10"))
    assert (paid["paid"], paid["tranches"][0]["paid_on"]) == ("48000.00", "2026-04-10")
    assert p.funds() == funds("502000.00", "152000.00", "100000.00", "0.00", "250000.00")
    assert p.books() == committed_books("502000.00", "152000.00", "200000.00")
    p.ok(p.pay(g1, 2, "2026-07-02", "48000.00"))
    assert p.funds() == funds("454000.00", "104000.00", "100000.00", "0.00", "250000.00")
    assert p.books() == committed_books("454000.00", "104000.00", "200000.00")

    body = p.refused(lambda: p.pay(g1, 3, "2026-11-15"), 409, "/problems/evaluation-required")
    assert body["errors"] == {"number": [body["detail"]]}
    failed = p.ok(p.evaluate(g1, "failed", "2026-11-20"))
    assert [e["result"] for e in failed["evaluations"]] == ["failed"]
    assert failed["evaluation_passed"] is False
    body = p.refused(lambda: p.pay(g1, 3, "2026-11-25"), 409, "/problems/evaluation-required")
    assert "latest one failed" in body["detail"]
    passed_eval = p.ok(p.evaluate(g1, "passed", "2026-12-01"))
    assert passed_eval["evaluation_passed"] is True
    completed = p.ok(p.pay(g1, 3, "2026-12-02"))
    assert (completed["status"], completed["paid"], completed["ended_on"]) == (
        "completed", "120000.00", "2026-12-02")
    assert p.funds() == funds("430000.00", "80000.00", "100000.00", "0.00", "250000.00")
    assert p.books() == committed_books("430000.00", "80000.00", "200000.00")

    # --- the other grant ends early: its unpaid commitment returns; money is clawed back ------
    p.ok(p.pay(g2, 1, "2026-04-10"))
    assert p.funds() == funds("390000.00", "40000.00", "100000.00", "0.00", "250000.00")
    assert p.books() == committed_books("390000.00", "40000.00", "200000.00")
    closed = p.ok(p.post(f"/api/grants/{g2}/close", {
        "on": "2026-06-30", "reason": "场地无法落实 / no venue could be found"}))
    assert (closed["status"], closed["ended_on"], closed["paid"], closed["unspent_returned"]) \
        == ("closed", "2026-06-30", "40000.00", "40000.00")
    assert p.funds() == funds("390000.00", "0.00", "100000.00", "0.00", "290000.00")
    assert p.books() == committed_books("390000.00", "0.00", "160000.00")  # 40,000 undone
    clawed = p.ok(p.post(f"/api/grants/{g2}/clawbacks", {
        "amount": "10000.00", "on": "2026-07-15", "reason": "未使用的活动经费 / unspent"}))
    assert clawed["clawed_back"] == "10000.00"
    assert p.funds() == funds("400000.00", "0.00", "100000.00", "0.00", "300000.00")
    assert p.books() == committed_books("400000.00", "0.00", "150000.00")  # 10,000 back

    # --- the round closes: what it did not commit is no longer reserved -----------------------
    closed_round = p.move(round_id, "close")
    assert (closed_round["status"], closed_round["committed"], closed_round["reserved"]) == (
        "closed", "200000.00", "0.00")
    assert p.funds() == funds("400000.00", "0.00", "0.00", "0.00", "400000.00")
    assert p.books() == {  # 200,000 committed - 40,000 unspent - 10,000 back = 150,000 spent
        "1002": ("400000.00", "0.00"),
        "3101": ("0.00", GIVEN_FOR_ROUND), "3102": (GIVEN_FOR_ROUND, "0.00"),
        "410102": ("0.00", GIVEN_FOR_ROUND), "450101": ("0.00", LOTTERY),
        "5101": ("150000.00", "0.00")}

    # --- history of each ----------------------------------------------------------------------
    assert [h["action"] for h in p.get(f"/api/rounds/{round_id}/history")] == [
        "round.created", "round.opened", "round.review", "round.closed"]
    assert [h["action"] for h in p.get(f"/api/grants/{g1}/history")] == [
        "grant.committed", "grant.tranche_paid", "grant.tranche_paid",
        "grant.evaluation_failed", "grant.evaluation_passed", "grant.tranche_paid",
        "grant.completed"]
    assert [h["action"] for h in p.get(f"/api/grants/{g2}/history")] == [
        "grant.committed", "grant.tranche_paid", "grant.closed", "grant.clawed_back"]
    history = p.get(f"/api/applications/{a1['id']}/history")
    assert [h["action"] for h in history] == [
        "application.submitted", "application.attached", *["application.declared"] * 3,
        *["application.scored"] * 2, "application.voted", "application.resolved",
        "application.voted", "application.resolved"]
    assert history[-1]["username"] == "board2"
    assert history[-1]["role"] == "board_member"
    assert history[-1]["details"]["grant_id"] == g1
    assert "address" not in history[-1]


def test_an_open_round_needs_the_funds_and_a_cancelled_one_frees_them(
        programme: Programme) -> None:
    p = programme
    p.income("200000.00", received_on="2026-01-05")
    big = p.round(budget="250000.00")
    body = p.refused(lambda: p.post(f"/api/rounds/{big['id']}/open"), 409,
                     "/problems/over-committed")
    assert "200000.00" in body["detail"]
    small = p.round(budget="150000.00")
    assert p.move(small["id"], "open")["reserved"] == "150000.00"
    assert p.funds() == funds("200000.00", "0.00", "150000.00", "0.00", "50000.00")
    cancelled = p.move(small["id"], "cancel")
    assert (cancelled["status"], cancelled["reserved"]) == ("cancelled", "0.00")
    assert p.funds() == funds("200000.00", "0.00", "0.00", "0.00", "200000.00")
    p.refused(lambda: p.post(f"/api/rounds/{small['id']}/open"), 409, "/problems/round-state")
    assert p.move(big["id"], "cancel")["status"] == "cancelled"


def test_a_restriction_released_by_hand(programme: Programme) -> None:
    p = programme
    income = p.income("30000.00", source="fiscal", received_on="2026-01-05",
                       restriction="purpose", purpose="老年食堂 / elderly canteen")
    assert income["account"] == "450102"
    assert p.funds() == funds("30000.00", "0.00", "0.00", "30000.00", "0.00")
    response = p.post(f"/api/incomes/{income['id']}/releases", {
        "amount": "20000.00", "on": "2026-03-01", "reason": "食堂已开业 / the canteen opened"})
    release = p.ok(response, 201)
    assert response.headers["Location"].endswith(f"/api/incomes/{income['id']}")
    assert release == {"id": release["id"], "income_id": income["id"], "amount": "20000.00",
                       "released_on": "2026-03-01", "reason": "食堂已开业 / the canteen opened",
                       "grant_id": None, "entry_seq": release["entry_seq"],
                       "restored": False}
    assert p.funds() == funds("30000.00", "0.00", "0.00", "10000.00", "20000.00")
    assert p.books() == {"1002": ("30000.00", "0.00"), "3101": ("0.00", "20000.00"),
                         "3102": ("20000.00", "0.00"), "450102": ("0.00", "30000.00")}
    body = p.refused(lambda: p.post(f"/api/incomes/{income['id']}/releases", {
        "amount": "10000.01", "on": "2026-03-02", "reason": "again"}), 409,
        "/problems/over-released")
    assert "10000.00" in body["detail"]


def test_an_anonymous_donor_is_shown_as_anonymous(programme: Programme) -> None:
    income = programme.income("1000.00", source="individual", received_on="2026-01-05",
                              donor="王先生", anonymous=True)
    assert (income["donor"], income["public_donor"]) == ("王先生", "匿名 / Anonymous")
    assert income["account"] == "410101"


def test_the_assembly_vote_decides_where_the_round_requires_it(programme: Programme) -> None:
    p = programme
    found = p.open_round(assembly_required=True, quorum=1, reviewers=["board1"])
    application = p.application(found["id"])
    p.move(found["id"], "review")
    p.ok(p.declare(application["id"], "board1"), 201)
    p.ok(p.vote(application["id"], "board1", "for"), 201)
    waiting = p.ok(p.resolve(application["id"], "board1"), 201)
    assert (waiting["passed"], waiting["reason"]) == (False, "assembly_missing")
    assert p.get(f"/api/applications/{application['id']}")["status"] == "submitted"
    response = p.post(f"/api/applications/{application['id']}/assembly-vote", {
        "held_on": "2026-04-02", "votes_for": 31, "against": 4, "abstain": 2})
    assert p.ok(response, 201) == {"held_on": "2026-04-02", "votes_for": 31, "against": 4,
                                   "abstain": 2}
    p.refused(lambda: p.post(f"/api/applications/{application['id']}/assembly-vote", {
        "held_on": "2026-04-03", "votes_for": 1, "against": 0, "abstain": 0}), 409,
        "/problems/already-exists")
    passed = p.ok(p.resolve(application["id"], "board1", on="2026-04-06"), 201)
    assert (passed["passed"], passed["reason"]) == (True, "passed")
    assert p.review(application["id"])["assembly"]["votes_for"] == 31


def test_a_withdrawn_application_is_decided(programme: Programme) -> None:
    p = programme
    found = p.open_round()
    application = p.application(found["id"])
    p.move(found["id"], "review")
    body = p.refused(lambda: p.post(f"/api/rounds/{found['id']}/close"), 409,
                     "/problems/application-state")
    assert f"application #{application['id']} is still undecided" in body["detail"]
    withdrawn = p.ok(p.post(f"/api/applications/{application['id']}/withdraw"))
    assert withdrawn["status"] == "withdrawn"
    p.refused(lambda: p.post(f"/api/applications/{application['id']}/withdraw"), 409,
              "/problems/application-state")
    assert p.move(found["id"], "close")["status"] == "closed"


def test_a_board_members_queue(programme: Programme) -> None:
    p = programme
    found = p.open_round()
    first = p.application(found["id"], 1, "20000.00")
    second = p.application(found["id"], 2, "30000.00")
    p.ok(p.declare(first["id"], "board1", True, "亲属任职 / a relative works there"), 201)
    queue = p.get("/api/reviews/queue", actor="board1")
    assert queue == [
        {"application_id": first["id"], "round_id": found["id"], "round_title": found["title"],
         "title": first["title"], "grantee": first["grantee"], "declared": True,
         "conflicted": True, "scored": False, "voted": False},
        {"application_id": second["id"], "round_id": found["id"],
         "round_title": found["title"], "title": second["title"], "grantee": second["grantee"],
         "declared": False, "conflicted": False, "scored": False, "voted": False}]
    assert p.get("/api/reviews/queue", actor="multi1") == []  # not a reviewer of the round
    p.ok(p.post(f"/api/applications/{second['id']}/withdraw"))
    assert [i["application_id"] for i in p.get("/api/reviews/queue", actor="board1")] == [
        first["id"]]


def test_an_upload_retried_with_its_key_is_replayed(programme: Programme) -> None:
    p = programme
    found = p.open_round()
    application = p.application(found["id"])

    def send(content: bytes = PNG, boundary: str = "first-try") -> Any:
        body, content_type = multipart(content, "现场照片 site.png", boundary=boundary)
        return p.client.post(f"/api/applications/{application['id']}/attachments", data=body,
                             content_type=content_type,
                             headers={"Idempotency-Key": "upload-once", **p.api.bearer("fm1")})

    first = p.ok(send(), 201)
    assert first["content_type"] == "image/png"
    # a retry is the same request even when the client encodes it with a new boundary
    for boundary in ("first-try", "a-new-boundary-from-the-http-library"):
        replay = send(boundary=boundary)
        assert replay.status_code == 201
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.get_json() == first
    # another file under the same key is another request
    Api.problem(send(PNG + b"\x00"), 422, "/problems/idempotency-key-reused")
    assert len(p.get(f"/api/applications/{application['id']}")["attachments"]) == 1


def test_the_minutes_of_a_resolution(programme: Programme) -> None:
    p = programme
    found = p.open_round(quorum=1, reviewers=["board1"])
    application = p.application(found["id"])
    p.move(found["id"], "review")
    p.ok(p.declare(application["id"], "board1"), 201)
    p.ok(p.vote(application["id"], "board1", "for"), 201)
    p.ok(p.resolve(application["id"], "board1"), 201)
    Api.problem(p.client.get(f"/api/applications/{application['id'] + 1}/minutes.pdf",
                             headers=p.api.bearer("aud1")), 404,
                "/problems/application-not-found")
    response = p.client.get(f"/api/applications/{application['id']}/minutes.pdf",
                            headers=p.api.bearer("aud1"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
