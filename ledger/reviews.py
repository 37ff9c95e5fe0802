"""Review and resolution (评审立项): each reviewer of the round declares any conflict of
interest first; a conflicted member neither scores nor votes and is counted as recused.
Reviewers score each criterion; applications rank by their mean weighted score. The board
votes, and a resolution passes only with the round's quorum of distinct non-conflicted
members voting and its majority rule met (and the residents' assembly, when required).

A resolution without a quorum is recorded and leaves the application undecided; one that
fails its majority rejects it; one that passes commits the grant, within what the round's
budget still reserves, inside the books' write lock so concurrent resolutions cannot
over-commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from moneyed import Money
from sqlalchemy import select

from ledger.applications import application_row
from ledger.books import now
from ledger.core.errors import AlreadyExists, InvalidInput
from ledger.core.grants import (
    AlreadyVoted,
    ApplicationNotInState,
    ApplicationStatus,
    Choice,
    ConflictOfInterest,
    Criterion,
    DeclarationMissing,
    Majority,
    NotAReviewer,
    OverCommitted,
    RoundNotInState,
    RoundStatus,
    Tally,
    check_scores,
    decide,
    mean_score,
    weighted_score,
)
from ledger.core.money import from_minor
from ledger.core.staff import Actor, Role
from ledger.db import grants as db
from ledger.db.models import (
    ApplicationRow,
    AssemblyVoteRow,
    DeclarationRow,
    GranteeRow,
    GrantRow,
    ResolutionRow,
    ReviewerRow,
    RoundRow,
    ScoreRow,
    VoteRow,
)
from ledger.db.session import Session, UnitOfWork
from ledger.foundation import availability_in
from ledger.grants import commit_in
from ledger.recording import audit, text
from ledger.rounds import criteria_of, reviewers_of, round_row


@dataclass(frozen=True, slots=True)
class Declaration:
    reviewer: str
    conflicted: bool
    note: str
    declared_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewerScore:
    reviewer: str
    scores: dict[str, int]  # criterion name -> 0..100
    weighted: Decimal


@dataclass(frozen=True, slots=True)
class AssemblyVote:
    held_on: date
    votes_for: int
    against: int
    abstain: int


@dataclass(frozen=True, slots=True)
class Resolution:
    id: int
    application_id: int
    decided_on: date
    votes_for: int
    against: int
    abstain: int
    recused: int
    quorum: int
    passed: bool
    reason: str
    decided_by: str
    grant_id: int | None


@dataclass(frozen=True, slots=True)
class Review:
    """Where the review of one application stands."""

    application_id: int
    round_id: int
    reviewers: tuple[str, ...]
    declarations: tuple[Declaration, ...]
    scores: tuple[ReviewerScore, ...]
    score: Decimal | None
    votes: tuple[tuple[str, Choice], ...]
    tally: Tally
    quorum: int
    majority: str
    assembly_required: bool
    assembly: AssemblyVote | None
    resolutions: tuple[Resolution, ...]


@dataclass(frozen=True, slots=True)
class Ranked:
    application_id: int
    title: str
    grantee: str
    requested: Money
    status: ApplicationStatus
    score: Decimal | None
    scored_by: int


@dataclass(frozen=True, slots=True)
class QueueItem:
    """An application a reviewer still has something to do on."""

    application_id: int
    round_id: int
    round_title: str
    title: str
    grantee: str
    declared: bool
    conflicted: bool
    scored: bool
    voted: bool


# --- checks -----------------------------------------------------------------------------------
def _reviewing(session: Session, actor: Actor, application_id: int, *,
               stages: tuple[RoundStatus, ...] = (RoundStatus.REVIEW,)
               ) -> tuple[ApplicationRow, RoundRow]:
    application = application_row(session, application_id, lock=True)
    found = round_row(session, application.round_id)
    if actor.user_id not in reviewers_of(session, found.id):
        raise NotAReviewer(f"{actor.username} is not a board reviewer of round #{found.id}")
    if found.status not in stages:
        raise RoundNotInState(f"round #{found.id} is {found.status}; this happens while it is "
                              f"{' or '.join(stages)}")
    if application.status != ApplicationStatus.SUBMITTED.value:
        raise ApplicationNotInState(f"application #{application_id} is {application.status}")
    return application, found


def _cleared(session: Session, actor: Actor, application_id: int) -> None:
    """The reviewer declared, and declared no conflict."""
    declared = session.get(DeclarationRow, (application_id, actor.user_id))
    if declared is None:
        raise DeclarationMissing("declare any conflict of interest on this application first")
    if declared.conflicted:
        raise ConflictOfInterest(f"{actor.username} declared a conflict of interest on "
                                 f"application #{application_id} and is recused")


# --- use cases --------------------------------------------------------------------------------
def declare(uow: UnitOfWork, actor: Actor, application_id: int, *, conflicted: bool,
            note: str = "") -> Declaration:
    """A reviewer's declaration of interest, made once, before scoring or voting."""
    why = text(note, "note", 300, required=conflicted)

    def work(session: Session) -> Declaration:
        _reviewing(session, actor, application_id,
                   stages=(RoundStatus.OPEN, RoundStatus.REVIEW))
        if session.get(DeclarationRow, (application_id, actor.user_id)) is not None:
            raise AlreadyExists(f"{actor.username} has declared on application "
                                f"#{application_id} already")
        row = DeclarationRow(application_id=application_id, user_id=actor.user_id,
                             conflicted=conflicted, note=why, declared_at=now())
        session.add(row)
        session.flush()
        audit(session, actor, "application.declared", "application", application_id,
              conflicted=conflicted)
        return Declaration(actor.username, conflicted, why, row.declared_at)

    return uow.write(work)


