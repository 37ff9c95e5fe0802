"""Minutes of a board resolution on a grant application (决议纪要), as data and as a PDF.

The data is built from the ledger's own records (the review, the application, its round, the
grantee and the grant committed), so the minutes show exactly what the books hold: who reviewed,
who declared a conflict and was recused (and not counted), the scores, the votes against the
quorum and majority rule, the residents' assembly vote, every resolution and the grant it
committed. `board_minutes` is pure; `minutes_pdf` reads the records and renders them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from moneyed import Money

from ledger import staff
from ledger.applications import Application, get_application
from ledger.books import now
from ledger.core.chart import FOUNDATION
from ledger.core.grants import ApplicationStatus, Choice, Majority
from ledger.core.money import format_amount, rmb_upper
from ledger.db.session import UnitOfWork
from ledger.grantees import Grantee, grantee
from ledger.grants import Grant, get_grant
from ledger.reviews import Review, review
from ledger.rounds import Round, get_round

from .pdf import render_pdf

MAJORITIES = {
    Majority.SIMPLE: ("简单多数：赞成票超过所投票数的一半",
                      "Simple majority: more than half of the votes cast are for"),
    Majority.TWO_THIRDS: ("三分之二多数：赞成票不少于所投票数的三分之二",
                          "Two-thirds majority: at least two thirds of the votes cast are for"),
}
OUTCOMES = {
    "passed": ("通过，予以资助", "Passed: the grant is committed"),
    "no_quorum": ("未达法定人数，不作决定", "No quorum: no decision"),
    "majority_against": ("未获多数赞成，不予资助", "Majority against: not funded"),
    "assembly_missing": ("缺居民代表大会表决，暂不作决定",
                         "Residents' assembly vote missing: no decision yet"),
    "assembly_against": ("居民代表大会未通过，不予资助",
                         "Residents' assembly against: not funded"),
}
CHOICES = {Choice.FOR: ("赞成", "For"), Choice.AGAINST: ("反对", "Against"),
           Choice.ABSTAIN: ("弃权", "Abstain")}
STATUSES = {
    ApplicationStatus.SUBMITTED: ("待决", "Pending"),
    ApplicationStatus.APPROVED: ("已批准", "Approved"),
    ApplicationStatus.REJECTED: ("未获批准", "Rejected"),
    ApplicationStatus.WITHDRAWN: ("已撤回", "Withdrawn"),
}
NONE = "—"


@dataclass(frozen=True, slots=True)
class ReviewerLine:
    """One reviewer of the round: declaration, weighted score and vote on this application."""

    name: str
    declared: bool
    recused: bool
    weighted: str
    vote_zh: str
    vote_en: str


@dataclass(frozen=True, slots=True)
class Recusal:
    name: str
    note: str
    declared_at: str  # UTC


@dataclass(frozen=True, slots=True)
class CriterionLine:
    name: str
    weight: str


@dataclass(frozen=True, slots=True)
class ScoreLine:
    reviewer: str
    scores: tuple[str, ...]  # in the order of the round's criteria
    weighted: str


@dataclass(frozen=True, slots=True)
class AssemblyLine:
    held_on: str
    votes_for: int
    against: int
    abstain: int


@dataclass(frozen=True, slots=True)
class GrantLine:
    number: str
    committed_on: str
    amount: str
    amount_upper: str


@dataclass(frozen=True, slots=True)
class ResolutionLine:
    number: int
    decided_on: str
    votes_for: int
    against: int
    abstain: int
    cast: int
    recused: int
    quorum: int
    quorate: bool
    passed: bool
    outcome_zh: str
    outcome_en: str
    decided_by: str
    grant_number: str | None


@dataclass(frozen=True, slots=True)
class Minutes:
    foundation_zh: str
    foundation_en: str
    application_id: int
    round_id: int
    round_title: str
    round_budget: str
    reviewer_count: int
    quorum: int
    majority_zh: str
    majority_en: str
    assembly_required: bool
    title: str
    applicant_zh: str
    applicant_en: str | None
    credit_code: str
    submitted_on: str
    requested: str
    requested_upper: str
    status_zh: str
    status_en: str
    reviewers: tuple[ReviewerLine, ...]
    present: int
    recusals: tuple[Recusal, ...]
    criteria: tuple[CriterionLine, ...]
    scores: tuple[ScoreLine, ...]
    mean_score: str
    votes_for: int
    against: int
    abstain: int
    cast: int
    recused: int
    quorate: bool
    assembly: AssemblyLine | None
    resolutions: tuple[ResolutionLine, ...]
    grant: GrantLine | None
    issued_at: str


def _grouped(money: Money) -> str:
    """1234567.89 -> '1,234,567.89', exactly (no floats)."""
    whole, dot, cents = format_amount(money).partition(".")
    return f"{int(whole):,}{dot}{cents}"


def _name(username: str, names: Mapping[str, str]) -> str:
    shown = names.get(username, username)
    return username if shown == username else f"{shown}（{username}）"


def grant_number(grant_id: int) -> str:
    return f"#{grant_id}"


def board_minutes(found: Review, application: Application, round_: Round, applicant: Grantee,
                  grant: Grant | None, *, names: Mapping[str, str], issued_at: datetime
                  ) -> Minutes:
    """The minutes of the application's review and resolutions, from the ledger's records.

    `names` maps usernames to display names; `grant` is the grant the resolution committed.
    """
    declarations = {d.reviewer: d for d in found.declarations}
    weighted = {s.reviewer: s.weighted for s in found.scores}
    votes = dict(found.votes)
    reviewers = []
    for username in found.reviewers:
        declared = declarations.get(username)
        recused = bool(declared and declared.conflicted)
        choice = votes.get(username)
        vote_zh, vote_en = (("回避", "Recused") if recused else
                            CHOICES[choice] if choice else (NONE, NONE))
        reviewers.append(ReviewerLine(
            name=_name(username, names), declared=declared is not None, recused=recused,
            weighted=str(weighted[username]) if username in weighted else NONE,
            vote_zh=vote_zh, vote_en=vote_en))
    majority_zh, majority_en = MAJORITIES[Majority(found.majority)]
    status_zh, status_en = STATUSES[application.status]
    tally = found.tally
    assembly = found.assembly
    return Minutes(
        foundation_zh=FOUNDATION.name_zh, foundation_en=FOUNDATION.name_en,
        application_id=application.id, round_id=round_.id, round_title=round_.title,
        round_budget=_grouped(round_.budget), reviewer_count=len(round_.reviewers),
        quorum=round_.quorum, majority_zh=majority_zh, majority_en=majority_en,
        assembly_required=round_.assembly_required, title=application.title,
        applicant_zh=applicant.name_zh, applicant_en=applicant.name_en,
        credit_code=applicant.credit_code, submitted_on=application.submitted_on.isoformat(),
        requested=_grouped(application.requested),
        requested_upper=rmb_upper(application.requested), status_zh=status_zh,
        status_en=status_en, reviewers=tuple(reviewers),
        present=sum(1 for r in reviewers if r.declared),
        recusals=tuple(Recusal(_name(d.reviewer, names), d.note,
                               d.declared_at.strftime("%Y-%m-%d %H:%M"))
                       for d in found.declarations if d.conflicted),
        criteria=tuple(CriterionLine(c.name, f"{c.weight} %") for c in round_.criteria),
        scores=tuple(ScoreLine(_name(s.reviewer, names),
                               tuple(str(s.scores.get(c.name, NONE)) for c in round_.criteria),
                               str(s.weighted)) for s in found.scores),
        mean_score=NONE if found.score is None else str(found.score),
        votes_for=tally.votes_for, against=tally.against, abstain=tally.abstain,
        cast=tally.cast, recused=tally.recused, quorate=tally.cast >= found.quorum,
        assembly=None if assembly is None else AssemblyLine(
            assembly.held_on.isoformat(), assembly.votes_for, assembly.against,
            assembly.abstain),
        resolutions=tuple(ResolutionLine(
            number=i, decided_on=r.decided_on.isoformat(), votes_for=r.votes_for,
            against=r.against, abstain=r.abstain, cast=r.votes_for + r.against + r.abstain,
            recused=r.recused, quorum=r.quorum,
            quorate=r.votes_for + r.against + r.abstain >= r.quorum, passed=r.passed,
            outcome_zh=OUTCOMES.get(r.reason, (r.reason, r.reason))[0],
            outcome_en=OUTCOMES.get(r.reason, (r.reason, r.reason))[1],
            decided_by=_name(r.decided_by, names),
            grant_number=None if r.grant_id is None else grant_number(r.grant_id))
            for i, r in enumerate(found.resolutions, 1)),
        grant=None if grant is None else GrantLine(
            grant_number(grant.id), grant.committed_on.isoformat(), _grouped(grant.amount),
            rmb_upper(grant.amount)),
        issued_at=issued_at.strftime("%Y-%m-%d %H:%M"))


def minutes_document(uow: UnitOfWork, application_id: int, *, issued_at: datetime) -> Minutes:
    """Read the application's records through the use cases and build its minutes."""
    found = review(uow, application_id)
    application = get_application(uow, application_id)
    grant_id = next((r.grant_id for r in found.resolutions if r.grant_id is not None), None)
    names = {u.username: u.display_name for u in staff.users(uow)}
    return board_minutes(found, application, get_round(uow, application.round_id),
                         grantee(uow, application.grantee_id),
                         None if grant_id is None else get_grant(uow, grant_id),
                         names=names, issued_at=issued_at)


def render_minutes(minutes: Minutes) -> bytes:
    return render_pdf("minutes.html", minutes=minutes,
                      title=f"决议纪要 Minutes · 申请 Application #{minutes.application_id}")


def minutes_pdf(uow: UnitOfWork, application_id: int) -> bytes:
    """The minutes of every resolution on the application, as PDF bytes."""
    return render_minutes(minutes_document(uow, application_id, issued_at=now()))
