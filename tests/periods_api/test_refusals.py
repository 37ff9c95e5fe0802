"""Refusals of the periods API, each as problem details with nothing written: a label that is
not a year or a month (422), an unknown entity (404), a step the period's stage does not allow
(409), a reopening without a reason or a sign-off without a known opinion (422), and a
sign-off of books that do not verify (409)."""

from __future__ import annotations

from sqlalchemy import text

from .helpers import Books, path

BAD_LABELS = ("2026-13", "2026-00", "26", "2026-1", "2026-10-01", "1899", "oct", "2026-1x")
TAILS = ("", "closing", "close", "reopen", "verification", "sign-off", "statements",
         "statements.csv", "statements.pdf")
ACTOR_OF = {"closing": "fm1", "close": "fm1", "reopen": "admin1", "verification": "aud1",
            "sign-off": "aud1"}
BODY_OF = {"reopen": {"reason": "测试"}, "sign-off": {"opinion": "unqualified"}}


def _call(books: Books, tail: str, entity: str, label: str):  # type: ignore[no-untyped-def]
    url = path(entity, label, tail)
    actor = ACTOR_OF.get(tail, "board1")
    if tail in ("closing", "close", "reopen", "sign-off"):
        return books.post(url, BODY_OF.get(tail), actor=actor)
    return books.get(url, actor=actor)


def test_a_bad_label_is_422_and_an_unknown_entity_404_on_every_route(books: Books) -> None:
    before = books.counts()
    for tail in TAILS:
        for label in BAD_LABELS:
            body = books.problem(_call(books, tail, "fund", label), 422, "/problems/invalid-input")
            assert body["errors"] == {"period": [body["detail"]]}, (tail, label)
        books.problem(_call(books, tail, "treasury", "2026-10"), 404,
                      "/problems/entity-not-found")
    books.problem(books.get("/api/entities/treasury/periods"), 404, "/problems/entity-not-found")
    assert books.counts() == before


def test_steps_the_stage_does_not_allow_are_409(books: Books) -> None:
    b = books
    b.seed()
    before = b.counts()
    b.problem(b.close(), 409, "/problems/period-state")  # open: start closing first
    b.problem(b.reopen(), 404, "/problems/period-not-found")  # never closed
    b.problem(b.sign_off(), 409, "/problems/period-state")
    b.problem(b.verification(), 409, "/problems/period-state")
    assert b.counts() == before

    b.ok(b.start_closing())
    before = b.counts()
    b.problem(b.start_closing(), 409, "/problems/period-state")
    b.problem(b.sign_off(), 409, "/problems/period-state")
    b.problem(b.verification(), 409, "/problems/period-state")
    assert b.counts() == before
    back = b.ok(b.reopen(reason="还有一笔收入未录入"))  # a closing period goes back to open
    assert (back["status"], back["reopened"], back["close"]) == ("open", 0, None)
    before = b.counts()
    b.problem(b.reopen(), 409, "/problems/period-state")  # open already
    assert b.counts() == before
    b.ok(b.start_closing())

    b.ok(b.close())
    b.ok(b.sign_off())
    before = b.counts()
    b.problem(b.close(), 409, "/problems/period-state")
    b.problem(b.start_closing(), 409, "/problems/period-state")
    b.problem(b.sign_off(opinion="adverse"), 409, "/problems/period-state")  # signed already
    assert b.counts() == before
    assert b.state()["signoff"]["opinion"] == "unqualified"


def test_a_reopening_needs_a_reason(books: Books) -> None:
    books.closed()
    before = books.counts()
    for body, field in (({}, "reason"), ({"reason": ""}, "reason"),
                        ({"reason": "x" * 501}, "reason"), ({"reason": 7}, "reason"),
                        ({"reason": "ok", "extra": 1}, "extra")):
        refused = books.problem(books.post(path(tail="reopen"), body, actor="admin1"), 422)
        assert field in refused["errors"], body
    assert books.counts() == before
    assert books.state()["status"] == "closed"


def test_a_sign_off_needs_a_known_opinion_and_short_notes(books: Books) -> None:
    books.closed()
    before = books.counts()
    for body, field in (({}, "opinion"), ({"opinion": "clean"}, "opinion"),
                        ({"opinion": "unqualified", "notes": "注" * 4001}, "notes"),
                        ({"opinion": None}, "opinion"), ({"opinion": "adverse", "by": "x"}, "by")):
        refused = books.problem(books.post(path(tail="sign-off"), body, actor="aud1"), 422)
        assert field in refused["errors"], body
    assert books.counts() == before
    assert books.state()["signoff"] is None


def test_pdf_query_parameters_are_checked(books: Books) -> None:
    for query in ({"lang": "fr"}, {"lang": "ZH"}, {"appendix": "perhaps"}):
        books.problem(books.pdf(**query), 422)


def test_a_period_whose_books_do_not_verify_is_not_signed(books: Books) -> None:
    """The balances recorded at the close are changed behind the ledger's back: the
    verification says so and the sign-off is refused."""
    books.seed()
    books.closed()
    with books.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS period_closes_append_only ON period_closes")
                     if conn.dialect.name == "postgresql" else
                     text("DROP TRIGGER IF EXISTS period_closes_no_update"))
        conn.execute(text("UPDATE period_closes SET balances = '{}'"))
    found = books.ok(books.verification())
    assert (found["ok"], found["balances"], found["chain"], found["head"]) == (
        False, False, True, True)
    before = books.counts()
    refused = books.problem(books.sign_off(), 409, "/problems/verification-failed")
    assert "balances" in refused["detail"]
    assert books.counts() == before
    assert books.state()["audited"] is False
