"""An application and its review (评审立项): the application's page with its budget, schedule,
documents and the state of the review; the reviewer's declaration of interest, scores and
vote; the residents' assembly's vote; the resolution and its minutes; the reviewer's queue.
Routes of the `foundation` blueprint (api/web/grants.py)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, abort, g, render_template, send_file
from flask_babel import gettext as _

from ledger import applications as apps
from ledger import books, grantees, reviews, rounds
from ledger.core.errors import AlreadyExists, LedgerError, NotFound
from ledger.core.grants import (
    ApplicationStatus,
    Choice,
    ConflictOfInterest,
    RoundStatus,
    Tally,
    decide,
)
from ledger.core.staff import Role
from ledger.db.models import MAX_ATTACHMENT_BYTES
from reports import minutes

from ..auth import STAFF, current_actor, requires
from ..mutual_aid import MANAGERS
from ..problems import status_for
from ..state import uow
from .common import carry_out, date_for_books, done, posted_with_choice
from .foundation_common import (
    QuorumProgress,
    found_or_404,
    history,
    refusal,
    shown_at,
    staff_names,
)
from .grants import BOARD, RESOLVERS, bp, still_to_do
from .grants_forms import (
    CHOICE_LABELS,
    REASON_LABELS,
    AssemblyForm,
    AttachmentForm,
    DeclareForm,
    ResolveForm,
    ScoreForm,
    VoteForm,
    WithdrawForm,
    score_form,
)
from .pages import Page

#: The forms of the application's page: (class, prefix).
FORMS: dict[str, tuple[Any, str]] = {
    "declare_form": (DeclareForm, "declare"), "vote_form": (VoteForm, "vote"),
    "assembly_form": (AssemblyForm, "assembly"), "resolve_form": (ResolveForm, "resolve"),
    "attachment_form": (AttachmentForm, "attachment"),
    "withdraw_form": (WithdrawForm, "withdraw"),
}


# --- the application's page -----------------------------------------------------------------
@bp.get("/applications/<int:application_id>")
@requires(*STAFF)
def application(application_id: int) -> Page:
    return _application_page(found_or_404(apps.get_application, application_id))


def _application_page(found: apps.Application, *, status: int = 200,
                      error: str | None = None, **forms: Any) -> Page:
    the_round = rounds.get_round(uow(), found.round_id)
    review = reviews.review(uow(), found.id)
    today = books.today()
    defaults = {"assembly_form": {"held_on": today}, "resolve_form": {"on": today}}
    for name, (cls, prefix) in FORMS.items():
        if forms.get(name) is None:
            forms[name] = cls(formdata=None, prefix=prefix, data=defaults.get(name, {}))
    if forms.get("score_form") is None:
        forms["score_form"] = score_form(the_round.criteria, formdata=None, prefix="score")
    context = shown_at(status, "foundation_pages.application", application_id=found.id)
    page = render_template(
        "staff/foundation/application.html", a=found, r=the_round, review=review,
        grantee=grantees.grantee(uow(), found.grantee_id), names=staff_names(),
        reviewers=_reviewer_rows(review), me=_my_part(found, the_round, review),
        progress=QuorumProgress(review.tally.cast, review.quorum, review.tally.recused,
                                len(review.reviewers)),
        if_resolved_now=_outcome_now(review),
        in_review=the_round.status is RoundStatus.REVIEW
        and found.status is ApplicationStatus.SUBMITTED,
        may_resolve=_may_resolve(the_round, review),
        error=error, history=history("application", found.id),
        score_fields=[forms["score_form"][f"c{i}"] for i in range(len(the_round.criteria))],
        **forms, **context)
    return page, status


def _reviewer_rows(review: reviews.Review) -> list[dict[str, Any]]:
    """Each reviewer: their declaration, weighted score and vote (None when not yet)."""
    declared = {d.reviewer: d for d in review.declarations}
    scored = {s.reviewer: s for s in review.scores}
    voted = dict(review.votes)
    return [{"username": name, "declaration": declared.get(name), "score": scored.get(name),
             "vote": voted.get(name)} for name in review.reviewers]


def _my_part(found: apps.Application, the_round: rounds.Round, review: reviews.Review
             ) -> dict[str, Any] | None:
    """The person's own steps, if they review this application as a board member."""
    user = g.user
    if Role.BOARD_MEMBER not in user.roles or user.username not in review.reviewers:
        return None
    declaration = next((d for d in review.declarations if d.reviewer == user.username), None)
    return {
        "declaration": declaration,
        "score": next((s for s in review.scores if s.reviewer == user.username), None),
        "vote": dict(review.votes).get(user.username),
        "undecided": found.status is ApplicationStatus.SUBMITTED,
        "may_declare": the_round.status in (RoundStatus.OPEN, RoundStatus.REVIEW),
        "in_review": the_round.status is RoundStatus.REVIEW,
    }