def score(uow: UnitOfWork, actor: Actor, application_id: int, scores: Mapping[str, int]
          ) -> ReviewerScore:
    """A reviewer scores every criterion once, from 0 to 100."""

    def work(session: Session) -> ReviewerScore:
        _, found = _reviewing(session, actor, application_id)
        _cleared(session, actor, application_id)
        criteria = criteria_of(session, found.id)
        check_scores(scores, [c for _, c in criteria])
        if session.scalar(select(ScoreRow.criterion_id).where(
                ScoreRow.application_id == application_id,
                ScoreRow.user_id == actor.user_id).limit(1)) is not None:
            raise AlreadyExists(f"{actor.username} has scored application #{application_id} "
                                f"already; scores are final")
        at = now()
        session.add_all([ScoreRow(application_id=application_id, user_id=actor.user_id,
                                  criterion_id=cid, score=scores[c.name], scored_at=at)
                         for cid, c in criteria])
        session.flush()
        weighted = weighted_score(scores, [c for _, c in criteria])
        audit(session, actor, "application.scored", "application", application_id,
              weighted=str(weighted))
        return ReviewerScore(actor.username, dict(scores), weighted)

    return uow.write(work)


def vote(uow: UnitOfWork, actor: Actor, application_id: int, choice: Choice) -> Choice:
    """A non-conflicted reviewer's one vote: for, against or abstain."""

    def work(session: Session) -> Choice:
        _reviewing(session, actor, application_id)
        _cleared(session, actor, application_id)
        if session.get(VoteRow, (application_id, actor.user_id)) is not None:
            raise AlreadyVoted(f"{actor.username} has voted on application "
                               f"#{application_id} already")
        session.add(VoteRow(application_id=application_id, user_id=actor.user_id,
                            choice=Choice(choice).value, cast_at=now()))
        session.flush()
        audit(session, actor, "application.voted", "application", application_id,
              choice=Choice(choice).value)
        return Choice(choice)

    return uow.write(work)


def record_assembly_vote(uow: UnitOfWork, actor: Actor, application_id: int, *,
                         held_on: date, votes_for: int, against: int, abstain: int
                         ) -> AssemblyVote:
    """The residents' representative assembly's vote (居民代表大会), recorded once."""
    if min(votes_for, against, abstain) < 0 or votes_for + against + abstain == 0:
        raise InvalidInput("the assembly's counts are whole numbers, not all zero",
                           field="votes_for")

    def work(session: Session) -> AssemblyVote:
        application = application_row(session, application_id, lock=True)
        if application.status != ApplicationStatus.SUBMITTED.value:
            raise ApplicationNotInState(f"application #{application_id} is "
                                        f"{application.status}")
        if session.get(AssemblyVoteRow, application_id) is not None:
            raise AlreadyExists(f"the assembly's vote on application #{application_id} is "
                                f"recorded already")
        session.add(AssemblyVoteRow(application_id=application_id, held_on=held_on,
                                    votes_for=votes_for, against=against, abstain=abstain,
                                    recorded_at=now(), recorded_by=actor.username))
        session.flush()
        audit(session, actor, "application.assembly_voted", "application", application_id,
              votes_for=votes_for, against=against, abstain=abstain)
        return AssemblyVote(held_on, votes_for, against, abstain)

    return uow.write(work)


