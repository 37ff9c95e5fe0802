"""A period's life at use-case level, on SQLite and on PostgreSQL: open -> closing -> closed
(the chain head and the balances recorded) -> signed off (verified, with the auditor's
opinion) -> reopened (a reason, an audit record, the sign-off voided) -> closed and signed
again. Every step refused out of order, writing nothing."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import text

from ledger import periods as uc
from ledger.core.errors import InvalidInput, LedgerError, UnknownEntity
from ledger.core.periods import Opinion, PeriodNotInState, PeriodStatus, month, year

from .helpers import Books, audit_of, fen, refused, snapshot


def recorded_balances(bk: Books, close_id: int) -> dict[str, list[int]]:
    with bk.engine.connect() as conn:
        raw = conn.execute(text("SELECT balances FROM period_closes WHERE id = :id"),
                           {"id": close_id}).scalar_one()
    return json.loads(raw)


def a_period_never_closed_is_open(bk: Books) -> None:
    state = bk.state("fund", "2026-03")
    assert (state.entity, state.period, state.status, state.close, state.signoff,
            state.reopened, state.audited) == ("fund", month(2026, 3), PeriodStatus.OPEN, None,
                                               None, 0, False)
    assert bk.state("foundation", "2026").period == year(2026)
    assert uc.periods(bk.uow, "fund") == []


def test_close_sign_reopen_close_sign(bk: Books) -> None:
    member = bk.member()
    bk.deposit(member.id, "350000.00", date(2026, 1, 10))
    bk.transfer(date(2026, 1, 20))
    later = bk.deposit(member.id, "1000.00", date(2026, 2, 3))  # after the period: not in it

    # --- open -> closing -------------------------------------------------------------------
    closing = uc.start_closing(bk.uow, bk.admin, "fund", "2026-01")
    assert (closing.status, closing.close, closing.signoff) == (PeriodStatus.CLOSING, None,
                                                                None)
    assert bk.state("fund", "2026-01").status is PeriodStatus.CLOSING
    refused(bk.engine, PeriodNotInState, lambda: uc.start_closing(bk.uow, bk.admin, "fund",
                                                                  "2026-01"))
    refused(bk.engine, PeriodNotInState, lambda: uc.sign_off(
        bk.uow, bk.auditor, "fund", "2026-01", opinion=Opinion.UNQUALIFIED))
    refused(bk.engine, PeriodNotInState, lambda: uc.verify_period(bk.uow, "fund", "2026-01"))

    # --- closing -> closed: the journal's head and the balances at the period's end ------------
    head_seq, head_hash = bk.head()
    assert head_seq == later.entry_seq  # the head is the journal's, whatever its date
    closed = uc.close_period(bk.uow, bk.admin, "fund", "2026-01")
    assert closed.status is PeriodStatus.CLOSED
    assert closed.close is not None
    assert (closed.close.head_seq, closed.close.head_hash, closed.close.closed_by) == (
        head_seq, head_hash, "admin1")
    assert (closed.signoff, closed.audited, closed.reopened) == (None, False, 0)
    # (debits, credits) of each account to 31 Jan: the February deposit is not in them
    assert recorded_balances(bk, closed.close.id) == {
        "1002": [fen("350000.00"), fen("245000.00")],
        "2209": [fen("245000.00"), fen("245000.00")],
        "420101": [0, fen("105000.00")]}
    assert bk.state("fund", "2026-01") == closed
    assert bk.state("foundation", "2026-01").status is PeriodStatus.OPEN  # the other entity
    refused(bk.engine, PeriodNotInState, lambda: uc.close_period(bk.uow, bk.admin, "fund",
                                                                 "2026-01"))
    refused(bk.engine, PeriodNotInState, lambda: uc.start_closing(bk.uow, bk.admin, "fund",
                                                                  "2026-01"))

    # --- verified and signed off ---------------------------------------------------------------
    verification = uc.verify_period(bk.uow, "fund", "2026-01")
    assert verification.ok
    assert (verification.chain_ok, verification.head_ok, verification.balances_ok,
            verification.statements_ok) == (True, True, True, True)
    assert verification.chain_detail == f"{bk.entry_count()} entries verify"
    assert set(verification.checks) == {
        "assets = liabilities + net assets",
        "change in net assets = net assets at the end - at the start",
        "cash at the start + net increase = cash at the end"}
    signed = uc.sign_off(bk.uow, bk.auditor, "fund", "2026-01", opinion=Opinion.QUALIFIED,
                         notes="  保留意见：过桥垫款的担保文件不全  ")
    assert signed.signoff is not None
    assert signed.close is not None
    assert (signed.status, signed.audited, signed.signoff.close_id, signed.signoff.opinion,
            signed.signoff.notes, signed.signoff.signed_by) == (
        PeriodStatus.CLOSED, True, signed.close.id, Opinion.QUALIFIED,
        "保留意见：过桥垫款的担保文件不全", "aud1")
    assert signed.signoff.verification == verification.as_dict()
    assert bk.state("fund", "2026-01") == signed
    refused(bk.engine, PeriodNotInState, lambda: bk.sign("fund", "2026-01"))  # once per close

    # --- reopened by an admin with a reason: the sign-off no longer holds -----------------------
    refused(bk.engine, InvalidInput, lambda: bk.reopen("fund", "2026-01", reason="   "))
    reopened = bk.reopen("fund", "2026-01", reason="补记一张漏记的凭证")
    assert (reopened.status, reopened.signoff, reopened.audited, reopened.reopened) == (
        PeriodStatus.OPEN, None, False, 1)
    assert reopened.close == signed.close  # the close stays on record
    assert bk.state("fund", "2026-01").signoff is None
    refused(bk.engine, PeriodNotInState, lambda: bk.reopen("fund", "2026-01"))
    refused(bk.engine, PeriodNotInState, lambda: uc.verify_period(bk.uow, "fund", "2026-01"))
    # the period takes entries again: an adjusting voucher dated inside it
    voucher = bk.voucher("fund", date(2026, 1, 31), ("5201", "debit", "300.00"),
                         ("1002", "credit", "300.00"))

    # --- closed again: a new close with the new head and balances; signed again -----------------
    again = bk.close("fund", "2026-01")
    assert again.close is not None
    assert signed.close is not None
    assert again.close.id != signed.close.id
    assert (again.close.head_seq, again.status, again.signoff, again.reopened) == (
        voucher.entry_seq, PeriodStatus.CLOSED, None, 1)
    assert recorded_balances(bk, again.close.id)["1002"] == [fen("350000.00"),
                                                             fen("245300.00")]
    assert recorded_balances(bk, again.close.id)["5201"] == [fen("300.00"), 0]
    resigned = bk.sign("fund", "2026-01")
    assert resigned.signoff is not None
    assert signed.signoff is not None
    assert (resigned.signoff.close_id, resigned.signoff.opinion) == (again.close.id,
                                                                     Opinion.UNQUALIFIED)
    assert resigned.signoff.id != signed.signoff.id

    # --- the audit trail of the period -----------------------------------------------------------
    trail = audit_of(bk.engine, "fund", "2026-01")
    assert [(action, who) for action, who, _ in trail] == [
        ("period.closing", "admin1"), ("period.closed", "admin1"),
        ("period.signed_off", "aud1"), ("period.reopened", "admin1"),
        ("period.closing", "admin1"), ("period.closed", "admin1"),
        ("period.signed_off", "aud1")]
    assert trail[1][2] == {"head_seq": head_seq, "head_hash": head_hash,
                           "merkle_root": closed.close.root}
    assert trail[2][2] == {"opinion": "qualified", "head_seq": head_seq}
    assert trail[3][2] == {"reason": "补记一张漏记的凭证", "signoff_voided": True}
    assert uc.periods(bk.uow, "fund") == [resigned]


def reopening_an_unsigned_period_voids_nothing(bk: Books) -> None:
    bk.close("foundation", "2026")
    bk.reopen("foundation", "2026", reason="年度审计前调整")
    assert audit_of(bk.engine, "foundation", "2026")[-1][2] == {
        "reason": "年度审计前调整", "signoff_voided": False}
    state = bk.state("foundation", "2026")
    assert (state.status, state.reopened) == (PeriodStatus.OPEN, 1)


def empty_books_close_at_the_genesis_head(bk: Books) -> None:
    state = bk.close("foundation", "2026-02")
    assert state.close is not None
    assert (state.close.head_seq, state.close.head_hash) == (0, "0" * 64)
    assert uc.verify_period(bk.uow, "foundation", "2026-02").ok
    assert bk.sign("foundation", "2026-02").audited


def periods_are_listed_latest_first(bk: Books) -> None:
    bk.close("fund", "2026-01")
    bk.close("fund", "2025")
    uc.start_closing(bk.uow, bk.admin, "fund", "2026-02")
    bk.close("foundation", "2026-03")
    listed = uc.periods(bk.uow, "fund")
    assert [(p.period.label, p.status) for p in listed] == [
        ("2026-02", PeriodStatus.CLOSING), ("2026-01", PeriodStatus.CLOSED),
        ("2025", PeriodStatus.CLOSED)]


def refusals_write_nothing(bk: Books) -> None:
    refused(bk.engine, PeriodNotInState, lambda: uc.close_period(bk.uow, bk.admin, "fund",
                                                                 "2026-04"))  # never started
    refused(bk.engine, uc.PeriodNotFound, lambda: bk.reopen("fund", "2026-04"))
    refused(bk.engine, PeriodNotInState, lambda: bk.sign("fund", "2026-04"))
    refused(bk.engine, UnknownEntity, lambda: bk.close("chamber", "2026-04"))
    refused(bk.engine, UnknownEntity, lambda: bk.state("chamber", "2026-04"))
    for label in ("2026-13", "2026-4", "26", "", "2026-04-01"):
        refused(bk.engine, InvalidInput, lambda label=label: uc.start_closing(
            bk.uow, bk.admin, "fund", label))
    refused(bk.engine, ValueError, lambda: uc.sign_off(bk.uow, bk.auditor, "fund", "2026-04",
                                                       opinion="glowing"))  # type: ignore[arg-type]
    refused(bk.engine, InvalidInput, lambda: uc.reopen_period(
        bk.uow, bk.admin, "fund", "2026-04", reason="x" * 501))
    bk.close("fund", "2026-04")
    refused(bk.engine, InvalidInput, lambda: uc.sign_off(
        bk.uow, bk.auditor, "fund", "2026-04", opinion=Opinion.UNQUALIFIED, notes="x" * 4001))
    assert bk.sign("fund", "2026-04").audited


def test_periods_besides_the_main_flow(bk: Books) -> None:
    """In this order, on empty books: a period never closed is open; empty books close at
    the genesis head and sign off; reopening an unsigned period voids nothing; the periods
    are listed latest first; refusals write nothing."""
    a_period_never_closed_is_open(bk)
    empty_books_close_at_the_genesis_head(bk)
    reopening_an_unsigned_period_voids_nothing(bk)
    periods_are_listed_latest_first(bk)
    refusals_write_nothing(bk)


def test_a_closing_period_goes_back_to_open_or_is_refused_cleanly(bk: Books) -> None:
    uc.start_closing(bk.uow, bk.admin, "fund", "2026-01")
    before = snapshot(bk.engine)
    try:
        state = bk.reopen("fund", "2026-01", reason="误操作，撤回结账")
    except LedgerError:  # a clean refusal is fine as well, if it writes nothing
        assert snapshot(bk.engine) == before
        return
    assert (state.status, bk.state("fund", "2026-01").status) == (PeriodStatus.OPEN,
                                                                  PeriodStatus.OPEN)