def _may_resolve(the_round: rounds.Round, review: reviews.Review) -> bool:
    """Whether the person may record a resolution: a reviewer of the round, or an
    administrator, who did not declare a conflict on the application."""
    user = g.user
    reviewer = Role.BOARD_MEMBER in user.roles and user.username in the_round.reviewers
    recused = any(d.reviewer == user.username and d.conflicted for d in review.declarations)
    return (reviewer or Role.ADMIN in user.roles) and not recused


def _outcome_now(review: reviews.Review) -> str:
    """What a resolution on the votes cast so far would say."""
    assembly = review.assembly
    outcome = decide(review.tally, quorum=review.quorum, majority=review.majority,
                     assembly=None if assembly is None else Tally(
                         assembly.votes_for, assembly.against, assembly.abstain, 0),
                     assembly_required=review.assembly_required)
    return str(REASON_LABELS[outcome.reason])


def _refusal(application_id: int, name: str, form: Any,
             known: Mapping[type[LedgerError], str] | None = None
             ) -> Callable[[LedgerError], Page]:
    """The application's page again after a refused step, the refusal on the step's form or at
    the top (`known`: the words for some refusals, instead of the usual ones)."""
    def page(error: LedgerError) -> Page:
        text = next((t for cls, t in (known or {}).items() if isinstance(error, cls)), None)
        return _application_page(apps.get_application(uow(), application_id),
                                 status=status_for(error), error=refusal(form, error, text),
                                 **{name: form})
    return page


def _invalid(found: apps.Application, name: str, form: Any) -> Page:
    return _application_page(found, status=422, **{name: form})


def _back(application_id: int, message: str, category: str = "success") -> Page:
    """To the application's page, with the message."""
    return done(message, "foundation_pages.application", category=category,
                application_id=application_id)


# --- documents ------------------------------------------------------------------------------
@bp.post("/applications/<int:application_id>/attachments")
@requires(*MANAGERS)
def add_attachment(application_id: int) -> Page:
    found = found_or_404(apps.get_application, application_id)
    form = AttachmentForm(prefix="attachment")
    upload = form.file.data if form.validate_on_submit() else None
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [*form.file.errors, _("Choose a file to attach.")]
        return _invalid(found, "attachment_form", form)
    content = upload.stream.read(MAX_ATTACHMENT_BYTES + 1)
    if len(content) > MAX_ATTACHMENT_BYTES:
        form.file.errors = [*form.file.errors, _("This file is larger than 5 MB; attach a "
                                                 "smaller one.")]
        return _invalid(found, "attachment_form", form)
    return carry_out(
        lambda: apps.add_attachment(uow(), current_actor(), application_id,
                                    filename=upload.filename, content=content),
        refused=_refusal(application_id, "attachment_form", form),
        then=lambda made: _back(application_id,
                                _("“%(name)s” is attached.", name=made.filename)))


