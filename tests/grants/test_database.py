"""The database guards of migration 0006, tried with raw SQL behind the use cases' back, on
SQLite and on PostgreSQL: votes and scores only by a reviewer who declared no conflict, one
vote each, commitments within a round's budget, releases within their restricted income, kept
records never changed or deleted, grants and paid tranches fixed, the final tranche only after
a passed evaluation, no TRUNCATE.

Every statement runs in a transaction of its own. A refused one must name the rule that
refused it; a control that must be accepted is rolled back afterwards, and so is anything a
guard wrongly lets through, so the books stay sound for the after-test checks (no test here
needs the `tampers` marker)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine, inspect, text

from ledger import applications as apps
from ledger import foundation, reviews, rounds
from ledger import grants as grants_uc
from ledger.core.grants import EvaluationResult, IncomeSource, Majority, Restriction

from ..raw_sql import Guards, attempt
from .helpers import PDF_BYTES, Programme, scores, yuan

#: The tables of migration 0006 (as the migration lists them).
KEPT = ("incomes", "restriction_releases", "declarations", "scores", "votes",
        "assembly_votes", "resolutions", "evaluations", "clawbacks", "attachments")
NOT_DELETED = ("grantees", "grant_rounds", "round_criteria", "round_reviewers",
               "applications", "application_budget_lines", "application_tranches", "grants",
               "grant_tranches")
LEDGER = ("journal_entries", "postings", "audit_log")
KEPT_WORDS = ("records are kept", "append-only")  # SQLite's message, PostgreSQL's
STAMP = "2026-11-01 08:00:00+00:00"


@dataclass
class Kept:
    """What the use cases recorded, as parameters for the raw statements."""

    ids: dict[str, int]

    def __getitem__(self, name: str) -> int:
        return self.ids[name]


@pytest.fixture
def kept(prog: Programme) -> Kept:
    """A row in every table of 0006. Round (budget 300,000.00, reviewers board1-board4) with
    `granted` (grant #`grant`: 200,000.00 in tranches of 100,000.00 paid, 60,000.00 and
    40,000.00 final, latest evaluation failed, 10,000.00 clawed back), `small` (grant
    #`closed`, 30,000.00, closed early), `spare` (nothing yet) and `pending` (board1 declared
    no conflict, board2 a conflict, board3 nothing; an assembly vote; an attachment).
    70,000.00 of the budget is left. Income: 1,000,000.00 unrestricted, 50,000.00 for a
    purpose (10,000.00 released), 100,000.00 for the round (released by the grant)."""
    uow, fm = prog.uow, prog.fm
    lottery = prog.income("1000000.00")
    purpose = prog.income("50000.00", source=IncomeSource.FISCAL, on=date(2026, 1, 12),
                          restriction=Restriction.PURPOSE, purpose="应急救援队装备")
    foundation.release_restriction(uow, fm, purpose.id, amount=yuan("10000.00"),
                                   on=date(2026, 1, 20), reason="装备已采购")
    found = prog.round("300000.00", quorum=2, majority=Majority.SIMPLE,
                       reviewers=("board1", "board2", "board3", "board4"), open_it=False)
    for_round = prog.income("100000.00", source=IncomeSource.ENTERPRISE, on=date(2026, 1, 10),
                            restriction=Restriction.ROUND, round_id=found.id)
    rounds.open_round(uow, fm, found.id)
    granted = prog.apply(found.id, "200000.00", "100000.00", "60000.00", "40000.00")
    small = prog.apply(found.id, "30000.00")
    pending = prog.apply(found.id, "50000.00")
    spare = prog.apply(found.id, "40000.00")
    apps.add_attachment(uow, fm, pending.id, filename="plan.pdf", content=PDF_BYTES)
    rounds.start_review(uow, fm, found.id)
    for application in (granted, small):
        prog.pass_votes(application.id, ("board1", "board2"))
    reviews.score(uow, prog.board("board1"), granted.id, scores(80, 70, 60))
    prog.declare(granted.id, "board3", conflicted=True)
    prog.declare(pending.id, "board1")
    prog.declare(pending.id, "board2", conflicted=True)
    reviews.record_assembly_vote(uow, fm, pending.id, held_on=date(2026, 3, 1), votes_for=41,
                                 against=30, abstain=10)
    grant = prog.resolve(granted.id).grant_id
    closed = prog.resolve(small.id).grant_id
    assert grant is not None
    assert closed is not None
    grants_uc.pay_tranche(uow, fm, grant, number=1, on=date(2026, 4, 1))
    grants_uc.evaluate(uow, fm, grant, evaluated_on=date(2026, 9, 1), evaluators="评估组",
                       result=EvaluationResult.FAILED)
    grants_uc.claw_back(uow, fm, grant, amount=yuan("10000.00"), on=date(2026, 9, 2),
                        reason="审计调整")
    grants_uc.close_grant(uow, fm, closed, on=date(2026, 4, 1), reason="提前结束")
    with prog.engine.connect() as conn:
        criterion = conn.execute(text("SELECT min(id) FROM round_criteria")).scalar_one()
        commit_seq = conn.execute(text("SELECT commit_entry_seq FROM grants WHERE id = :id"),
                                  {"id": grant}).scalar_one()
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in (*KEPT, *NOT_DELETED)}
    assert all(counts.values()), counts  # every table has something to break
    users = {name: prog.people.user_id(name) for name in prog.people.users}
    return Kept({"round": found.id, "granted": granted.id, "small": small.id,
                 "pending": pending.id, "spare": spare.id, "grant": grant, "closed": closed,
                 "lottery": lottery.id, "purpose": purpose.id, "for_round": for_round.id,
                 "lottery_seq": lottery.entry_seq, "purpose_seq": purpose.entry_seq,
                 "commit_seq": commit_seq, "criterion": criterion,
                 "grantee": granted.grantee_id, **users})


# --- running raw SQL --------------------------------------------------------------------------
def snapshot(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of the tables of 0006 and of the ledger's tables."""
    with engine.connect() as conn:
        tables = [t for t in inspect(conn).get_table_names()
                  if t in (*KEPT, *NOT_DELETED, *LEDGER)]
        return {t: sorted(tuple(str(v) for v in row)
                          for row in conn.execute(text(f"SELECT * FROM {t}")))
                for t in tables}


