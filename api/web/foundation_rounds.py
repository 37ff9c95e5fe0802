"""Grant rounds (公开征集) and the intake of applications: the foundation's pages that set up a
round, move it through open call, review and close (or cancel it), and take applications into
an open round. Routes of the `foundation` blueprint (api/web/grants.py)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from ledger import applications as apps
from ledger import books, foundation, grantees, grants, reviews, rounds
from ledger.core.errors import LedgerError
from ledger.core.grants import (
    ApplicationNotInState,
    ApplicationStatus,
    Majority,
    OverCommitted,
    RoundNotInState,
    RoundStatus,
)

from ..auth import STAFF, current_actor, requires
from ..mutual_aid import MANAGERS
from ..problems import status_for
from ..state import uow
from .common import amount_of, choice_ok, done, money, posted_with_choice
from .foundation_common import (
    attach,
    board_choices,
    budget_rows,
    criteria_problem,
    criteria_rows,
    found_or_404,
    grantee_name,
    history,
    refusal,
    shown_at,
    staff_names,
    sum_problem,
    tranche_rows,
)
from .grants import bp
from .grants_forms import (
    ROUND_STATUS_LABELS,
    ApplicationForm,
    CancelRoundForm,
    CloseRoundForm,
    OpenRoundForm,
    ReviewRoundForm,
    RoundForm,
)
from .pages import Page


# --- rounds ---------------------------------------------------------------------------------
@bp.get("/rounds")
@requires(*STAFF)
def round_list() -> Page:
    counts: dict[int, int] = {}
    for application in apps.applications(uow()):
        counts[application.round_id] = counts.get(application.round_id, 0) + 1
    return render_template("staff/foundation/rounds.html", rows=rounds.rounds(uow())[::-1],
                           counts=counts, funds=foundation.funds(uow()))


@bp.route("/rounds/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_round() -> Page:
    form = RoundForm()
    form.reviewers.choices = board_choices()

    def page(status: int = 200, criteria_errors: list[str] | None = None) -> Page:
        return render_template("staff/foundation/round_new.html", form=form,
                               criteria_errors=criteria_errors or []), status

    if request.method == "GET":
        form.opens_on.data = books.today()
        form.majority.data = Majority.SIMPLE.value
        return page()
    valid = posted_with_choice(form, form.majority, _("Choose one of the listed rules."))
    if not form.reviewers.errors and not form.reviewers.data:
        form.reviewers.errors = [*form.reviewers.errors, _("Choose at least one reviewer.")]
        valid = False
    budget = amount_of(form.budget)
    criteria = criteria_rows(form.criteria)
    start, end = form.opens_on.data, form.closes_on.data
    if start and end and end < start:
        form.closes_on.errors = [*form.closes_on.errors,
                                 _("The application window closes before it opens.")]
        valid = False
    if not (valid and budget and not criteria.errors):
        return page(422, criteria.errors)
    reviewers = list(form.reviewers.data or [])
    try:
        made = rounds.create_round(
            uow(), current_actor(), title=form.title.data or "",
            description=form.description.data or "", eligibility=form.eligibility.data or "",
            budget=budget, opens_on=start, closes_on=end, quorum=form.quorum.data,
            majority=Majority(form.majority.data), criteria=criteria.items,
            reviewers=reviewers, assembly_required=bool(form.assembly_required.data))
    except LedgerError as error:
        if error.field == "criteria":
            return page(status_for(error), [criteria_problem(criteria.items)])
        text = None
        if error.field == "quorum":
            text = _("The quorum is at least 1 and at most the number of reviewers chosen "
                     "(%(count)s).", count=len(reviewers))
        attach(form, error, text)
        return page(status_for(error))
    return done(_("Round #%(id)s “%(title)s” is set up as a draft. Opening it reserves its "
                  "budget.", id=made.id, title=made.title),
                "foundation_pages.round", round_id=made.id)


@bp.get("/rounds/<int:round_id>", endpoint="round")
@requires(*STAFF)
def show_round(round_id: int) -> Page:
    return _round_page(found_or_404(rounds.get_round, round_id))


#: The forms of a round's next steps, by name in the template.
ROUND_FORMS = {"open_form": (OpenRoundForm, "open"), "review_form": (ReviewRoundForm, "review"),
               "close_form": (CloseRoundForm, "close"),
               "cancel_form": (CancelRoundForm, "cancel")}


def _round_page(found: rounds.Round, *, status: int = 200, error: str | None = None,
                **forms: Any) -> Page:
    for name, (cls, prefix) in ROUND_FORMS.items():
        if forms.get(name) is None:
            forms[name] = cls(formdata=None, prefix=prefix)
    ranked = reviews.ranking(uow(), found.id)
    context = shown_at(status, "foundation_pages.round", round_id=found.id)
    page = render_template(
        "staff/foundation/round.html", r=found, ranked=ranked, error=error,
        undecided=sum(1 for a in ranked if a.status is ApplicationStatus.SUBMITTED),
        grants=grants.grants(uow(), found.id), funds=foundation.funds(uow()),
        names=staff_names(), history=history("round", found.id), **forms, **context)
    return page, status


def _move(round_id: int, name: str, action: Any, message: str) -> Page:
    """Open, start the review of, close or cancel a round, after its box is ticked."""
    found = found_or_404(rounds.get_round, round_id)
    cls, prefix = ROUND_FORMS[name]
    form: FlaskForm = cls(prefix=prefix)
    if not form.validate_on_submit():
        return _round_page(found, status=422, **{name: form})
    try:
        action(uow(), current_actor(), round_id)
    except LedgerError as error:
        text = None
        if isinstance(error, OverCommitted):
            text = _("The foundation has %(available)s available; this round's budget is "
                     "%(budget)s. Record more income or lower the budget.",
                     available=money(foundation.funds(uow()).available),
                     budget=money(found.budget))
        elif isinstance(error, RoundNotInState):
            text = _("A round that is “%(status)s” cannot do this; reload the page to see "
                     "where it is.", status=_status_label(found.status))
        elif isinstance(error, ApplicationNotInState):  # closing with one still undecided
            text = _("Every application must be decided first: resolve or withdraw the "
                     "undecided ones.")
        return _round_page(found_or_404(rounds.get_round, round_id), status=status_for(error),
                           error=refusal(form, error, text), **{name: form})
    return done(message, "foundation_pages.round", round_id=round_id)


def _status_label(status: RoundStatus) -> str:
    return str(ROUND_STATUS_LABELS[status])


@bp.post("/rounds/<int:round_id>/open")
@requires(*MANAGERS)
def open_round(round_id: int) -> Page:
    return _move(round_id, "open_form", rounds.open_round,
                 _("The call is open and the round's budget is reserved."))


@bp.post("/rounds/<int:round_id>/review")
@requires(*MANAGERS)
def start_review(round_id: int) -> Page:
    return _move(round_id, "review_form", rounds.start_review,
                 _("The call is closed; the board's review has started."))


@bp.post("/rounds/<int:round_id>/close")
@requires(*MANAGERS)
def close_round(round_id: int) -> Page:
    return _move(round_id, "close_form", rounds.close_round,
                 _("The round is closed; what it did not commit is available again."))


@bp.post("/rounds/<int:round_id>/cancel")
@requires(*MANAGERS)
def cancel_round(round_id: int) -> Page:
    return _move(round_id, "cancel_form", rounds.cancel_round,
                 _("The round is cancelled; its reservation is void."))


# --- applications: intake -------------------------------------------------------------------
@bp.route("/rounds/<int:round_id>/applications/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_application(round_id: int) -> Page:
    found = found_or_404(rounds.get_round, round_id)
    form = ApplicationForm()
    listed = grantees.grantees(uow())
    form.grantee_id.choices = [("", _("— choose a grantee —"))] + [
        (str(g.id), f"{grantee_name(g)} ({g.credit_code})") for g in listed]

    def page(status: int = 200, budget_errors: list[str] | None = None,
             tranche_errors: list[str] | None = None) -> Page:
        return render_template("staff/foundation/application_new.html", form=form, r=found,
                               grantees=listed, budget_errors=budget_errors or [],
                               tranche_errors=tranche_errors or []), status

    if request.method == "GET":
        form.submitted_on.data = books.today()
        chosen = request.args.get("grantee_id", "")
        if chosen in {value for value, _label in form.grantee_id.choices if value}:
            form.grantee_id.data = chosen
        return page()
    valid = form.validate_on_submit()
    if not form.grantee_id.data:
        form.grantee_id.errors = [*form.grantee_id.errors, _("Choose the applicant.")]
        valid = False
    elif not choice_ok(form.grantee_id, _("Choose one of the listed grantees.")):
        valid = False
    requested = amount_of(form.requested)
    budget, tranches = budget_rows(form.budget), tranche_rows(form.tranches)
    if not (valid and requested and not budget.errors and not tranches.errors):
        return page(422, budget.errors, tranches.errors)
    try:
        made = apps.submit_application(
            uow(), current_actor(), round_id=round_id, grantee_id=int(form.grantee_id.data),
            title=form.title.data or "", need=form.need.data or "", requested=requested,
            budget=budget.items, tranches=tranches.items, submitted_on=form.submitted_on.data)
    except LedgerError as error:
        if error.field in ("budget", "tranches"):
            budget_problem = sum_problem("budget", [b.amount for b in budget.items], requested)
            schedule_problem = sum_problem("tranches", [t.amount for t in tranches.items],
                                           requested)
            if error.field == "tranches" and schedule_problem is None:
                schedule_problem = _("The tranches must fall due in order: each on or after "
                                     "the one before.")
            return page(status_for(error), [budget_problem] if budget_problem else [],
                        [schedule_problem] if schedule_problem else [])
        text = None
        if error.field == "submitted_on":
            text = _("This round takes applications from %(first)s to %(last)s.",
                     first=found.opens_on.isoformat(), last=found.closes_on.isoformat())
        elif isinstance(error, RoundNotInState):
            text = _("This round is not taking applications: it is “%(status)s”.",
                     status=_status_label(found.status))
        attach(form, error, text)
        return page(status_for(error))
    return done(_("Application #%(id)s “%(title)s” is received.", id=made.id, title=made.title),
                "foundation_pages.application", application_id=made.id)
