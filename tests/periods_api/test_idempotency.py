"""Every POST of the periods API takes an Idempotency-Key: a retry replays the first answer
and writes nothing more, a different body under the same key is refused (422), and a POST
without a key is refused (400)."""

from __future__ import annotations

from .helpers import Books, audit_actions, path


def test_retried_steps_replay_the_first_answer_and_write_once(books: Books) -> None:
    b = books
    first = b.start_closing(key="close-oct-1")
    retry = b.start_closing(key="close-oct-1")
    assert retry.status_code == first.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    assert retry.headers["Location"] == first.headers["Location"]
    b.problem(b.start_closing(key="close-oct-2"), 409, "/problems/period-state")  # a new one

    closed = b.close(key="close-oct-3")
    assert b.close(key="close-oct-3").get_json() == closed.get_json()
    signed = b.sign_off(key="sign-oct")
    again = b.sign_off(key="sign-oct")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == signed.get_json()
    reopened = b.reopen(key="reopen-oct")
    again = b.reopen(key="reopen-oct")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == reopened.get_json()
    assert again.get_json()["signoff"] is None
    assert [a for a, _, _ in audit_actions(b.engine)] == [
        "period.closing", "period.closed", "period.signed_off", "period.reopened"]


def test_a_key_reused_for_another_request_is_refused(books: Books) -> None:
    b = books
    b.closed()
    b.ok(b.sign_off(key="k1", notes="第一次"))
    before = b.counts()
    b.problem(b.sign_off(key="k1", notes="第二次"), 422)
    b.ok(b.reopen(key="k2", reason="原因一"))
    b.problem(b.reopen(key="k2", reason="原因二"), 422)
    b.problem(b.post(path(tail="close"), key="k2", actor="admin1"), 422)  # another path
    b.problem(b.close(key="k2"), 409)  # keys are per person: fm1 has no "k2" yet
    assert b.counts()["period_reopens"] == before["period_reopens"] + 1


def test_a_post_without_a_key_is_refused(books: Books) -> None:
    before = books.counts()
    for tail, actor, body in (("closing", "fm1", None), ("close", "fm1", None),
                              ("reopen", "admin1", {"reason": "x"}),
                              ("sign-off", "aud1", {"opinion": "unqualified"})):
        response = books.client.post(path(tail=tail), json=body, headers=books.api.bearer(actor))
        assert "Idempotency-Key" in books.problem(response, 400)["detail"]
    assert books.counts() == before