_guards = Guards(snapshot)
refused, accepted = _guards.refused, _guards.accepted


def vote(application: str, user: str, choice: str = "for") -> str:
    return (f"INSERT INTO votes (application_id, user_id, choice, cast_at)"
            f" VALUES (:{application}, :{user}, '{choice}', '{STAMP}')")


def score(application: str, user: str) -> str:
    return (f"INSERT INTO scores (application_id, user_id, criterion_id, score, scored_at)"
            f" VALUES (:{application}, :{user}, :criterion, 90, '{STAMP}')")


def declaration(application: str, user: str, conflicted: bool = False) -> str:
    return (f"INSERT INTO declarations (application_id, user_id, conflicted, note,"
            f" declared_at) VALUES (:{application}, :{user}, {str(conflicted).lower()}, '',"
            f" '{STAMP}')")


# --- declarations, scores and votes -----------------------------------------------------------
VOTE_RULE = ("a vote needs a reviewer who declared no conflict",)
SCORE_RULE = ("a score needs a reviewer who declared no conflict",)
DECLARE_RULE = ("only reviewers of the round declare interests",)
DUPLICATE = ("unique constraint",)


def votes_and_scores_need_a_reviewer_who_declared_no_conflict(engine: Engine,
                                                                   kept: Kept) -> None:
    accepted(engine, kept, vote("pending", "board1"))  # the control: declared, no conflict
    accepted(engine, kept, score("pending", "board1"))
    accepted(engine, kept, declaration("pending", "board3", conflicted=True))
    refused(engine, kept, [
        vote("pending", "board2"),  # declared a conflict
        vote("pending", "board3", "against"),  # declared nothing
        vote("pending", "board6"),  # a board member, not a reviewer of the round
        vote("pending", "fm1"),
        vote("granted", "board3"),  # recused on that one
    ], VOTE_RULE)
    refused(engine, kept, [score("pending", "board2"), score("pending", "board3"),
                           score("pending", "board6"), score("pending", "fm1"),
                           score("granted", "board3")], SCORE_RULE)
    refused(engine, kept, [declaration("pending", "board6"), declaration("pending", "fm1"),
                           declaration("pending", "board5")], DECLARE_RULE)
    # a reviewer who declared no conflict scores only the criteria of the application's round
    assert any(word in (attempt(engine, [
        "INSERT INTO grant_rounds (title, description, eligibility, budget, opens_on, closes_on,"
        " quorum, majority, assembly_required, status, created_at, created_by) VALUES ('other',"
        f" 'd', 'e', 100, '2026-01-01', '2026-12-31', 1, 'simple', false, 'draft', '{STAMP}',"
        " 'raw')",
        "INSERT INTO round_criteria (round_id, position, name, weight) SELECT max(id), 1,"
        " 'other', 100 FROM grant_rounds",
        "INSERT INTO scores (application_id, user_id, criterion_id, score, scored_at) SELECT"
        f" :pending, :board1, max(id), 90, '{STAMP}' FROM round_criteria",
    ], kept.ids) or "") for word in ("on a criterion of the round",))
    # even in one transaction, a non-reviewer cannot declare first and then vote
    assert any(word in (attempt(engine, [declaration("pending", "board6"),
                                         vote("pending", "board6")], kept.ids) or "")
               for word in DECLARE_RULE)