def _tally(session: Session, application_id: int) -> Tally:
    choices = [c for (c,) in session.execute(
        select(VoteRow.choice).where(VoteRow.application_id == application_id))]
    recused = len(list(session.scalars(select(DeclarationRow.user_id).where(
        DeclarationRow.application_id == application_id, DeclarationRow.conflicted))))
    return Tally(votes_for=choices.count("for"), against=choices.count("against"),
                 abstain=choices.count("abstain"), recused=recused)


def _assembly(session: Session, application_id: int) -> AssemblyVote | None:
    row = session.get(AssemblyVoteRow, application_id)
    return AssemblyVote(row.held_on, row.votes_for, row.against, row.abstain) if row else None


def resolve(uow: UnitOfWork, actor: Actor, application_id: int, *, on: date) -> Resolution:
    """The board's resolution on the votes cast so far."""

    def work(session: Session) -> Resolution:
        application = application_row(session, application_id, lock=True)
        found = round_row(session, application.round_id, lock=True)
        if actor.role is not Role.ADMIN and actor.user_id not in reviewers_of(session,
                                                                            found.id):
            raise NotAReviewer(f"{actor.username} is not a board reviewer of round "
                               f"#{found.id}")
        declared = session.get(DeclarationRow, (application_id, actor.user_id))
        if declared is not None and declared.conflicted:
            raise ConflictOfInterest(f"{actor.username} is recused from application "
                                     f"#{application_id} and cannot record its resolution")
        if found.status != RoundStatus.REVIEW.value:
            raise RoundNotInState(f"round #{found.id} is {found.status}; resolutions are "
                                  f"made while it is in review")
        if application.status != ApplicationStatus.SUBMITTED.value:
            raise ApplicationNotInState(f"application #{application_id} is "
                                        f"{application.status}")
        tally = _tally(session, application_id)
        assembly = _assembly(session, application_id)
        outcome = decide(tally, quorum=found.quorum, majority=Majority(found.majority),
                         assembly=None if assembly is None else Tally(
                             assembly.votes_for, assembly.against, assembly.abstain, 0),
                         assembly_required=found.assembly_required)
        grant_id = None
        if outcome.passed:
            committed = db.committed_by_round(session).get(found.id, 0)
            room = from_minor(found.budget - committed)
            if from_minor(application.requested) > room:
                raise OverCommitted(f"round #{found.id} has {room.amount} of its budget left, "
                                    f"less than the {from_minor(application.requested).amount}"
                                    f" requested", field="application_id")
            if availability_in(session).available.amount < 0:
                raise OverCommitted("the foundation's funds no longer cover its reservations "
                                    "and commitments", field="application_id")
            grant_id = commit_in(session, uow, actor, application, on=on).id
            application.status = ApplicationStatus.APPROVED.value
        elif outcome.quorate and outcome.reason != "assembly_missing":
            application.status = ApplicationStatus.REJECTED.value
        row = ResolutionRow(application_id=application_id, decided_on=on,
                            votes_for=tally.votes_for, against=tally.against,
                            abstain=tally.abstain, recused=tally.recused, quorum=found.quorum,
                            passed=outcome.passed, reason=outcome.reason, decided_at=now(),
                            decided_by=actor.username)
        session.add(row)
        session.flush()
        audit(session, actor, "application.resolved", "application", application_id,
              passed=outcome.passed, reason=outcome.reason, grant_id=grant_id)
        return _resolution(row, grant_id)

    return uow.write(work)


def _resolution(row: ResolutionRow, grant_id: int | None) -> Resolution:
    return Resolution(id=row.id, application_id=row.application_id, decided_on=row.decided_on,
                      votes_for=row.votes_for, against=row.against, abstain=row.abstain,
                      recused=row.recused, quorum=row.quorum, passed=row.passed,
                      reason=row.reason, decided_by=row.decided_by,
                      grant_id=grant_id if row.passed else None)


