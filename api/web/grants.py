"""The community development foundation's staff pages (社区发展基金会): income by source and
its restrictions, grantees, and the grants of the venture-philanthropy programme (公益创投).
Rounds and applications are in `foundation_rounds`, reviews in `foundation_reviews`; all of
them add routes to the blueprint here.

Every staff role reads; fund managers and administrators record income, releases, grantees,
rounds, applications, payments, evaluations, early ends and clawbacks; board members declare,
score and vote; board members and administrators resolve. A refusal of the books is shown on
the form in the reader's language, with the status the API would answer, never as a server
error. Forms that change something post to an address of their own and, on a refusal, show the
page they came from (and send the language switch back to it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from moneyed import Money

from ledger import applications as apps
from ledger import books, foundation, grantees, grants, reviews, rounds
from ledger.core.errors import InvalidInput, LedgerError
from ledger.core.grants import (
    EvaluationResult,
    GrantStatus,
    IncomeSource,
    Registration,
    Restriction,
    RoundStatus,
)
from ledger.core.money import DEFAULT_CURRENCY
from ledger.core.staff import Role

from ..auth import STAFF, current_actor, requires
from ..mutual_aid import MANAGERS  # fund managers and administrators
from ..problems import status_for
from ..state import uow
from .common import (
    amount_of,
    carry_out,
    choice_ok,
    credit_code_problem,
    date_for_books,
    done,
    money,
    posted_with_choice,
)
from .foundation_common import (
    GRANTEE_TAKEN,
    attach,
    found_or_404,
    grantee_name,
    grantee_names,
    history,
    refusal,
    shown_at,
)
from .grants_forms import (
    APPLICATION_STATUS_LABELS,
    CHOICE_LABELS,
    EVALUATION_LABELS,
    GRANT_STATUS_LABELS,
    MAJORITY_LABELS,
    REASON_LABELS,
    REGISTRATION_LABELS,
    RESTRICTION_LABELS,
    ROUND_STATUS_LABELS,
    SOURCE_LABELS,
    ClawbackForm,
    CloseGrantForm,
    EvaluationForm,
    GranteeForm,
    IncomeForm,
    PayForm,
    ReleaseForm,
)
from .pages import Page

bp = Blueprint("foundation_pages", __name__, url_prefix="/staff/foundation")
#: Who declares conflicts, scores and votes; who resolves (admins first: see api.auth.STAFF).
BOARD = (Role.BOARD_MEMBER,)
RESOLVERS = (Role.ADMIN, Role.BOARD_MEMBER)


@bp.context_processor
def foundation_helpers() -> dict[str, object]:
    """For the foundation's own pages."""
    return {"money": money, "grantee_name": grantee_name, "source_labels": SOURCE_LABELS,
            "restriction_labels": RESTRICTION_LABELS, "round_status_labels": ROUND_STATUS_LABELS,
            "majority_labels": MAJORITY_LABELS, "application_status_labels":
            APPLICATION_STATUS_LABELS, "choice_labels": CHOICE_LABELS,
            "grant_status_labels": GRANT_STATUS_LABELS, "evaluation_labels": EVALUATION_LABELS,
            "registration_labels": REGISTRATION_LABELS, "reason_labels": REASON_LABELS}


@bp.app_context_processor
def dashboard_helpers() -> dict[str, object]:
    """For the dashboard's card (called only when the card is shown)."""
    return {"foundation_review_tasks": review_tasks}


def review_tasks() -> tuple[int, int]:
    """Applications in the person's review queue, and how many need something of them."""
    items = reviews.queue(uow(), current_actor())
    open_rounds = {r.id for r in rounds.rounds(uow()) if r.status is RoundStatus.OPEN}
    waiting = sum(1 for i in items if still_to_do(i, i.round_id in open_rounds))
    return len(items), waiting


def still_to_do(item: reviews.QueueItem, open_call: bool) -> list[str]:
    """What a reviewer still has to do on an application: declare / score / vote."""
    if not item.declared:
        return ["declare"]
    if item.conflicted or open_call:
        return []
    return [step for step, done in (("score", item.scored), ("vote", item.voted)) if not done]


# --- income ---------------------------------------------------------------------------------
@bp.get("/income")
@requires(*STAFF)
def incomes() -> Page:
    found = foundation.incomes(uow())
    by_source = []
    for source, label in SOURCE_LABELS.items():
        rows = [i for i in found if i.source is source]
        if rows:
            by_source.append({"source": source, "label": label, "rows": rows,
                              "total": _total([i.amount for i in rows]),
                              "restricted": _total([i.restricted_left for i in rows])})
    return render_template("staff/foundation/incomes.html", by_source=by_source,
                           funds=foundation.funds(uow()), round_titles=_round_titles(),
                           total=_total([i.amount for i in found]),
                           restricted=_total([i.restricted_left for i in found]))