def one_vote_one_declaration_and_one_score_per_criterion(engine: Engine,
                                                               kept: Kept) -> None:
    refused(engine, kept, [vote("granted", "board1"), vote("granted", "board2", "against"),
                           declaration("granted", "board1"),
                           declaration("pending", "board2"),  # clearing a conflict
                           score("granted", "board1")], DUPLICATE)


# --- kept records -----------------------------------------------------------------------------
def kept_records_are_never_updated_or_deleted(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        "UPDATE incomes SET amount = amount + 1 WHERE id = :lottery",
        "UPDATE incomes SET restriction = 'none', purpose = NULL WHERE id = :purpose",
        "UPDATE incomes SET donor = donor",  # even a no-op
        "UPDATE restriction_releases SET amount = 1",
        "UPDATE declarations SET conflicted = NOT conflicted WHERE user_id = :board2",
        "UPDATE declarations SET note = 'x'",
        "UPDATE scores SET score = 100",
        "UPDATE votes SET choice = 'against' WHERE user_id = :board1",
        "UPDATE assembly_votes SET votes_for = 0",
        "UPDATE resolutions SET passed = NOT passed",
        "UPDATE resolutions SET votes_for = votes_for + 5",
        "UPDATE evaluations SET result = 'passed' WHERE grant_id = :grant",
        "UPDATE clawbacks SET amount = amount + 100",
        "UPDATE attachments SET content_type = 'image/png'",
        "UPDATE attachments SET filename = 'other.pdf'",
        *[f"DELETE FROM {table}" for table in KEPT],
        "DELETE FROM votes WHERE application_id = :granted AND user_id = :board2",
        "DELETE FROM declarations WHERE user_id = :board2",  # undo a recusal
        "DELETE FROM evaluations WHERE grant_id = :grant",
        "DELETE FROM restriction_releases WHERE income_id = :purpose",
    ], KEPT_WORDS)


def grant_records_are_never_deleted(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        *[f"DELETE FROM {table}" for table in NOT_DELETED],
        "DELETE FROM grants WHERE id = :grant",
        "DELETE FROM grant_rounds WHERE id = :round",
        "DELETE FROM applications WHERE id = :pending",
        "DELETE FROM grant_tranches WHERE grant_id = :grant AND number = 3",
        "DELETE FROM round_reviewers WHERE user_id = :board2",
        "DELETE FROM grantees WHERE id = :grantee",
    ], KEPT_WORDS)


def truncate_is_refused_on_postgresql(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [f"TRUNCATE {table} CASCADE" for table in (*KEPT, *NOT_DELETED)],
            ("append-only",))
    # tables nothing refers to are refused by their own trigger
    before = snapshot(engine)
    for table in ("votes", "scores", "declarations", "evaluations", "clawbacks",
                  "restriction_releases", "attachments", "assembly_votes", "resolutions",
                  "grant_tranches", "application_tranches", "application_budget_lines",
                  "round_reviewers"):
        message = attempt(engine, [f"TRUNCATE {table}"], kept.ids)
        assert message is not None
        assert f"truncate on {table} refused" in message
    assert snapshot(engine) == before


# --- budgets and restricted money -------------------------------------------------------------
def grant(application: str, amount_fen: int, seq: str = "lottery_seq") -> str:
    return ("INSERT INTO grants (id, application_id, round_id, grantee_id, amount, status,"
            " commit_entry_seq, committed_on, created_at, created_by)"
            f" VALUES (99, :{application}, :round, :grantee, {amount_fen}, 'active',"
            f" :{seq}, '2026-03-20', '{STAMP}', 'raw')")


def commitments_never_exceed_the_round_budget(engine: Engine, kept: Kept) -> None:
    accepted(engine, kept, grant("pending", 7_000_000))  # exactly the 70,000.00 left
    refused(engine, kept, [grant("pending", 7_000_001), grant("pending", 30_000_000)],
            ("commitments would exceed the round budget",))
    # two inserts in one transaction: the second sees the first
    second = grant("spare", 3_000_001, seq="purpose_seq").replace("VALUES (99", "VALUES (98")
    message = attempt(engine, [grant("pending", 4_000_000), second], kept.ids)
    assert message is not None
    assert "commitments would exceed the round budget" in message


