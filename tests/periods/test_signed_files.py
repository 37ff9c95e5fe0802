"""The statements PDF of a signed-off period is rendered once and stored with its SHA-256, on
SQLite and on PostgreSQL: the same bytes ever after; nothing for a period not signed off; a
reopening voids the sign-off, and the next sign-off renders (and stores) anew."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import text

from ledger import periods as uc
from ledger.core.errors import InvalidInput, UnknownEntity
from ledger.core.periods import PeriodStatus

from .helpers import Books


class Renderer:
    """A stand-in for the PDF renderer: counts its calls and puts the sign-off in the bytes."""

    def __init__(self) -> None:
        self.calls: list[uc.PeriodState] = []

    def __call__(self, state: uc.PeriodState) -> bytes:
        self.calls.append(state)
        assert state.signoff is not None
        return (f"%PDF-1.7\n% {state.entity} {state.period} sign-off #{state.signoff.id} "
                f"render {len(self.calls)} 审计意见\n").encode()


def stored_rows(bk: Books) -> list[tuple[int, str, str, bytes]]:
    with bk.engine.connect() as conn:
        return [(r.signoff_id, r.lang, r.sha256, bytes(r.content)) for r in conn.execute(text(
            "SELECT signoff_id, lang, sha256, content FROM statement_files ORDER BY id"))]


def test_stored_once_per_signoff_and_language(bk: Books) -> None:
    bad_requests_render_nothing(bk)  # the foundation's 2026, signed off, nothing stored
    member = bk.member()
    bk.deposit(member.id, "350000.00", date(2026, 1, 10))
    render = Renderer()

    # never closed, closing, closed but unsigned: a draft, never stored
    assert uc.signed_statement(bk.uow, "fund", "2026-01", "zh", render) is None
    uc.start_closing(bk.uow, bk.admin, "fund", "2026-01")
    assert uc.signed_statement(bk.uow, "fund", "2026-01", "zh", render) is None
    uc.close_period(bk.uow, bk.admin, "fund", "2026-01")
    assert uc.signed_statement(bk.uow, "fund", "2026-01", "zh", render) is None
    assert (render.calls, stored_rows(bk)) == ([], [])

    signed = bk.sign("fund", "2026-01")
    assert signed.signoff is not None

    def broken(state: uc.PeriodState) -> bytes:
        raise RuntimeError("the renderer ran out of fonts")

    with pytest.raises(RuntimeError, match="fonts"):  # a failed rendering stores nothing
        uc.signed_statement(bk.uow, "fund", "2026-01", "zh", broken)
    assert stored_rows(bk) == []
    first = uc.signed_statement(bk.uow, "fund", "2026-01", "zh", render)
    assert first is not None
    assert render.calls == [signed]
    assert first.content.startswith(b"%PDF-1.7\n% fund 2026-01 sign-off #")
    assert first.sha256 == hashlib.sha256(first.content).hexdigest()
    again = uc.signed_statement(bk.uow, "fund", "2026-01", "zh", render)
    assert again == first  # the same bytes, hash and time: not rendered again
    assert len(render.calls) == 1
    english = uc.signed_statement(bk.uow, "fund", "2026-01", "en", render)
    assert english is not None
    assert len(render.calls) == 2
    assert english.content != first.content
    assert uc.signed_statement(bk.uow, "fund", "2026-01", "en", render) == english
    assert stored_rows(bk) == [(signed.signoff.id, "zh", first.sha256, first.content),
                               (signed.signoff.id, "en", english.sha256, english.content)]

    # reopened: the sign-off no longer holds, nothing is served; the stored files stay
    bk.reopen("fund", "2026-01")
    assert uc.signed_statement(bk.uow, "fund", "2026-01", "zh", render) is None
    bk.close("fund", "2026-01")
    assert uc.signed_statement(bk.uow, "fund", "2026-01", "zh", render) is None
    assert len(render.calls) == 2

    # signed off again: rendered anew for the new sign-off
    resigned = bk.sign("fund", "2026-01")
    assert resigned.signoff is not None
    fresh = uc.signed_statement(bk.uow, "fund", "2026-01", "zh", render)
    assert fresh is not None
    assert len(render.calls) == 3
    assert render.calls[-1] == resigned
    assert (render.calls[-1].status, render.calls[-1].reopened) == (PeriodStatus.CLOSED, 1)
    assert fresh.content != first.content
    assert f"sign-off #{resigned.signoff.id} ".encode() in fresh.content
    assert fresh.sha256 == hashlib.sha256(fresh.content).hexdigest()
    assert uc.signed_statement(bk.uow, "fund", "2026-01", "zh", render) == fresh
    assert len(render.calls) == 3
    assert stored_rows(bk)[-1] == (resigned.signoff.id, "zh", fresh.sha256, fresh.content)
    assert len(stored_rows(bk)) == 3


def bad_requests_render_nothing(bk: Books) -> None:
    bk.close("foundation", "2026")
    bk.sign("foundation", "2026")
    render = Renderer()
    with pytest.raises(InvalidInput):
        uc.signed_statement(bk.uow, "foundation", "2026", "fr", render)
    with pytest.raises(UnknownEntity):
        uc.signed_statement(bk.uow, "chamber", "2026", "zh", render)
    with pytest.raises(InvalidInput):
        uc.signed_statement(bk.uow, "foundation", "2026-13", "zh", render)
    assert uc.signed_statement(bk.uow, "fund", "2026", "zh", render) is None  # other entity
    assert uc.signed_statement(bk.uow, "foundation", "2026-01", "zh", render) is None
    assert render.calls == []
    assert stored_rows(bk) == []