def _total(amounts: list[Money]) -> Money:
    return sum(amounts, Money(0, DEFAULT_CURRENCY))


def _round_titles() -> dict[int, str]:
    return {r.id: r.title for r in rounds.rounds(uow())}


def _round_choices(form: IncomeForm) -> None:
    """Rounds that take money: those not closed or cancelled."""
    form.round_id.choices = [("", _("— choose a round —"))] + [
        (str(r.id), f"#{r.id} {r.title}") for r in rounds.rounds(uow())
        if r.status not in (RoundStatus.CLOSED, RoundStatus.CANCELLED)]


@bp.route("/income/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_income() -> Page:
    form = IncomeForm()
    _round_choices(form)

    def page(status: int = 200) -> Page:
        return render_template("staff/foundation/income_new.html", form=form), status

    if request.method == "GET":
        form.received_on.data = books.today()
        form.restriction.data = Restriction.NONE.value
        chosen = request.args.get("round_id", "")
        if chosen in {value for value, _label in form.round_id.choices}:
            form.round_id.data, form.restriction.data = chosen, Restriction.ROUND.value
        return page()
    valid = form.validate_on_submit()
    valid = choice_ok(form.source, _("Choose one of the listed sources.")) and valid
    restriction = None
    if form.restriction.data and choice_ok(form.restriction,
                                           _("Choose one of the listed restrictions.")):
        restriction = Restriction(form.restriction.data)
    round_id = None
    if restriction is Restriction.ROUND:
        if not form.round_id.data:
            form.round_id.errors = [*form.round_id.errors,
                                    _("Choose the grant round the money is given for.")]
        elif choice_ok(form.round_id, _("Choose one of the listed rounds.")):
            round_id = int(form.round_id.data)
    amount = amount_of(form.amount)
    dated = date_for_books(form.received_on)
    if not (valid and restriction and amount and dated and not form.round_id.errors):
        return page(422)
    purpose = form.purpose.data if restriction is Restriction.PURPOSE else None
    try:
        made = foundation.record_income(
            uow(), current_actor(), source=IncomeSource(form.source.data),
            donor=form.donor.data or "", amount=amount, received_on=form.received_on.data,
            restriction=restriction, purpose=purpose, round_id=round_id,
            anonymous=bool(form.anonymous.data), reference=form.reference.data or "")
    except LedgerError as error:
        attach(form, error)
        return page(status_for(error))
    return done(_("Income #%(id)s is recorded and posted: %(amount)s from %(source)s.",
                  id=made.id, amount=money(made.amount), source=SOURCE_LABELS[made.source]),
                "foundation_pages.income", income_id=made.id)


@bp.get("/income/<int:income_id>")
@requires(*STAFF)
def income(income_id: int) -> Page:
    return _income_page(found_or_404(foundation.income, income_id))


def _income_page(found: foundation.Income, form: ReleaseForm | None = None,
                 status: int = 200, error: str | None = None) -> Page:
    if form is None:
        form = ReleaseForm(formdata=None, data={"on": max(books.today(), found.received_on)})
    context = shown_at(status, "foundation_pages.income", income_id=found.id)
    page = render_template(
        "staff/foundation/income.html", i=found, form=form, error=error,
        releases=foundation.releases(uow(), found.id), round_titles=_round_titles(), **context)
    return page, status


@bp.post("/income/<int:income_id>/release")
@requires(*MANAGERS)
def release_income(income_id: int) -> Page:
    found = found_or_404(foundation.income, income_id)
    form = ReleaseForm()
    valid = form.validate_on_submit()
    amount = amount_of(form.amount)
    if not (date_for_books(form.on) and valid and amount):
        return _income_page(found, form, 422)
    try:
        foundation.release_restriction(uow(), current_actor(), income_id, amount=amount,
                                       on=form.on.data, reason=form.reason.data or "")
    except LedgerError as error:
        text = None
        if isinstance(error, foundation.OverReleased):
            text = _("Income #%(id)s has %(left)s still restricted; less than %(amount)s.",
                     id=found.id, left=money(found.restricted_left), amount=money(amount))
        elif error.field == "on":
            text = _("A restriction is released on or after the day the money arrived "
                     "(%(date)s).", date=found.received_on.isoformat())
        elif error.field == "income_id":
            text = _("This income is unrestricted: there is nothing to release.")
        message = refusal(form, error, text)
        return _income_page(foundation.income(uow(), income_id), form, status_for(error),
                            message)
    return done(_("%(amount)s of income #%(id)s is released from its restriction.",
                  amount=money(amount), id=income_id),
                "foundation_pages.income", income_id=income_id)


# --- grantees -------------------------------------------------------------------------------
@bp.get("/grantees")
@requires(*STAFF)
def grantee_list() -> Page:
    return render_template("staff/foundation/grantees.html", rows=grantees.grantees(uow()))


@bp.route("/grantees/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_grantee() -> Page:
    form = GranteeForm()
    if request.method == "GET":
        form.registration.data = Registration.REGISTERED.value
        return render_template("staff/foundation/grantee_new.html", form=form)
    status = 422
    valid = form.validate_on_submit()
    if choice_ok(form.registration, _("Choose one of the listed registrations.")) and valid:
        try:
            made = grantees.register_grantee(
                uow(), current_actor(), name_zh=form.name_zh.data or "",
                name_en=(form.name_en.data or "").strip() or None,
                credit_code=form.credit_code.data or "",
                registration=Registration(form.registration.data),
                contact_name=form.contact_name.data or "",
                contact_phone=form.contact_phone.data or "",
                bank_name=form.bank_name.data or "", bank_account=form.bank_account.data or "")
        except LedgerError as error:
            attach(form, error, credit_code_problem(error, form.credit_code.data or "",
                                                    str(GRANTEE_TAKEN)))
            status = status_for(error)
        else:
            return done(_("%(name)s is registered as a grantee.", name=grantee_name(made)),
                        "foundation_pages.grantee", grantee_id=made.id)
    return render_template("staff/foundation/grantee_new.html", form=form), status


@bp.get("/grantees/<int:grantee_id>")
@requires(*STAFF)
def grantee(grantee_id: int) -> Page:
    found = found_or_404(grantees.grantee, grantee_id)
    return render_template(
        "staff/foundation/grantee.html", grantee=found,
        applications=[a for a in apps.applications(uow()) if a.grantee_id == grantee_id],
        grants=[x for x in grants.grants(uow()) if x.grantee_id == grantee_id],
        round_titles=_round_titles())


# --- grants ---------------------------------------------------------------------------------
@bp.get("/grants")
@requires(*STAFF)
def grant_list() -> Page:
    return render_template("staff/foundation/grants.html", rows=grants.grants(uow()),
                           names=grantee_names(), round_titles=_round_titles())


@bp.get("/grants/<int:grant_id>")
@requires(*STAFF)
def grant(grant_id: int) -> Page:
    return _grant_page(found_or_404(grants.get_grant, grant_id))


def _next_tranche(found: grants.Grant) -> grants.TrancheState | None:
    return next((t for t in found.tranches if t.paid_on is None), None)


def _grant_page(found: grants.Grant, *, status: int = 200, error: str | None = None,
                **forms: Any) -> Page:
    today = max(books.today(), latest_move(found))
    following = _next_tranche(found)
    defaults = {
        "pay_form": lambda: PayForm(formdata=None, prefix="pay", data={
            "on": today, "number": str(following.number) if following else ""}),
        "evaluation_form": lambda: EvaluationForm(formdata=None, prefix="evaluation",
                                                  data={"evaluated_on": today}),
        "close_form": lambda: CloseGrantForm(formdata=None, prefix="close", data={"on": today}),
        "clawback_form": lambda: ClawbackForm(formdata=None, prefix="clawback",
                                              data={"on": today}),
    }
    for name, make in defaults.items():
        if forms.get(name) is None:
            forms[name] = make()
    context = shown_at(status, "foundation_pages.grant", grant_id=found.id)
    page = render_template(
        "staff/foundation/grant.html", grant=found, next_tranche=following, error=error,
        round=rounds.get_round(uow(), found.round_id),
        grantee=grantees.grantee(uow(), found.grantee_id),
        unpaid=found.amount - found.paid, returnable=found.paid - found.clawed_back,
        earliest=latest_move(found),
        history=history("grant", found.id), **forms, **context)
    return page, status


def latest_move(found: grants.Grant) -> date:
    """The day the grant's money last moved (its commitment or latest payment): nothing of it
    is dated before."""
    return max([found.committed_on, *(t.paid_on for t in found.tranches if t.paid_on)])


def _back(grant_id: int, message: str) -> Page:
    """To the grant's page, with the message."""
    return done(message, "foundation_pages.grant", grant_id=grant_id)


def _refused(found: grants.Grant, error: LedgerError, **forms: Any) -> Page:
    """The grant page again, with the refusal on the form that caused it or at the top."""
    form = next(iter(forms.values()))
    text = None
    if isinstance(error, InvalidInput) and error.field == "on":
        text = _("Grant #%(id)s last moved on %(date)s (its commitment or latest payment): "
                 "choose that day or a later one.", id=found.id,
                 date=latest_move(found).isoformat())
    return _grant_page(found_or_404(grants.get_grant, found.id), status=status_for(error),
                       error=refusal(form, error, text), **forms)


@bp.post("/grants/<int:grant_id>/pay")
@requires(*MANAGERS)
def pay_tranche(grant_id: int) -> Page:
    found = found_or_404(grants.get_grant, grant_id)
    form = PayForm(prefix="pay")
    valid = form.validate_on_submit() and date_for_books(form.on)
    typed = form.number.data or ""
    if not typed.isdigit() or len(typed) > 3:
        form.form_errors.append(_("Reload the page: it does not say which tranche to pay."))
        valid = False
    if not valid:
        return _grant_page(found, status=422, pay_form=form)
    return carry_out(
        lambda: grants.pay_tranche(uow(), current_actor(), grant_id, number=int(typed),
                                   on=form.on.data),
        refused=lambda error: _refused(found, error, pay_form=form),
        then=lambda paid: _back(grant_id, _paid(paid.tranches[int(typed) - 1],
                                                paid.status is GrantStatus.COMPLETED)))


def _paid(tranche: grants.TrancheState, completed: bool) -> str:
    if completed:
        return _("Tranche %(number)s (%(amount)s) is paid and posted; every tranche is paid "
                 "and the grant is completed.", number=tranche.number,
                 amount=money(tranche.amount))
    return _("Tranche %(number)s (%(amount)s) is paid and posted.", number=tranche.number,
             amount=money(tranche.amount))


@bp.post("/grants/<int:grant_id>/evaluation")
@requires(*MANAGERS)
def evaluate(grant_id: int) -> Page:
    found = found_or_404(grants.get_grant, grant_id)
    form = EvaluationForm(prefix="evaluation")
    if not posted_with_choice(form, form.result, _("Choose passed or failed.")):
        return _grant_page(found, status=422, evaluation_form=form)
    result = EvaluationResult(form.result.data)
    return carry_out(
        lambda: grants.evaluate(uow(), current_actor(), grant_id,
                                evaluated_on=form.evaluated_on.data,
                                evaluators=form.evaluators.data or "", result=result,
                                notes=form.notes.data or ""),
        refused=lambda error: _refused(found, error, evaluation_form=form),
        then=lambda _evaluated: _back(grant_id, _(
            "The acceptance evaluation is recorded: %(result)s.",
            result=EVALUATION_LABELS[result])))


@bp.post("/grants/<int:grant_id>/close")
@requires(*MANAGERS)
def close_grant(grant_id: int) -> Page:
    found = found_or_404(grants.get_grant, grant_id)
    form = CloseGrantForm(prefix="close")
    valid = form.validate_on_submit()
    if not (date_for_books(form.on) and valid):
        return _grant_page(found, status=422, close_form=form)
    return carry_out(
        lambda: grants.close_grant(uow(), current_actor(), grant_id, on=form.on.data,
                                   reason=form.reason.data or ""),
        refused=lambda error: _refused(found, error, close_form=form),
        then=lambda closed: _back(grant_id, _(
            "Grant #%(id)s has ended early; %(amount)s not paid returns to the available "
            "funds.", id=grant_id, amount=money(closed.unspent_returned))))


@bp.post("/grants/<int:grant_id>/clawback")
@requires(*MANAGERS)
def claw_back(grant_id: int) -> Page:
    found = found_or_404(grants.get_grant, grant_id)
    form = ClawbackForm(prefix="clawback")
    valid = form.validate_on_submit()
    amount = amount_of(form.amount)
    if not (date_for_books(form.on) and valid and amount):
        return _grant_page(found, status=422, clawback_form=form)

    def refused(error: LedgerError) -> Page:
        if error.field == "amount":
            form.amount.errors = [*form.amount.errors, _(
                "At most %(amount)s can come back: what was paid and not yet returned.",
                amount=money(found.paid - found.clawed_back))]
            return _grant_page(found, status=status_for(error), clawback_form=form)
        return _refused(found, error, clawback_form=form)

    return carry_out(
        lambda: grants.claw_back(uow(), current_actor(), grant_id, amount=amount,
                                 on=form.on.data, reason=form.reason.data or ""),
        refused=refused,
        then=lambda _clawback: _back(grant_id, _(
            "%(amount)s returned by the grantee is recorded and posted.", amount=money(amount))))
