"""Refused requests of the grant programme: each answers a problem with the right status and
`type`, and writes nothing (every table's row count, and the state of rounds, applications,
grants and tranches, are compared before and after)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.grants_api import MAX_UPLOAD_BODY
from ledger.db.models import MAX_ATTACHMENT_BYTES

from ..http.helpers import Api
from .helpers import PDF, Programme, application_body, credit_code, grantee_body, round_body

INVALID = "/problems/invalid-input"
BEYOND = "/problems/beyond-schedule"


@dataclass
class UnderReview:
    round_id: int
    grantee_id: int
    approved: int  # application approved: grant `grant_id` (120,000.00 in 48k, 48k, 24k)
    pending: int  # undecided: board3 declared a conflict, board1 voted for
    grant_id: int


def under_review(p: Programme) -> UnderReview:
    """A round in review with one application approved (its grant committed) and one
    undecided."""
    p.income("500000.00", received_on="2026-01-05")
    found = p.round()
    p.move(found["id"], "open")
    grantee = p.grantee(1)
    approved = p.apply(found["id"], grantee, "120000.00",
                       [("材料", "80000.00"), ("人工", "40000.00")],
                       [("2026-04-01", "48000.00"), ("2026-07-01", "48000.00"),
                        ("2026-12-01", "24000.00")])["id"]
    pending = p.application(found["id"], 2)["id"]
    p.move(found["id"], "review")
    for reviewer in ("board1", "board2"):
        p.ok(p.declare(approved, reviewer), 201)
        p.ok(p.vote(approved, reviewer, "for"), 201)
    grant_id = p.ok(p.resolve(approved, "board1"), 201)["grant_id"]
    p.ok(p.declare(pending, "board1"), 201)
    p.ok(p.declare(pending, "board3", True, "申请机构负责人是其配偶 / spouse runs it"), 201)
    p.ok(p.vote(pending, "board1", "for"), 201)
    return UnderReview(found["id"], grantee, approved, pending, grant_id)


def test_votes_and_resolutions_refused(programme: Programme) -> None:
    p = programme
    r = under_review(p)
    body = p.refused(lambda: p.vote(r.pending, "board3", "for"), 409,
                     "/problems/conflict-of-interest")
    assert "board3" in body["detail"]
    p.refused(lambda: p.score(r.pending, "board3", 90, 90, 90), 409,
              "/problems/conflict-of-interest")
    for outsider in ("fm1", "aud1", "admin1"):  # no board_member role: the role check refuses
        body = p.refused(lambda outsider=outsider: p.vote(r.pending, outsider, "for"), 403,
                         "about:blank")
        assert "board_member" in body["detail"]
    # a board member who does not review this round
    body = p.refused(lambda: p.vote(r.pending, "multi1", "for"), 409,
                     "/problems/not-a-reviewer")
    assert f"round #{r.round_id}" in body["detail"]
    p.refused(lambda: p.declare(r.pending, "multi1"), 409, "/problems/not-a-reviewer")
    p.refused(lambda: p.resolve(r.pending, "multi1"), 409, "/problems/not-a-reviewer")
    p.refused(lambda: p.resolve(r.pending, "fm1"), 403, "about:blank")
    # one vote each, and a declaration before it
    body = p.refused(lambda: p.vote(r.pending, "board1", "against"), 409,
                     "/problems/already-voted")
    assert "board1" in body["detail"]
    p.refused(lambda: p.vote(r.pending, "board2", "for"), 409, "/problems/declaration-missing")
    p.refused(lambda: p.declare(r.pending, "board1"), 409, "/problems/already-exists")
    p.refused(lambda: p.declare(r.pending, "board2", True, "  "), 422, INVALID)
    # a decided application takes no more votes
    p.refused(lambda: p.vote(r.approved, "board3", "for"), 409, "/problems/application-state")
    p.refused(lambda: p.resolve(r.approved, "board1"), 409, "/problems/application-state")
    # bad bodies
    for bad in ({"choice": "yes"}, {"choice": None}, {}, {"choice": "for", "extra": 1}):
        p.refused(lambda bad=bad: p.post(f"/api/applications/{r.pending}/votes", bad,
                                         actor="board2"), 422)
    p.refused(lambda: p.vote(r.pending + 100, "board1", "for"), 404,
              "/problems/application-not-found")


def test_scores_refused(programme: Programme) -> None:
    p = programme
    r = under_review(p)
    p.ok(p.declare(r.pending, "board2"), 201)
    path = f"/api/applications/{r.pending}/scores"
    for scores in ({"社区需求 / need": 80}, {"社区需求 / need": 80, "可行性 / feasibility": 80,
                                          "居民参与 / participation": 80, "extra": 1},
                   {"社区需求 / need": 101, "可行性 / feasibility": 80,
                    "居民参与 / participation": 80}):
        body = p.refused(lambda scores=scores: p.post(path, {"scores": scores}, actor="board2"),
                         422, INVALID)
        assert list(body["errors"]) == ["scores"]
    for scores in ({"社区需求 / need": 80.5}, {"社区需求 / need": "80"},
                   {"社区需求 / need": True}, {}):
        p.refused(lambda scores=scores: p.post(path, {"scores": scores}, actor="board2"), 422)
    p.ok(p.score(r.pending, "board2", 80, 80, 80), 201)
    p.refused(lambda: p.score(r.pending, "board2", 70, 70, 70), 409, "/problems/already-exists")


def test_payments_beyond_the_schedule_are_refused(programme: Programme) -> None:
    p = programme
    g = under_review(p).grant_id
    body = p.refused(lambda: p.pay(g, 4, "2026-04-10"), 409, BEYOND)
    assert "tranches 1 to 3" in body["detail"]
    body = p.refused(lambda: p.pay(g, 2, "2026-04-10"), 409, BEYOND)  # out of order
    assert "pay tranche 1 first" in body["detail"]
    body = p.refused(lambda: p.pay(g, 1, "2026-04-10", "48000.01"), 409, BEYOND)
    assert body["errors"] == {"amount": [body["detail"]]}
    p.refused(lambda: p.pay(g, 1, "2026-04-10", "47999.99"), 409, BEYOND)
    p.refused(lambda: p.pay(g, 1, "2026-04-04"), 422, INVALID)  # before the commitment
    p.refused(lambda: p.pay(g, 1, "2026-04-10", actor="board1"), 403, "about:blank")
    p.refused(lambda: p.pay(g, 1, "2026-04-10", actor="aud1"), 403, "about:blank")
    assert p.ok(p.pay(g, 1, "2026-04-10", "48000.00"))["paid"] == "48000.00"
    body = p.refused(lambda: p.pay(g, 1, "2026-04-11"), 409, BEYOND)  # already paid
    assert "was paid on 2026-04-10" in body["detail"]
    p.refused(lambda: p.pay(g, 3, "2026-04-11"), 409, BEYOND)  # tranche 2 first
    p.ok(p.pay(g, 2, "2026-07-01"))
    body = p.refused(lambda: p.pay(g, 3, "2026-12-01"), 409, "/problems/evaluation-required")
    assert body["errors"] == {"number": [body["detail"]]}
    for bad in ({"number": 0, "on": "2026-12-01"}, {"number": "3", "on": "2026-12-01"},
                {"number": 3, "on": "2026-12-01", "amount": 24000},
                {"number": 3}, {"on": "2026-12-01"}):
        p.refused(lambda bad=bad: p.post(f"/api/grants/{g}/payments", bad), 422)
    p.refused(lambda: p.pay(g + 1, 1, "2026-04-10"), 404, "/problems/grant-not-found")
    # an ended grant takes nothing more
    p.ok(p.post(f"/api/grants/{g}/close", {"on": "2026-08-01", "reason": "项目中止"}))
    p.refused(lambda: p.pay(g, 3, "2026-12-01"), 409, "/problems/grant-ended")
    p.refused(lambda: p.evaluate(g, "passed", "2026-12-01"), 409, "/problems/grant-ended")
    p.refused(lambda: p.post(f"/api/grants/{g}/close", {"on": "2026-08-02", "reason": "x"}),
              409, "/problems/grant-ended")
    p.refused(lambda: p.post(f"/api/grants/{g}/clawbacks", {
        "amount": "96000.01", "on": "2026-08-05", "reason": "全部退回"}), 409,
        "/problems/conflict")


def test_bad_attachments_are_refused(programme: Programme) -> None:
    p = programme
    r = under_review(p)
    path = f"/api/applications/{r.pending}/attachments"
    # a text file renamed .pdf: the content decides
    body = p.refused(lambda: p.upload(r.pending, b"just some text, not a PDF\n", "budget.pdf"),
                     422, INVALID)
    assert body["errors"] == {"file": [body["detail"]]}
    assert "PDF, PNG or JPEG" in body["detail"]
    p.refused(lambda: p.upload(r.pending, b"<html><script>alert(1)</script>", "x.png"), 422,
              INVALID)
    p.refused(lambda: p.upload(r.pending, b"", "empty.pdf"), 422, INVALID)
    # just over 5 MB: read, and refused by the rule
    over = b"%PDF-1.4\n" + b"0" * (MAX_ATTACHMENT_BYTES - 8)
    assert len(over) == MAX_ATTACHMENT_BYTES + 1
    body = p.refused(lambda: p.upload(r.pending, over, "big.pdf"), 422, INVALID)
    assert "5 MB" in body["detail"]
    # far over: refused before the body is read
    huge = b"%PDF-1.4\n" + b"0" * MAX_UPLOAD_BODY
    p.refused(lambda: p.upload(r.pending, huge, "huge.pdf"), 413)
    # not a multipart upload
    body = p.refused(lambda: p.post(path, {"file": "JVBERi0xLjQ="}), 415)
    assert "multipart/form-data" in body["detail"]
    p.refused(lambda: p.client.post(path, data=PDF, content_type="application/pdf",
                                    headers={"Idempotency-Key": p.key(),
                                             **p.api.bearer("fm1")}), 415)
    p.refused(lambda: p.post(path), 422)  # no body at all
    p.refused(lambda: p.client.post(path, data={"other": "x"},
                                    content_type="multipart/form-data",
                                    headers={"Idempotency-Key": p.key(),
                                             **p.api.bearer("fm1")}), 422)
    # who and where
    p.refused(lambda: p.upload(r.pending, PDF, "a.pdf", actor="board1"), 403, "about:blank")
    p.refused(lambda: p.upload(r.pending + 100, PDF, "a.pdf"), 404,
              "/problems/application-not-found")
    Api.problem(p.client.get("/api/attachments/999", headers=p.api.bearer("aud1")), 404,
                "/problems/attachment-not-found")
    # multipart bodies go only to the upload route
    p.refused(lambda: p.client.post("/api/incomes", data={"amount": "1.00"},
                                    content_type="multipart/form-data",
                                    headers={"Idempotency-Key": p.key(),
                                             **p.api.bearer("fm1")}), 415)


def test_bad_grantees_are_refused(programme: Programme) -> None:
    p = programme
    good = credit_code(7)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    body = p.refused(lambda: p.post("/api/grantees", grantee_body(7, credit_code=wrong_check)),
                     422, INVALID)
    assert "check character is wrong" in body["detail"]
    assert list(body["errors"]) == ["credit_code"]
    for code in ("5233041", good + "0", good.replace("5", "S", 1), "52AB0411MJ0000007X"):
        p.refused(lambda code=code: p.post("/api/grantees", grantee_body(7, credit_code=code)),
                  422)
    p.refused(lambda: p.post("/api/grantees", grantee_body(7, registration="licensed")), 422)
    p.refused(lambda: p.post("/api/grantees", grantee_body(7, name_zh="  ")), 422, INVALID)
    p.refused(lambda: p.post("/api/grantees", grantee_body(7), actor="board1"), 403)
    p.grantee(7)
    body = p.refused(lambda: p.post("/api/grantees", grantee_body(
        8, credit_code=f" {good.lower()} ")), 409, "/problems/already-exists")
    assert good in body["detail"]


def test_bad_rounds_are_refused(programme: Programme) -> None:
    p = programme
    criteria: list[dict[str, Any]] = [{"name": "需求", "weight": 40},
                                      {"name": "可行性", "weight": 35},
                                      {"name": "参与", "weight": 20}]
    body = p.refused(lambda: p.post("/api/rounds", round_body(criteria=criteria)), 422,
                     INVALID)
    assert "add up to 95, not 100" in body["detail"]
    assert list(body["errors"]) == ["criteria"]
    same = [{"name": "需求", "weight": 50}, {"name": "需求", "weight": 50}]
    p.refused(lambda: p.post("/api/rounds", round_body(criteria=same)), 422, INVALID)
    for bad in ([], [{"name": "需求", "weight": 100.0}], [{"name": "需求", "weight": 0}],
                [{"name": "", "weight": 100}]):
        p.refused(lambda bad=bad: p.post("/api/rounds", round_body(criteria=bad)), 422)
    body = p.refused(lambda: p.post("/api/rounds", round_body(reviewers=["board1", "fm1"])),
                     422, INVALID)
    assert "fm1" in body["detail"]
    p.refused(lambda: p.post("/api/rounds", round_body(reviewers=["board1", "board1"])), 422,
              INVALID)
    p.refused(lambda: p.post("/api/rounds", round_body(quorum=4)), 422, INVALID)
    p.refused(lambda: p.post("/api/rounds", round_body(closes_on="2026-01-31")), 422, INVALID)
    p.refused(lambda: p.post("/api/rounds", round_body(budget=300000)), 422)
    p.refused(lambda: p.post("/api/rounds", round_body(majority="unanimous")), 422)
    p.refused(lambda: p.post("/api/rounds", round_body(), actor="board1"), 403)
    p.refused(lambda: p.post("/api/rounds/1/open"), 404, "/problems/round-not-found")


def test_bad_applications_are_refused(programme: Programme) -> None:
    p = programme
    p.income("500000.00", received_on="2026-01-05")
    found = p.round()
    grantee = p.grantee(1)

    def body(**changes: Any) -> dict[str, Any]:
        return {**application_body(found["id"], grantee, "120000.00",
                                   [("材料", "80000.00"), ("人工", "40000.00")],
                                   [("2026-04-01", "60000.00"), ("2026-07-01", "60000.00")]),
                **changes}

    p.refused(lambda: p.post("/api/applications", body()), 409, "/problems/round-state")
    p.move(found["id"], "open")
    short = body(budget=[{"item": "材料", "amount": "80000.00"},
                         {"item": "人工", "amount": "30000.00"}])
    problem = p.refused(lambda: p.post("/api/applications", short), 422, INVALID)
    assert "the budget lines add up to 110000.00, not the 120000.00 requested" in \
        problem["detail"]
    assert list(problem["errors"]) == ["budget"]
    uneven = body(tranches=[{"number": 1, "due_on": "2026-04-01", "amount": "60000.00"},
                            {"number": 2, "due_on": "2026-07-01", "amount": "50000.00"}])
    problem = p.refused(lambda: p.post("/api/applications", uneven), 422, INVALID)
    assert list(problem["errors"]) == ["tranches"]
    backwards = body(tranches=[{"number": 1, "due_on": "2026-07-01", "amount": "60000.00"},
                               {"number": 2, "due_on": "2026-04-01", "amount": "60000.00"}])
    p.refused(lambda: p.post("/api/applications", backwards), 422, INVALID)
    skipping = body(tranches=[{"number": 1, "due_on": "2026-04-01", "amount": "60000.00"},
                              {"number": 3, "due_on": "2026-07-01", "amount": "60000.00"}])
    p.refused(lambda: p.post("/api/applications", skipping), 422, INVALID)
    p.refused(lambda: p.post("/api/applications", body(submitted_on="2026-04-01")), 422,
              INVALID)
    p.refused(lambda: p.post("/api/applications", body(requested=120000)), 422)
    p.refused(lambda: p.post("/api/applications", body(budget=[])), 422)
    p.refused(lambda: p.post("/api/applications", body(grantee_id=grantee + 1)), 404,
              "/problems/grantee-not-found")
    p.refused(lambda: p.post("/api/applications", body(round_id=found["id"] + 1)), 404,
              "/problems/round-not-found")
    p.refused(lambda: p.post("/api/applications", body(), actor="aud1"), 403)


def test_bad_incomes_are_refused(programme: Programme) -> None:
    p = programme
    base = {"source": "enterprise", "donor": "嘉兴永耀纺织有限公司", "amount": "1000.00",
            "received_on": "2026-01-05"}
    for changes in ({"amount": 1000}, {"amount": "-1.00"}, {"amount": "1.001"},
                    {"source": "lottery"}, {"restriction": "partly"}, {"donor": ""}):
        p.refused(lambda changes=changes: p.post("/api/incomes", {**base, **changes}), 422)
    p.refused(lambda: p.post("/api/incomes", {**base, "restriction": "purpose"}), 422, INVALID)
    p.refused(lambda: p.post("/api/incomes", {**base, "restriction": "round"}), 422, INVALID)
    p.refused(lambda: p.post("/api/incomes", {**base, "round_id": 1}), 422, INVALID)
    p.refused(lambda: p.post("/api/incomes", {**base, "restriction": "round", "round_id": 1}),
              404)
    unrestricted = p.income("1000.00", received_on="2026-01-05")
    p.refused(lambda: p.post(f"/api/incomes/{unrestricted['id']}/releases", {
        "amount": "1.00", "on": "2026-01-06", "reason": "x"}), 422, INVALID)
    p.refused(lambda: p.post(f"/api/incomes/{unrestricted['id'] + 1}/releases", {
        "amount": "1.00", "on": "2026-01-06", "reason": "x"}), 404, "/problems/income-not-found")
    p.refused(lambda: p.post("/api/incomes", base, actor="board1"), 403)
    p.refused(lambda: p.post("/api/incomes", base, actor="aud1"), 403)


def test_a_clawback_dated_before_the_commitment_is_refused(programme: Programme) -> None:
    p = programme
    g = under_review(p).grant_id
    p.ok(p.pay(g, 1, "2026-04-10"))
    p.refused(lambda: p.post(f"/api/grants/{g}/clawbacks", {
        "amount": "1000.00", "on": "2026-01-02", "reason": "退回 / returned"}), 422, INVALID)