@bp.get("/applications/<int:application_id>/attachments/<int:attachment_id>")
@requires(*STAFF)
def attachment(application_id: int, attachment_id: int) -> Response:
    """The document as uploaded, always as a download (never shown in the page's origin)."""
    try:
        info, content = apps.attachment(uow(), attachment_id)
    except NotFound:
        abort(404)
    if info.application_id != application_id:
        abort(404)
    response = send_file(io.BytesIO(content), mimetype=info.content_type, as_attachment=True,
                         download_name=info.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/applications/<int:application_id>/withdraw")
@requires(*MANAGERS)
def withdraw_application(application_id: int) -> Page:
    found = found_or_404(apps.get_application, application_id)
    form = WithdrawForm(prefix="withdraw")
    if not form.validate_on_submit():
        return _invalid(found, "withdraw_form", form)
    return carry_out(
        lambda: apps.withdraw_application(uow(), current_actor(), application_id),
        refused=_refusal(application_id, "withdraw_form", form),
        then=lambda _withdrawn: _back(
            application_id, _("Application #%(id)s is withdrawn.", id=application_id)))


# --- the reviewer's steps -------------------------------------------------------------------
@bp.post("/applications/<int:application_id>/declaration")
@requires(*BOARD)
def declare(application_id: int) -> Page:
    found = found_or_404(apps.get_application, application_id)
    form = DeclareForm(prefix="declare")
    if not posted_with_choice(form, form.conflicted, _("Choose one.")):
        return _invalid(found, "declare_form", form)
    conflicted = form.conflicted.data == "yes"
    if conflicted:
        message = _("Your conflict of interest is recorded: you are recused from scoring and "
                    "voting on this application.")
    else:
        message = _("Your declaration is recorded: no conflict of interest.")
    return carry_out(
        lambda: reviews.declare(uow(), current_actor(), application_id, conflicted=conflicted,
                                note=form.note.data or ""),
        refused=_refusal(application_id, "declare_form", form, {
            AlreadyExists: _("You have declared on this application already.")}),
        then=lambda _declared: _back(application_id, message))


@bp.post("/applications/<int:application_id>/scores")
@requires(*BOARD)
def score(application_id: int) -> Page:
    found = found_or_404(apps.get_application, application_id)
    criteria = rounds.get_round(uow(), found.round_id).criteria
    form: ScoreForm = score_form(criteria, prefix="score")
    if not form.validate_on_submit():
        return _invalid(found, "score_form", form)
    scores = {c.name: form[f"c{i}"].data for i, c in enumerate(criteria)}
    return carry_out(
        lambda: reviews.score(uow(), current_actor(), application_id, scores),
        refused=_refusal(application_id, "score_form", form, {
            AlreadyExists: _("You have scored this application already; scores are final.")}),
        then=lambda made: _back(application_id, _(
            "Your scores are recorded; weighted, they give %(score)s.", score=made.weighted)))


@bp.post("/applications/<int:application_id>/vote")
@requires(*BOARD)
def vote(application_id: int) -> Page:
    found = found_or_404(apps.get_application, application_id)
    form = VoteForm(prefix="vote")
    if not posted_with_choice(form, form.choice, _("Choose for, against or abstain.")):
        return _invalid(found, "vote_form", form)
    choice = Choice(form.choice.data)
    return carry_out(
        lambda: reviews.vote(uow(), current_actor(), application_id, choice),
        refused=_refusal(application_id, "vote_form", form),
        then=lambda _vote: _back(application_id, _("Your vote is recorded: %(choice)s.",
                                                   choice=CHOICE_LABELS[choice])))


# --- the assembly and the resolution --------------------------------------------------------
@bp.post("/applications/<int:application_id>/assembly")
@requires(*MANAGERS)
def assembly_vote(application_id: int) -> Page:
    found = found_or_404(apps.get_application, application_id)
    form = AssemblyForm(prefix="assembly")
    if not form.validate_on_submit():
        return _invalid(found, "assembly_form", form)
    return carry_out(
        lambda: reviews.record_assembly_vote(
            uow(), current_actor(), application_id, held_on=form.held_on.data,
            votes_for=form.votes_for.data, against=form.against.data,
            abstain=form.abstain.data),
        refused=_refusal(application_id, "assembly_form", form, {
            AlreadyExists: _("The residents' assembly's vote on this application is recorded "
                             "already.")}),
        then=lambda _vote: _back(application_id,
                                 _("The residents' assembly's vote is recorded.")))


@bp.post("/applications/<int:application_id>/resolution")
@requires(*RESOLVERS)
def resolve(application_id: int) -> Page:
    found = found_or_404(apps.get_application, application_id)
    form = ResolveForm(prefix="resolve")
    valid = form.validate_on_submit()
    if not (date_for_books(form.on) and valid):
        return _invalid(found, "resolve_form", form)
    return carry_out(
        lambda: reviews.resolve(uow(), current_actor(), application_id, on=form.on.data),
        refused=_refusal(application_id, "resolve_form", form, {
            ConflictOfInterest: _("You declared a conflict of interest on this application, "
                                  "so you are recused and cannot record its resolution.")}),
        then=lambda made: _resolved(application_id, made))


def _resolved(application_id: int, made: reviews.Resolution) -> Page:
    if made.passed:
        return _back(application_id, _("The resolution passed: grant #%(id)s is committed.",
                                       id=made.grant_id))
    return _back(application_id, _("The resolution is recorded: %(outcome)s.",
                                   outcome=REASON_LABELS.get(made.reason, made.reason)),
                 category="info")


@bp.get("/applications/<int:application_id>/minutes.pdf")
@requires(*STAFF)
def minutes_pdf(application_id: int) -> Response:
    """The minutes of the board's resolutions (决议纪要), shown in the browser."""
    found_or_404(apps.get_application, application_id)
    try:
        content = minutes.minutes_pdf(uow(), application_id)
    except NotFound:
        abort(404)
    return Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="minutes-application-{application_id}.pdf"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


# --- the reviewer's queue -------------------------------------------------------------------
@bp.get("/reviews")
@requires(Role.BOARD_MEMBER)
def queue() -> Page:
    items = reviews.queue(uow(), current_actor())
    statuses = {r.id: r.status for r in rounds.rounds(uow())}
    rows = [{"item": i, "round_status": statuses[i.round_id],
             "to_do": still_to_do(i, statuses[i.round_id] is RoundStatus.OPEN)}
            for i in items]
    return render_template("staff/foundation/queue.html", rows=rows,
                           waiting=sum(1 for r in rows if r["to_do"]))
