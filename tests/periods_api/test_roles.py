"""Who may do what with periods: every staff role reads periods and statements; fund managers
and admins start closing and close; only admins reopen; only auditors verify and sign off (an
admin may not). Anonymous calls get 401, the wrong role 403, as problem details, and nothing
is written."""

from __future__ import annotations

from sqlalchemy import text

from .helpers import Books, path

ANON, ADMIN, FM, BOARD, AUDITOR = None, "admin1", "fm1", "board1", "aud1"
STAFF = (ADMIN, FM, BOARD, AUDITOR)
MANAGERS = (ADMIN, FM)
#: (method, url, who may) for every route of the periods API.
ROUTES = (
    ("GET", "/api/entities/fund/periods", STAFF),
    ("GET", path(), STAFF),
    ("POST", path(tail="closing"), MANAGERS),
    ("POST", path(tail="close"), MANAGERS),
    ("POST", path(tail="reopen"), (ADMIN,)),
    ("GET", path(tail="verification"), (AUDITOR,)),
    ("POST", path(tail="sign-off"), (AUDITOR,)),
    ("GET", path(tail="statements"), STAFF),
    ("GET", path(tail="statements.csv"), STAFF),
    ("GET", path(tail="statements.pdf"), STAFF),
)
BODIES = {"reopen": {"reason": "测试"}, "sign-off": {"opinion": "unqualified", "notes": ""}}


def _call(books: Books, method: str, url: str, actor: str | None):  # type: ignore[no-untyped-def]
    if method == "GET":
        return books.get(url, actor=actor)
    return books.post(url, BODIES.get(url.rsplit("/", 1)[-1]), actor=actor)


def test_refused_identities_get_401_or_403_and_nothing_is_written(books: Books) -> None:
    books.closed()  # closed, so that every step but closing could go ahead
    before = books.counts()
    for method, url, allowed in ROUTES:
        for actor in (ANON, *STAFF):
            if actor in allowed:
                continue
            response = _call(books, method, url, actor)
            if actor is None:
                books.problem(response, 401)
                assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
            else:
                assert books.problem(response, 403)["detail"].startswith(
                    "this needs one of these roles"), (method, url, actor)
    assert books.counts() == before


def test_each_role_may_do_its_own_steps(books: Books) -> None:
    for reader in STAFF:
        assert books.ok(books.get(path(), actor=reader))["status"] == "open"
        assert books.ok(books.get("/api/entities/fund/periods", actor=reader)) == []
    books.ok(books.start_closing(actor="fm1"))
    books.ok(books.close(actor="admin1"))
    books.ok(books.verification(actor="aud1"))
    books.ok(books.sign_off(actor="aud1"))
    books.ok(books.reopen(actor="admin1"))
    books.ok(books.start_closing(actor="multi1"))  # a fund manager who is also on the board
    books.ok(books.close(actor="multi1"))
    with books.engine.connect() as conn:
        used = [tuple(r) for r in conn.execute(text(
            "SELECT action, username, role FROM audit_log WHERE action LIKE 'period.%' "
            "ORDER BY seq"))]
    assert used == [("period.closing", "fm1", "fund_manager"),
                    ("period.closed", "admin1", "admin"),
                    ("period.signed_off", "aud1", "auditor"),
                    ("period.reopened", "admin1", "admin"),
                    ("period.closing", "multi1", "fund_manager"),
                    ("period.closed", "multi1", "fund_manager")]


def test_an_admin_may_not_sign_off_nor_a_fund_manager_reopen(books: Books) -> None:
    books.closed()
    books.problem(books.sign_off(actor="admin1"), 403)
    books.problem(books.verification(actor="admin1"), 403)
    books.problem(books.reopen(actor="fm1"), 403)
    books.problem(books.close(actor="aud1"), 403)
    state = books.state()
    assert (state["status"], state["signoff"]) == ("closed", None)