# --- reading ----------------------------------------------------------------------------------
def _scores(session: Session, application_id: int, criteria: list[tuple[int, Criterion]],
            names: Mapping[int, str]) -> tuple[ReviewerScore, ...]:
    """Each reviewer's scores of an application and their weighted score."""
    by_id = dict(criteria)
    per_reviewer: dict[int, dict[str, int]] = {}
    for r in session.scalars(select(ScoreRow).where(ScoreRow.application_id == application_id)):
        per_reviewer.setdefault(r.user_id, {})[by_id[r.criterion_id].name] = r.score
    return tuple(ReviewerScore(names.get(uid, str(uid)), s,
                               weighted_score(s, [c for _, c in criteria]))
                 for uid, s in sorted(per_reviewer.items()))


def review_in(session: Session, application_id: int) -> Review:
    application = application_row(session, application_id)
    found = round_row(session, application.round_id)
    names = reviewers_of(session, found.id)
    criteria = criteria_of(session, found.id)
    declarations = tuple(
        Declaration(names.get(r.user_id, str(r.user_id)), r.conflicted, r.note, r.declared_at)
        for r in session.scalars(select(DeclarationRow).where(
            DeclarationRow.application_id == application_id)
            .order_by(DeclarationRow.declared_at)))
    scores = _scores(session, application_id, criteria, names)
    votes = tuple((names.get(r.user_id, str(r.user_id)), Choice(r.choice))
                  for r in session.scalars(select(VoteRow).where(
                      VoteRow.application_id == application_id).order_by(VoteRow.cast_at)))
    grant_id = session.scalar(select(GrantRow.id).where(
        GrantRow.application_id == application_id))
    resolutions = tuple(_resolution(r, grant_id) for r in session.scalars(
        select(ResolutionRow).where(ResolutionRow.application_id == application_id)
        .order_by(ResolutionRow.id)))
    return Review(application_id=application_id, round_id=found.id,
                  reviewers=tuple(names.values()), declarations=declarations, scores=scores,
                  score=mean_score([s.weighted for s in scores]), votes=votes,
                  tally=_tally(session, application_id), quorum=found.quorum,
                  majority=found.majority, assembly_required=found.assembly_required,
                  assembly=_assembly(session, application_id), resolutions=resolutions)


def review(uow: UnitOfWork, application_id: int) -> Review:
    return uow.read(lambda session: review_in(session, application_id))


def ranking(uow: UnitOfWork, round_id: int) -> list[Ranked]:
    """The round's applications by mean weighted score, best first (unscored last)."""

    def work(session: Session) -> list[Ranked]:
        round_row(session, round_id)
        criteria, names = criteria_of(session, round_id), reviewers_of(session, round_id)
        found = []
        for row in session.scalars(select(ApplicationRow).where(
                ApplicationRow.round_id == round_id).order_by(ApplicationRow.id)):
            grantee = session.get(GranteeRow, row.grantee_id)
            assert grantee is not None
            scores = _scores(session, row.id, criteria, names)
            found.append(Ranked(row.id, row.title, grantee.name_zh,
                                from_minor(row.requested), ApplicationStatus(row.status),
                                mean_score([s.weighted for s in scores]), len(scores)))
        return sorted(found, key=lambda r: (r.score is None, -(r.score or 0), r.application_id))

    return uow.read(work)


def queue(uow: UnitOfWork, actor: Actor) -> list[QueueItem]:
    """A reviewer's open work: undecided applications in rounds they review."""

    def work(session: Session) -> list[QueueItem]:
        items = []
        rows = session.execute(
            select(ApplicationRow, RoundRow).join(RoundRow, RoundRow.id == ApplicationRow.round_id)
            .join(ReviewerRow, ReviewerRow.round_id == RoundRow.id)
            .where(ReviewerRow.user_id == actor.user_id,
                   RoundRow.status.in_((RoundStatus.OPEN.value, RoundStatus.REVIEW.value)),
                   ApplicationRow.status == ApplicationStatus.SUBMITTED.value)
            .order_by(ApplicationRow.id))
        for application, found in rows:
            declared = session.get(DeclarationRow, (application.id, actor.user_id))
            grantee = session.get(GranteeRow, application.grantee_id)
            assert grantee is not None
            items.append(QueueItem(
                application_id=application.id, round_id=found.id, round_title=found.title,
                title=application.title, grantee=grantee.name_zh,
                declared=declared is not None,
                conflicted=bool(declared and declared.conflicted),
                scored=session.scalar(select(ScoreRow.criterion_id).where(
                    ScoreRow.application_id == application.id,
                    ScoreRow.user_id == actor.user_id).limit(1)) is not None,
                voted=session.get(VoteRow, (application.id, actor.user_id)) is not None))
        return items

    return uow.read(work)