def a_round_budget_never_drops_below_its_commitments(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, ["UPDATE grant_rounds SET budget = 100 WHERE id = :round",
                           "UPDATE grant_rounds SET budget = 22999999 WHERE id = :round"],
            ("commitments would exceed the round budget",))
    accepted(engine, kept, "UPDATE grant_rounds SET budget = 23000000 WHERE id = :round")


def release(income: str, amount_fen: int, *, restored: bool = False) -> str:
    return ("INSERT INTO restriction_releases (income_id, amount, released_on, reason,"
            " restored, entry_seq, created_at, created_by)"
            f" VALUES (:{income}, {amount_fen}, '2026-02-01', 'raw', {str(restored).lower()},"
            f" :lottery_seq, '{STAMP}', 'raw')")


def releases_never_exceed_their_restricted_income(engine: Engine, kept: Kept) -> None:
    accepted(engine, kept, release("purpose", 4_000_000))  # exactly the 40,000.00 left
    # the round's money: 100,000.00 released by the grant, 10,000.00 restricted again by its
    # clawback
    accepted(engine, kept, release("for_round", 1_000_000))
    accepted(engine, kept, release("for_round", 9_000_000, restored=True))
    refused(engine, kept, [release("purpose", 4_000_001),
                           release("for_round", 1_000_001),
                           release("for_round", 9_000_001, restored=True),
                           release("purpose", 1_000_001, restored=True),
                           release("lottery", 1)],  # unrestricted: nothing to release
            ("more released than the restricted income",))


# --- grants and tranches ----------------------------------------------------------------------
GRANT_RULE = ("a grant changes only its status, once, when it ends",)
TRANCHE_RULE = ("a tranche is paid once and its schedule never changes",)
FINAL_RULE = ("the final tranche needs a passed evaluation",)


def a_grant_never_changes_but_for_its_end(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        "UPDATE grants SET amount = amount - 1 WHERE id = :grant",
        "UPDATE grants SET amount = amount + 1 WHERE id = :grant",
        "UPDATE grants SET round_id = round_id + 1 WHERE id = :grant",
        "UPDATE grants SET application_id = :pending WHERE id = :grant",
        "UPDATE grants SET grantee_id = grantee_id + 1 WHERE id = :grant",
        "UPDATE grants SET commit_entry_seq = :lottery_seq WHERE id = :grant",
        "UPDATE grants SET committed_on = '2026-01-01' WHERE id = :grant",
        # an ended grant never changes again
        "UPDATE grants SET status = 'active', ended_on = NULL WHERE id = :closed",
        "UPDATE grants SET unspent_entry_seq = :lottery_seq WHERE id = :closed",
        "UPDATE grants SET ended_on = '2026-12-31' WHERE id = :closed",
    ], GRANT_RULE)
    # the control: an active grant ends
    accepted(engine, kept, "UPDATE grants SET status = 'completed', ended_on = '2026-10-01'"
                           " WHERE id = :grant")


def pay(number: int) -> str:
    return ("UPDATE grant_tranches SET paid_on = '2026-10-01', entry_seq = :lottery_seq"
            f" WHERE grant_id = :grant AND number = {number}")


def evaluation(on: str, result: str) -> str:
    return ("INSERT INTO evaluations (grant_id, evaluated_on, evaluators, result, notes,"
            f" created_at, created_by) VALUES (:grant, '{on}', 'raw', '{result}', '',"
            f" '{STAMP}', 'raw')")


def tranches_are_paid_once_and_never_rescheduled(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        "UPDATE grant_tranches SET amount = amount + 1 WHERE grant_id = :grant AND number = 1",
        "UPDATE grant_tranches SET paid_on = '2026-04-02' WHERE grant_id = :grant"
        " AND number = 1",
        "UPDATE grant_tranches SET paid_on = NULL, entry_seq = NULL WHERE grant_id = :grant"
        " AND number = 1",  # unpaying
        "UPDATE grant_tranches SET amount = amount - 100 WHERE grant_id = :grant"
        " AND number = 2",  # not yet paid, but the schedule is fixed
        "UPDATE grant_tranches SET due_on = '2027-01-01' WHERE grant_id = :grant"
        " AND number = 2",
        "UPDATE grant_tranches SET final = NOT final WHERE grant_id = :grant AND number = 3",
        "UPDATE grant_tranches SET final = NOT final WHERE grant_id = :grant AND number = 2",
        "UPDATE grant_tranches SET number = number + 10 WHERE grant_id = :grant"
        " AND number = 3",
    ], TRANCHE_RULE)
    accepted(engine, kept, pay(2))  # the control: an unpaid tranche is paid


