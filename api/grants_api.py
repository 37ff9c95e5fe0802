"""JSON API of venture-philanthropy grants (公益创投): rounds, applications and their files, the
board's review (declarations, scores, votes, resolutions), grants, tranches, evaluations,
early ends, clawbacks, and the history of each."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from io import BytesIO
from typing import Any

from flask import Response, send_file, url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, post_load, validate
from werkzeug.datastructures import FileStorage

from ledger import applications, grants, reviews, rounds
from ledger.core.audit import AuditRecord
from ledger.core.grants import (
    MAX_BUDGET_LINES,
    MAX_CRITERIA,
    MAX_TRANCHES,
    BudgetLine,
    Choice,
    Criterion,
    EvaluationResult,
    Majority,
    Tranche,
)
from ledger.core.money import format_amount
from ledger.core.staff import Role
from ledger.db.models import MAX_ATTACHMENT_BYTES
from reports.minutes import minutes_pdf

from .auth import STAFF, current_actor, requires
from .idempotency import idempotent
from .mutual_aid import MANAGERS, parse_amount_field
from .problems import PROBLEM_JSON
from .routing import Blueprint
from .schemas import Amount, ProblemOut
from .state import uow

blp = Blueprint("grants", __name__, url_prefix="/api",
                description="Venture-philanthropy grants: rounds, applications, review, grants")
BOARD = (Role.BOARD_MEMBER,)
#: Resolutions: a reviewer of the round, or an admin (most powerful first).
RESOLVERS = (Role.ADMIN, Role.BOARD_MEMBER)
ID = validate.Range(1, 2**31 - 1)
COUNT = validate.Range(0, 1_000_000)
#: Endpoints that take a multipart/form-data body (every other API body is JSON).
UPLOADS = frozenset({"grants.add_attachment"})
#: The largest upload body read: one attachment plus room for the multipart framing.
MAX_UPLOAD_BODY = MAX_ATTACHMENT_BYTES + 64 * 1024
BINARY = {"schema": {"type": "string", "format": "binary"}}
DOWNLOAD = "The file as uploaded (its type recognised from its content), as a download"
MINUTES = "The bilingual minutes of the board's resolutions on the application"


# --- schemas: rounds --------------------------------------------------------------------------
class CriterionIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100),
                         metadata={"example": "社区需求 / community need"})
    weight = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100),
                            metadata={"description": "A whole percentage; weights add to 100."})

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Criterion:
        return Criterion(data["name"], data["weight"])


class RoundIn(Schema):
    title = fields.String(required=True, validate=validate.Length(1, 200),
                          metadata={"example": "2026 年度社区公益创投"})
    description = fields.String(required=True, validate=validate.Length(1, 5000))
    eligibility = fields.String(required=True, validate=validate.Length(1, 5000))
    budget = Amount(required=True, metadata={"example": "300000.00"})
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)
    quorum = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1000),
                            metadata={"description": "Distinct non-conflicted members voting."})
    majority = fields.String(load_default=Majority.SIMPLE.value,
                             validate=validate.OneOf([m.value for m in Majority]))
    criteria = fields.List(fields.Nested(CriterionIn), required=True,
                           validate=validate.Length(1, MAX_CRITERIA))
    reviewers = fields.List(fields.String(validate=validate.Length(1, 100)), required=True,
                            validate=validate.Length(1, 100),
                            metadata={"description": "Usernames of active board members."})
    assembly_required = fields.Boolean(load_default=False, metadata={
        "description": "Resolutions also need the residents' representative assembly's vote."})

    @post_load
    def money(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "budget": parse_amount_field(data["budget"], "budget"),
                "majority": Majority(data["majority"])}


class CriterionOut(Schema):
    name = fields.String()
    weight = fields.Integer()


class RoundOut(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    eligibility = fields.String()
    budget = fields.String()
    opens_on = fields.Date()
    closes_on = fields.Date()
    quorum = fields.Integer()
    majority = fields.String()
    assembly_required = fields.Boolean()
    status = fields.String(metadata={"description": "draft, open, review, closed, cancelled"})
    criteria = fields.List(fields.Nested(CriterionOut))
    reviewers = fields.List(fields.String())
    committed = fields.String(metadata={"description": "Grants approved in the round."})
    reserved = fields.String(metadata={
        "description": "What the round still reserves of the foundation's funds."})


class RankedOut(Schema):
    rank = fields.Integer()
    application_id = fields.Integer()
    title = fields.String()
    grantee = fields.String()
    requested = fields.String()
    status = fields.String()
    score = fields.String(allow_none=True, metadata={
        "description": "Mean of the reviewers' weighted scores (0 to 100); null if unscored."})
    scored_by = fields.Integer()


class HistoryOut(Schema):
    seq = fields.Integer()
    at = fields.DateTime()
    username = fields.String()
    role = fields.String(allow_none=True)
    action = fields.String()
    details = fields.Dict()


# --- schemas: applications --------------------------------------------------------------------
class BudgetLineIn(Schema):
    item = fields.String(required=True, validate=validate.Length(1, 200))
    amount = Amount(required=True, metadata={"example": "30000.00"})

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> BudgetLine:
        return BudgetLine(data["item"], parse_amount_field(data["amount"], "amount"))


class TrancheIn(Schema):
    number = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_TRANCHES))
    due_on = fields.Date(required=True)
    amount = Amount(required=True, metadata={"example": "40000.00"})

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Tranche:
        return Tranche(data["number"], data["due_on"],
                       parse_amount_field(data["amount"], "amount"))


class ApplicationIn(Schema):
    round_id = fields.Integer(required=True, validate=ID)
    grantee_id = fields.Integer(required=True, validate=ID)
    title = fields.String(required=True, validate=validate.Length(1, 200),
                          metadata={"example": "楼道窗户修缮志愿队"})
    need = fields.String(required=True, validate=validate.Length(1, 5000),
                         metadata={"description": "The residents' need the project meets."})
    requested = Amount(required=True, metadata={"example": "100000.00"})
    budget = fields.List(fields.Nested(BudgetLineIn), required=True,
                         validate=validate.Length(1, MAX_BUDGET_LINES),
                         metadata={"description": "Lines adding up to the amount requested."})
    tranches = fields.List(fields.Nested(TrancheIn), required=True,
                           validate=validate.Length(1, MAX_TRANCHES), metadata={
                               "description": "Numbered 1..n, due in order, adding up to the "
                                              "amount requested; the last is paid after a "
                                              "passed acceptance evaluation."})
    submitted_on = fields.Date(load_default=None, metadata={
        "description": "Defaults to today (Asia/Shanghai); within the round's window."})

    @post_load
    def money(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "requested": parse_amount_field(data["requested"], "requested")}


class ApplicationQuery(Schema):
    round_id = fields.Integer(validate=ID)


class BudgetLineOut(Schema):
    item = fields.String()
    amount = fields.String()


class TrancheOut(Schema):
    number = fields.Integer()
    due_on = fields.Date()
    amount = fields.String()


class AttachmentOut(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    filename = fields.String()
    content_type = fields.String(metadata={"description": "Recognised from the content."})
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()


class ApplicationOut(Schema):
    id = fields.Integer()
    round_id = fields.Integer()
    grantee_id = fields.Integer()
    grantee = fields.String()
    title = fields.String()
    need = fields.String()
    requested = fields.String()
    status = fields.String(metadata={"description": "submitted, approved, rejected, withdrawn"})
    submitted_on = fields.Date()
    budget = fields.List(fields.Nested(BudgetLineOut))
    tranches = fields.List(fields.Nested(TrancheOut))
    attachments = fields.List(fields.Nested(AttachmentOut))


class UploadIn(Schema):
    file = Upload(required=True, metadata={
        "description": "A PDF, PNG or JPEG of at most 5 MB (recognised by its content)."})


# --- schemas: review --------------------------------------------------------------------------
class DeclarationIn(Schema):
    conflicted = fields.Boolean(required=True, metadata={
        "description": "Whether the member has a conflict of interest (then recused)."})
    note = fields.String(load_default="", validate=validate.Length(max=300),
                         metadata={"description": "Required when conflicted."})


class DeclarationOut(Schema):
    reviewer = fields.String()
    conflicted = fields.Boolean()
    note = fields.String()
    declared_at = fields.DateTime()


class ScoresIn(Schema):
    scores = fields.Dict(keys=fields.String(validate=validate.Length(1, 100)),
                         values=fields.Integer(strict=True), required=True,
                         validate=validate.Length(1, MAX_CRITERIA), metadata={
                             "description": "Criterion name -> whole score from 0 to 100, "
                                            "for every criterion of the round."})


class ScoreOut(Schema):
    reviewer = fields.String()
    scores = fields.Dict(keys=fields.String(), values=fields.Integer())
    weighted = fields.String(metadata={"description": "The weighted score, 0 to 100."})


class VoteIn(Schema):
    choice = fields.String(required=True, validate=validate.OneOf([c.value for c in Choice]))


class VoteOut(Schema):
    application_id = fields.Integer()
    reviewer = fields.String()
    choice = fields.String()


class AssemblyVoteIn(Schema):
    held_on = fields.Date(required=True)
    votes_for = fields.Integer(required=True, strict=True, validate=COUNT)
    against = fields.Integer(required=True, strict=True, validate=COUNT)
    abstain = fields.Integer(required=True, strict=True, validate=COUNT)


class AssemblyVoteOut(Schema):
    held_on = fields.Date()
    votes_for = fields.Integer()
    against = fields.Integer()
    abstain = fields.Integer()


class ResolutionIn(Schema):
    on = fields.Date(required=True, metadata={"description": "The date of the resolution."})


class ResolutionOut(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    decided_on = fields.Date()
    votes_for = fields.Integer()
    against = fields.Integer()
    abstain = fields.Integer()
    recused = fields.Integer()
    quorum = fields.Integer()
    passed = fields.Boolean()
    reason = fields.String(metadata={
        "description": "passed, no_quorum (still undecided), majority_against (rejected), "
                       "assembly_missing (still undecided) or assembly_against (rejected)"})
    decided_by = fields.String()
    grant_id = fields.Integer(allow_none=True, metadata={
        "description": "The grant committed, when the resolution passed."})


class TallyOut(Schema):
    votes_for = fields.Integer()
    against = fields.Integer()
    abstain = fields.Integer()
    recused = fields.Integer()
    cast = fields.Integer()


class VoteCastOut(Schema):
    reviewer = fields.String()
    choice = fields.String()


class ReviewOut(Schema):
    application_id = fields.Integer()
    round_id = fields.Integer()
    reviewers = fields.List(fields.String())
    declarations = fields.List(fields.Nested(DeclarationOut))
    scores = fields.List(fields.Nested(ScoreOut))
    score = fields.String(allow_none=True, metadata={
        "description": "Mean of the reviewers' weighted scores; null if unscored."})
    votes = fields.List(fields.Nested(VoteCastOut))
    tally = fields.Nested(TallyOut)
    quorum = fields.Integer()
    majority = fields.String()
    assembly_required = fields.Boolean()
    assembly = fields.Nested(AssemblyVoteOut, allow_none=True)
    resolutions = fields.List(fields.Nested(ResolutionOut))


class QueueItemOut(Schema):
    application_id = fields.Integer()
    round_id = fields.Integer()
    round_title = fields.String()
    title = fields.String()
    grantee = fields.String()
    declared = fields.Boolean()
    conflicted = fields.Boolean()
    scored = fields.Boolean()
    voted = fields.Boolean()


# --- schemas: grants --------------------------------------------------------------------------
class GrantQuery(Schema):
    round_id = fields.Integer(validate=ID)


class TrancheStateOut(Schema):
    number = fields.Integer()
    due_on = fields.Date()
    amount = fields.String()
    final = fields.Boolean(metadata={"description": "Paid only after a passed evaluation."})
    paid_on = fields.Date(allow_none=True)
    entry_seq = fields.Integer(allow_none=True)


class EvaluationOut(Schema):
    id = fields.Integer()
    evaluated_on = fields.Date()
    evaluators = fields.String()
    result = fields.String()
    notes = fields.String()
    created_by = fields.String()


class GrantOut(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    round_id = fields.Integer()
    grantee_id = fields.Integer()
    grantee = fields.String()
    title = fields.String()
    amount = fields.String()
    status = fields.String(metadata={"description": "active, completed or closed"})
    committed_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    paid = fields.String()
    unspent_returned = fields.String(metadata={
        "description": "The commitment left unpaid when the grant ended early."})
    clawed_back = fields.String(metadata={"description": "Paid back by the grantee."})
    evaluation_passed = fields.Boolean(metadata={
        "description": "Whether the latest acceptance evaluation passed."})
    tranches = fields.List(fields.Nested(TrancheStateOut))
    evaluations = fields.List(fields.Nested(EvaluationOut))


class PaymentIn(Schema):
    number = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1000),
                            metadata={"description": "The tranche of the schedule to pay."})
    on = fields.Date(required=True)
    amount = Amount(load_default=None, metadata={
        "description": "If given, must equal the tranche's scheduled amount."})

    @post_load
    def money(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data["amount"] is None:
            return data
        return {**data, "amount": parse_amount_field(data["amount"], "amount")}


class EvaluationIn(Schema):
    evaluated_on = fields.Date(required=True)
    evaluators = fields.String(required=True, validate=validate.Length(1, 300))
    result = fields.String(required=True,
                           validate=validate.OneOf([r.value for r in EvaluationResult]))
    notes = fields.String(load_default="", validate=validate.Length(max=5000))

    @post_load
    def kinds(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "result": EvaluationResult(data["result"])}


class CloseIn(Schema):
    on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 300))


class ClawbackIn(Schema):
    amount = Amount(required=True, metadata={"example": "5000.00"})
    on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 300))

    @post_load
    def money(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "amount": parse_amount_field(data["amount"], "amount")}


# --- presenters -------------------------------------------------------------------------------
def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def present_round(r: rounds.Round) -> dict[str, Any]:
    return {**asdict(r), "budget": format_amount(r.budget),
            "committed": format_amount(r.committed), "reserved": format_amount(r.reserved)}


def present_application(a: applications.Application) -> dict[str, Any]:
    return {**asdict(a), "requested": format_amount(a.requested),
            "budget": [{"item": b.item, "amount": format_amount(b.amount)} for b in a.budget],
            "tranches": [{"number": t.number, "due_on": t.due_on,
                          "amount": format_amount(t.amount)} for t in a.tranches]}


def present_score(s: reviews.ReviewerScore) -> dict[str, Any]:
    return {"reviewer": s.reviewer, "scores": s.scores, "weighted": str(s.weighted)}


def present_review(r: reviews.Review) -> dict[str, Any]:
    return {**asdict(r), "scores": [present_score(s) for s in r.scores],
            "score": _decimal(r.score),
            "votes": [{"reviewer": name, "choice": choice} for name, choice in r.votes],
            "tally": {**asdict(r.tally), "cast": r.tally.cast}}


def present_grant(g: grants.Grant) -> dict[str, Any]:
    return {**asdict(g), "amount": format_amount(g.amount), "paid": format_amount(g.paid),
            "unspent_returned": format_amount(g.unspent_returned),
            "clawed_back": format_amount(g.clawed_back),
            "evaluation_passed": g.evaluation_passed,
            "tranches": [{**asdict(t), "amount": format_amount(t.amount)} for t in g.tranches]}


def present_history(records: list[AuditRecord]) -> list[dict[str, Any]]:
    """Who changed what and when (the address and hashes stay in the audit log)."""
    return [{"seq": r.seq, "at": r.at, "username": r.actor.username,
             "role": r.actor.role.value if r.actor.role else None, "action": r.action,
             "details": r.details} for r in records]


def _review_location(application_id: int) -> dict[str, str]:
    return {"Location": url_for("grants.get_review", application_id=application_id)}


# --- rounds -----------------------------------------------------------------------------------
@blp.route("/rounds", methods=["GET"])
@requires(*STAFF)
@blp.response(200, RoundOut(many=True))
def list_rounds() -> list[dict[str, Any]]:
    """Grant rounds (open calls), oldest first."""
    return [present_round(r) for r in rounds.rounds(uow())]


@blp.route("/rounds", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(RoundIn)
@blp.response(201, RoundOut)
def create_round(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Set up a grant round in draft.

    Budget, application window, scoring criteria (weights adding up to 100), board reviewers,
    quorum and majority rule. Nothing is reserved until the round opens."""
    found = rounds.create_round(uow(), current_actor(), **data)
    return present_round(found), 201, {
        "Location": url_for("grants.get_round", round_id=found.id)}