def the_final_tranche_needs_a_passed_latest_evaluation(engine: Engine,
                                                            kept: Kept) -> None:
    refused(engine, kept, [pay(3)], FINAL_RULE)  # the latest evaluation failed
    # a passed evaluation dated before the failed one is not the latest
    message = attempt(engine, [evaluation("2026-08-31", "passed"), pay(3)], kept.ids)
    assert message is not None
    assert FINAL_RULE[0] in message
    # nor is a failed one the same day after a passed one (the later row wins the tie)
    message = attempt(engine, [evaluation("2026-09-05", "passed"),
                               evaluation("2026-09-05", "failed"), pay(3)], kept.ids)
    assert message is not None
    assert FINAL_RULE[0] in message
    accepted(engine, kept, evaluation("2026-09-05", "passed"), pay(3))


def the_final_tranche_of_a_grant_never_evaluated(engine: Engine, kept: Kept) -> None:
    """Grant #`closed` has one tranche, final, and no evaluation; it ended, but its tranche
    row is still unpaid."""
    statement = pay(1).replace(":grant", ":closed")
    refused(engine, kept, [statement], FINAL_RULE)


def a_paid_final_tranche_cannot_be_inserted(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        "INSERT INTO grant_tranches (grant_id, number, due_on, amount, final, paid_on,"
        " entry_seq) VALUES (:grant, 4, '2026-12-01', 100, true, '2026-10-01', :lottery_seq)",
    ], FINAL_RULE)


# --- checks -----------------------------------------------------------------------------------
def check_constraints(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        "INSERT INTO resolutions (application_id, decided_on, votes_for, against, abstain,"
        " recused, quorum, passed, reason, decided_at, decided_by) VALUES (:pending,"
        f" '2026-03-20', 1, 0, 0, 0, 2, true, 'passed', '{STAMP}', 'raw')",
    ], ("ck_resolutions_quorum_met",))
    refused(engine, kept, [
        "INSERT INTO incomes (id, source, donor, anonymous, amount, received_on, restriction,"
        " purpose, round_id, account, reference, entry_seq, created_at, created_by) VALUES"
        f" (99, 'fiscal', 'raw', false, 100, '2026-01-01', 'none', NULL, :round, '450101',"
        f" '', :commit_seq, '{STAMP}', 'raw')",
    ], ("ck_incomes_round",))
    refused(engine, kept, [
        "INSERT INTO scores (application_id, user_id, criterion_id, score, scored_at)"
        f" VALUES (:pending, :board1, :criterion, 101, '{STAMP}')",
    ], ("ck_scores_score",))
    refused(engine, kept, [
        "INSERT INTO grantees (name_zh, credit_code, registration, contact_name,"
        " contact_phone, bank_name, bank_account, created_at, created_by) VALUES ('x',"
        f" '123', 'registered', 'x', 'x', 'x', 'x', '{STAMP}', 'raw')",
    ], ("ck_grantees_credit_code_length",))


# --- the tests: one database each, every guard of a kind tried in it --------------------------
def test_only_a_reviewer_who_declared_no_conflict_votes_or_scores_once(engine: Engine,
                                                                        kept: Kept) -> None:
    votes_and_scores_need_a_reviewer_who_declared_no_conflict(engine, kept)
    one_vote_one_declaration_and_one_score_per_criterion(engine, kept)


def test_records_are_never_changed_deleted_or_truncated(engine: Engine, kept: Kept) -> None:
    kept_records_are_never_updated_or_deleted(engine, kept)
    grant_records_are_never_deleted(engine, kept)
    if engine.dialect.name == "postgresql":  # SQLite has no TRUNCATE (DELETE is tried above)
        truncate_is_refused_on_postgresql(engine, kept)


def test_commitments_releases_and_checks(engine: Engine, kept: Kept) -> None:
    commitments_never_exceed_the_round_budget(engine, kept)
    a_round_budget_never_drops_below_its_commitments(engine, kept)
    releases_never_exceed_their_restricted_income(engine, kept)
    check_constraints(engine, kept)


def test_grants_and_tranches_are_fixed_and_the_final_one_needs_a_passed_evaluation(
        engine: Engine, kept: Kept) -> None:
    a_grant_never_changes_but_for_its_end(engine, kept)
    tranches_are_paid_once_and_never_rescheduled(engine, kept)
    the_final_tranche_needs_a_passed_latest_evaluation(engine, kept)
    the_final_tranche_of_a_grant_never_evaluated(engine, kept)
    a_paid_final_tranche_cannot_be_inserted(engine, kept)