@blp.route("/rounds/<int:round_id>")
@requires(*STAFF)
@blp.response(200, RoundOut)
def get_round(round_id: int) -> dict[str, Any]:
    """One round with its criteria, reviewers, commitments and reservation."""
    return present_round(rounds.get_round(uow(), round_id))


@blp.route("/rounds/<int:round_id>/open", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.response(200, RoundOut)
def open_round(round_id: int) -> dict[str, Any]:
    """Open the call for applications, reserving the round's budget.

    Refused if the foundation's available funds (with money given for this round) do not
    cover it."""
    return present_round(rounds.open_round(uow(), current_actor(), round_id))


@blp.route("/rounds/<int:round_id>/review", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.response(200, RoundOut)
def start_review(round_id: int) -> dict[str, Any]:
    """Close the call for applications; the board reviews."""
    return present_round(rounds.start_review(uow(), current_actor(), round_id))


@blp.route("/rounds/<int:round_id>/close", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.response(200, RoundOut)
def close_round(round_id: int) -> dict[str, Any]:
    """Close a round whose applications are all decided; its unused reservation is void."""
    return present_round(rounds.close_round(uow(), current_actor(), round_id))


@blp.route("/rounds/<int:round_id>/cancel", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.response(200, RoundOut)
def cancel_round(round_id: int) -> dict[str, Any]:
    """Call off a round in draft or open call; its reservation is void."""
    return present_round(rounds.cancel_round(uow(), current_actor(), round_id))


@blp.route("/rounds/<int:round_id>/ranking")
@requires(*STAFF)
@blp.response(200, RankedOut(many=True))
def round_ranking(round_id: int) -> list[dict[str, Any]]:
    """The round's applications by mean weighted score, best first (unscored last)."""
    return [{**asdict(r), "rank": rank, "requested": format_amount(r.requested),
             "score": _decimal(r.score)}
            for rank, r in enumerate(reviews.ranking(uow(), round_id), 1)]


@blp.route("/rounds/<int:round_id>/history")
@requires(*STAFF)
@blp.response(200, HistoryOut(many=True))
def round_history(round_id: int) -> list[dict[str, Any]]:
    """Every change of the round, oldest first."""
    rounds.get_round(uow(), round_id)  # 404 for a round that does not exist
    return present_history(grants.history(uow(), "round", round_id))


# --- applications -----------------------------------------------------------------------------
@blp.route("/applications", methods=["GET"])
@requires(*STAFF)
@blp.arguments(ApplicationQuery, location="query", as_kwargs=True)
@blp.response(200, ApplicationOut(many=True))
def list_applications(round_id: int | None = None) -> list[dict[str, Any]]:
    """Applications, of one round or all."""
    return [present_application(a) for a in applications.applications(uow(), round_id)]


@blp.route("/applications", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(ApplicationIn)
@blp.response(201, ApplicationOut)
def submit_application(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Submit a grantee's application to an open round.

    The budget lines and the tranche schedule each add up to the amount requested; tranches
    are numbered 1..n and fall due in order."""
    found = applications.submit_application(uow(), current_actor(), **data)
    return present_application(found), 201, {
        "Location": url_for("grants.get_application", application_id=found.id)}


@blp.route("/applications/<int:application_id>")
@requires(*STAFF)
@blp.response(200, ApplicationOut)
def get_application(application_id: int) -> dict[str, Any]:
    """One application with its budget, schedule and attachments."""
    return present_application(applications.get_application(uow(), application_id))


@blp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.response(200, ApplicationOut)
def withdraw_application(application_id: int) -> dict[str, Any]:
    """Withdraw an undecided application."""
    return present_application(applications.withdraw_application(uow(), current_actor(),
                                                                 application_id))


@blp.route("/applications/<int:application_id>/attachments", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(UploadIn, location="files")
@blp.response(201, AttachmentOut)
@blp.alt_response(413, schema=ProblemOut, content_type=PROBLEM_JSON,
                  description="The body is larger than one 5 MB file")
def add_attachment(data: dict[str, Any], application_id: int
                   ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Attach a supporting document to an application.

    Send it as multipart/form-data, field `file`: a PDF, PNG or JPEG (recognised by its
    content, not its name) of at most 5 MB; at most 10 files per application."""
    upload: FileStorage = data["file"]
    found = applications.add_attachment(uow(), current_actor(), application_id,
                                        filename=upload.filename or "",
                                        content=upload.stream.read(MAX_ATTACHMENT_BYTES + 1))
    return asdict(found), 201, {
        "Location": url_for("grants.get_attachment", attachment_id=found.id)}


@blp.route("/attachments/<int:attachment_id>")
@requires(*STAFF)
@blp.response(200, description=DOWNLOAD)
@blp.doc(responses={"200": {"description": DOWNLOAD, "content": {
    kind: BINARY for _, kind in applications.SIGNATURES}}})
def get_attachment(attachment_id: int) -> Response:
    """Download an attachment, with the content type recognised when it was uploaded."""
    info, content = applications.attachment(uow(), attachment_id)
    response = send_file(BytesIO(content), mimetype=info.content_type, as_attachment=True,
                         download_name=info.filename, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/applications/<int:application_id>/history")
@requires(*STAFF)
@blp.response(200, HistoryOut(many=True))
def application_history(application_id: int) -> list[dict[str, Any]]:
    """Every change of the application, oldest first.

    Submission, files, declarations, scores, votes, the assembly's vote and resolutions."""
    applications.get_application(uow(), application_id)  # 404 for one that does not exist
    return present_history(grants.history(uow(), "application", application_id))


@blp.route("/applications/<int:application_id>/minutes.pdf")
@requires(*STAFF)
@blp.response(200, description=MINUTES)
@blp.doc(responses={"200": {"description": MINUTES, "content": {"application/pdf": BINARY}}})
def application_minutes(application_id: int) -> Response:
    """The minutes of the board's resolutions on the application, as a PDF."""
    return Response(minutes_pdf(uow(), application_id), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="minutes-application-{application_id}.pdf"',
        "Cache-Control": "private, no-store"})


# --- review -----------------------------------------------------------------------------------
@blp.route("/applications/<int:application_id>/review")
@requires(*STAFF)
@blp.response(200, ReviewOut)
def get_review(application_id: int) -> dict[str, Any]:
    """Where the review stands: declarations, scores, votes, the assembly's vote, resolutions."""
    return present_review(reviews.review(uow(), application_id))


@blp.route("/applications/<int:application_id>/declaration", methods=["POST"])
@requires(*BOARD)
@idempotent
@blp.arguments(DeclarationIn)
@blp.response(201, DeclarationOut)
def declare(data: dict[str, Any], application_id: int
            ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Declare a conflict of interest, or none, on an application (its reviewers).

    Once, before scoring or voting; a conflicted reviewer is recused from both."""
    found = reviews.declare(uow(), current_actor(), application_id, **data)
    return asdict(found), 201, _review_location(application_id)


@blp.route("/applications/<int:application_id>/scores", methods=["POST"])
@requires(*BOARD)
@idempotent
@blp.arguments(ScoresIn)
@blp.response(201, ScoreOut)
def score(data: dict[str, Any], application_id: int
          ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Score an application on every criterion of its round, 0 to 100, once (reviewers)."""
    found = reviews.score(uow(), current_actor(), application_id, data["scores"])
    return present_score(found), 201, _review_location(application_id)


@blp.route("/applications/<int:application_id>/votes", methods=["POST"])
@requires(*BOARD)
@idempotent
@blp.arguments(VoteIn)
@blp.response(201, VoteOut)
def vote(data: dict[str, Any], application_id: int
         ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Vote for, against or abstain on an application, once (non-conflicted reviewers)."""
    actor = current_actor()
    choice = reviews.vote(uow(), actor, application_id, Choice(data["choice"]))
    return ({"application_id": application_id, "reviewer": actor.username, "choice": choice},
            201, _review_location(application_id))


@blp.route("/applications/<int:application_id>/assembly-vote", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(AssemblyVoteIn)
@blp.response(201, AssemblyVoteOut)
def record_assembly_vote(data: dict[str, Any], application_id: int
                         ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Record the residents' representative assembly's vote (居民代表大会), once."""
    found = reviews.record_assembly_vote(uow(), current_actor(), application_id, **data)
    return asdict(found), 201, _review_location(application_id)


@blp.route("/applications/<int:application_id>/resolutions", methods=["POST"])
@requires(*RESOLVERS)
@idempotent
@blp.arguments(ResolutionIn)
@blp.response(201, ResolutionOut)
def resolve(data: dict[str, Any], application_id: int
            ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Resolve on an application with the votes cast so far.

    Without a quorum of distinct non-conflicted members voting, the application stays
    undecided; a majority against (or the residents' assembly against) rejects it; a pass
    commits the grant: the expense and the grant payable are posted."""
    found = reviews.resolve(uow(), current_actor(), application_id, on=data["on"])
    return asdict(found), 201, _review_location(application_id)


@blp.route("/reviews/queue")
@requires(*BOARD)
@blp.response(200, QueueItemOut(many=True))
def review_queue() -> list[dict[str, Any]]:
    """My review queue: undecided applications in the rounds I review."""
    return [asdict(i) for i in reviews.queue(uow(), current_actor())]


# --- grants -----------------------------------------------------------------------------------
@blp.route("/grants", methods=["GET"])
@requires(*STAFF)
@blp.arguments(GrantQuery, location="query", as_kwargs=True)
@blp.response(200, GrantOut(many=True))
def list_grants(round_id: int | None = None) -> list[dict[str, Any]]:
    """Grants committed, of one round or all."""
    return [present_grant(g) for g in grants.grants(uow(), round_id)]


@blp.route("/grants/<int:grant_id>")
@requires(*STAFF)
@blp.response(200, GrantOut)
def get_grant(grant_id: int) -> dict[str, Any]:
    """One grant with its tranches, payments and evaluations."""
    return present_grant(grants.get_grant(uow(), grant_id))


@blp.route("/grants/<int:grant_id>/payments", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(PaymentIn)
@blp.response(200, GrantOut)
def pay_tranche(data: dict[str, Any], grant_id: int) -> dict[str, Any]:
    """Pay the next tranche of a grant's schedule.

    Exactly its scheduled amount, in order (posted); the final tranche only after a passed
    acceptance evaluation."""
    return present_grant(grants.pay_tranche(uow(), current_actor(), grant_id, **data))


@blp.route("/grants/<int:grant_id>/evaluations", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(EvaluationIn)
@blp.response(200, GrantOut)
def evaluate(data: dict[str, Any], grant_id: int) -> dict[str, Any]:
    """Record an acceptance evaluation (验收评估); the latest one decides the final tranche."""
    return present_grant(grants.evaluate(uow(), current_actor(), grant_id, **data))


@blp.route("/grants/<int:grant_id>/close", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(CloseIn)
@blp.response(200, GrantOut)
def close_grant(data: dict[str, Any], grant_id: int) -> dict[str, Any]:
    """End a grant early: the commitment not yet paid returns to available funds (posted)."""
    return present_grant(grants.close_grant(uow(), current_actor(), grant_id, **data))


@blp.route("/grants/<int:grant_id>/clawbacks", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(ClawbackIn)
@blp.response(200, GrantOut)
def claw_back(data: dict[str, Any], grant_id: int) -> dict[str, Any]:
    """The grantee pays grant money back: it returns to available funds (posted)."""
    return present_grant(grants.claw_back(uow(), current_actor(), grant_id, **data))


@blp.route("/grants/<int:grant_id>/history")
@requires(*STAFF)
@blp.response(200, HistoryOut(many=True))
def grant_history(grant_id: int) -> list[dict[str, Any]]:
    """Every change of the grant, oldest first.

    Commitment, tranches paid, evaluations, an early end, clawbacks."""
    grants.get_grant(uow(), grant_id)  # 404 for a grant that does not exist
    return present_history(grants.history(uow(), "grant", grant_id))
