"""The mutual-aid fund's staff pages (商会互助资金会): members, deposits and their reversal,
transfers to the foundation, bridging services, operating expenses and the split policy.

Every staff role reads; fund managers and administrators record; administrators alone add a
policy version (as in the JSON API, api/mutual_aid.py and api/bridging.py). A refusal of the
books (the four-eyes rule, the service cap, not enough money...) is shown on the form, in the
reader's language, with the status the API would answer; never as a server error.

Pages that change something and have a page to read at the same address answer POST there
under their own endpoint (GET /transfers lists, POST /transfers transfers); the buttons of a
service and the status of a member post to an address of their own and, on a refusal, show
the page they came from (and send the language switch back to it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from moneyed import Money
from wtforms import Field

from ledger import books, bridging, expenses, staff
from ledger import mutual_aid as ma
from ledger.bridging import OverCap, Service, ServiceNotFound
from ledger.core.errors import (
    AlreadyReversed,
    Conflict,
    InvalidInput,
    LedgerError,
    SelfApproval,
)
from ledger.core.money import DEFAULT_CURRENCY
from ledger.core.mutual_aid import (
    EXPENSE_ACCOUNTS,
    FUND,
    OUTSTANDING,
    TRANSITIONS,
    MemberStatus,
    PaymentMethod,
    RemainderRule,
    ServiceStatus,
    SplitPolicy,
)
from ledger.core.staff import Role
from ledger.expenses import InsufficientFunds

from ..auth import STAFF, current_actor, requires
from ..mutual_aid import (
    MANAGERS,  # the JSON API's writers: fund managers and administrators
    deposit_receipt_response,
)
from ..problems import status_for  # the API's status for each refusal
from ..state import uow
from .common import (
    add_error,
    amount_of,
    chinese,
    choice_ok,
    credit_code_problem,
    date_for_books,
    explain,
    money,
    posted_with_choice,
)
from .forms import EmptyForm
from .fund_forms import (
    CATEGORY_LABELS,
    MEMBER_STATUS_LABELS,
    METHOD_LABELS,
    REMAINDER_LABELS,
    ActivateForm,
    DepositForm,
    EndForm,
    ExpenseForm,
    MemberForm,
    MemberStatusForm,
    PolicyForm,
    ReverseDepositForm,
    ServiceFilterForm,
    ServiceForm,
    TransferForm,
)
from .pages import Page

bp = Blueprint("fund", __name__, url_prefix="/staff/fund")

SERVICE_STATUS_LABELS = {
    ServiceStatus.REQUESTED: _l("Awaiting approval"),
    ServiceStatus.APPROVED: _l("Approved"),
    ServiceStatus.ACTIVE: _l("In progress"),
    ServiceStatus.REPAID: _l("Repaid"),
    ServiceStatus.DEFAULTED: _l("Defaulted"),
    ServiceStatus.REJECTED: _l("Rejected"),
}
#: The words of a refusal, for the errors the fund's use cases add to the ledger's own.
FUND_ERRORS: dict[type[LedgerError], Any] = {
    ma.MemberNotFound: _l("There is no such member enterprise."),
    ma.MemberNotActive: _l("This member is not active (it is suspended or has withdrawn): "
                           "deposits and bridging services are recorded only for active "
                           "members."),
    ma.DepositNotFound: _l("There is no such deposit."),
    ma.NothingToTransfer: _l("No foundation share is waiting to be transferred."),
    AlreadyReversed: _l("This deposit has already been reversed."),
    ServiceNotFound: _l("There is no such bridging service."),
    OverCap: _l("This would take the member above its service cap."),
    InsufficientFunds: _l("The fund does not have enough money for this."),
    SelfApproval: _l("You requested this service yourself: another fund manager or "
                     "administrator must approve or reject it."),
}
_PERCENT = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,2})?$")


# --- helpers ----------------------------------------------------------------------------------
def fund_explain(error: LedgerError) -> str:
    """A refusal in the reader's language: the fund's errors first, then the ledger's."""
    for cls in type(error).__mro__:
        text = FUND_ERRORS.get(cls)
        if text is not None:
            return str(text)
    return explain(error)


def _attach(form: FlaskForm, error: LedgerError, text: str | None = None) -> None:
    """Show a refusal next to the field it names, or above the form."""
    message = text or fund_explain(error)
    field = form._fields.get(error.field or "")
    if field is None or error.field == "csrf_token":
        form.form_errors.append(message)
    else:
        add_error(field, message)


def _shown_at(url: str) -> dict[str, Callable[[], str]]:
    """For a page shown after a POST to an address that only takes POST: where the language
    switch goes back to (the page's own address, which answers GET)."""
    return {"here": lambda: url}


def member_name(member: ma.Member) -> str:
    return member.name_zh if chinese() or not member.name_en else member.name_en


def percent(share: Decimal) -> str:
    """Decimal('0.3125') -> '31.25'; Decimal('0.30') -> '30'."""
    text = f"{share * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _staff_names() -> dict[int, str]:
    return {u.id: u.display_name or u.username for u in staff.users(uow())}


def _member_or_404(member_id: int) -> ma.Member:
    try:
        return ma.member(uow(), member_id)
    except ma.MemberNotFound:
        abort(404)


def _active_member_choices(form: DepositForm | ServiceForm) -> list[ma.Member]:
    active = [m for m in ma.members(uow()) if m.status is MemberStatus.ACTIVE]
    form.member_id.choices = [("", _("— choose a member —"))] + [
        (str(m.id), f"{member_name(m)} ({m.credit_code})") for m in active]
    return active


def _member_id(form: DepositForm | ServiceForm) -> int | None:
    if not form.member_id.data:
        add_error(form.member_id, _("Choose a member enterprise."))
        return None
    listed = {value for value, _label in form.member_id.choices or ()}
    if form.member_id.data not in listed:
        named = _find_member(form.member_id.data)
        add_error(form.member_id, str(FUND_ERRORS[ma.MemberNotActive]) if named
                  else _("Choose one of the listed members."))  # listed: all the active ones
        return None
    return int(form.member_id.data)


def _find_member(typed: str | None) -> ma.Member | None:
    """The member whose id this is, or None."""
    if not typed or not typed.isdigit() or len(typed) > 9:
        return None
    try:
        return ma.member(uow(), int(typed))
    except ma.MemberNotFound:
        return None


def _preselect(form: DepositForm | ServiceForm) -> ma.Member | None:
    """On GET, the member named by ?member_id= (None if there is none such)."""
    chosen = _find_member(request.args.get("member_id"))
    if chosen is not None:
        form.member_id.data = str(chosen.id)
    return chosen


@dataclass(frozen=True)
class DepositLine:
    """A deposit as the tables show it."""

    deposit: ma.Deposit
    member: str
    transfer_made_on: date | None

    @property
    def transferred(self) -> bool:
        return self.deposit.transfer_id is not None

    @property
    def reversed(self) -> bool:
        return self.deposit.reversal_seq is not None


def _deposit_rows(found: list[ma.Deposit]) -> list[DepositLine]:
    names = {m.id: member_name(m) for m in ma.members(uow())}
    dates = {t.id: t.made_on for t in ma.transfers(uow())}
    return [DepositLine(d, names.get(d.member_id, f"#{d.member_id}"),
                       dates.get(d.transfer_id) if d.transfer_id else None) for d in found]


def _total(amounts: list[Money]) -> Money:
    return sum(amounts, Money(0, DEFAULT_CURRENCY))


@bp.context_processor
def fund_helpers() -> dict[str, object]:
    """For the fund's own pages."""
    return {"money": money, "percent": percent, "member_name": member_name,
            "member_status_labels": MEMBER_STATUS_LABELS, "method_labels": METHOD_LABELS,
            "service_status_labels": SERVICE_STATUS_LABELS,
            "remainder_labels": REMAINDER_LABELS, "category_labels": CATEGORY_LABELS}


@bp.app_context_processor
def dashboard_helpers() -> dict[str, object]:
    """For the dashboard's panel (called only when the panel is shown)."""
    return {"fund_pending_services": pending_services}


def pending_services() -> tuple[int, int]:
    """Services awaiting approval, and how many of them the person logged in requested."""
    waiting = [s for s in bridging.services(uow()) if s.status is ServiceStatus.REQUESTED]
    return len(waiting), sum(1 for s in waiting if s.requested_by == g.user.id)


# --- members ----------------------------------------------------------------------------------
@bp.route("/members")
@requires(*STAFF)
def members() -> Page:
    rows = []
    for member in ma.members(uow()):
        entitled = ma.entitlement(uow(), member.id)
        rows.append({"member": member, "deposits": entitled.deposits, "cap": entitled.cap})
    return render_template("staff/fund/members.html", rows=rows)


@bp.route("/members/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_member() -> Page:
    form = MemberForm()
    if request.method == "GET":
        form.joined_on.data = books.today()
        return render_template("staff/fund/member_new.html", form=form)
    status = 422
    if form.validate_on_submit():
        try:
            member = ma.register_member(
                uow(), current_actor(), name_zh=form.name_zh.data or "",
                name_en=(form.name_en.data or "").strip() or None,
                credit_code=form.credit_code.data or "",
                legal_representative=form.legal_representative.data or "",
                contact_name=form.contact_name.data or "",
                contact_phone=form.contact_phone.data or "", joined_on=form.joined_on.data)
        except LedgerError as error:
            _attach(form, error, credit_code_problem(
                error, form.credit_code.data or "",
                _("A member with this credit code is registered already.")))
            status = status_for(error)
        else:
            flash(_("%(name)s is registered as a member.", name=member_name(member)),
                  "success")
            return redirect(url_for("fund.member", member_id=member.id))
    return render_template("staff/fund/member_new.html", form=form), status


@bp.route("/members/<int:member_id>")
@requires(*STAFF)
def member(member_id: int) -> Page:
    return _member_page(_member_or_404(member_id))


def _member_page(member: ma.Member, *, status_form: MemberStatusForm | None = None,
                 status: int = 200, **context: Any) -> Page:
    if status_form is None:
        status_form = MemberStatusForm(formdata=None, data={"status": member.status.value})
    found = ma.deposits(uow(), member.id)
    page = render_template(
        "staff/fund/member.html", member=member, status_form=status_form,
        deposits=_deposit_rows(found), entitlement=ma.entitlement(uow(), member.id),
        exposure=bridging.exposure(uow(), member.id),
        services=bridging.services(uow(), member.id), **context)
    return page, status


@bp.route("/members/<int:member_id>/status", methods=["POST"])
@requires(*MANAGERS)
def set_member_status(member_id: int) -> Page:
    member = _member_or_404(member_id)
    form = MemberStatusForm()
    back = _shown_at(url_for("fund.member", member_id=member_id))
    if not (form.validate_on_submit()
            and choice_ok(form.status, _("Choose one of the listed statuses."))):
        return _member_page(member, status_form=form, status=422, **back)
    new = MemberStatus(form.status.data)
    if new is member.status:
        flash(_("The status is unchanged."), "info")
        return redirect(url_for("fund.member", member_id=member_id))
    try:
        updated = ma.set_member_status(uow(), current_actor(), member_id, new)
    except LedgerError as error:
        _attach(form, error)
        return _member_page(member, status_form=form, status=status_for(error), **back)
    flash(_("%(name)s is now: %(status)s.", name=member_name(updated),
            status=MEMBER_STATUS_LABELS[updated.status]), "success")
    return redirect(url_for("fund.member", member_id=member_id))


# --- deposits ---------------------------------------------------------------------------------
@bp.route("/deposits/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_deposit() -> Page:
    form = DepositForm()
    active = _active_member_choices(form)
    if request.method == "GET":
        chosen = _preselect(form)
        form.received_on.data = books.today()
        form.method.data = PaymentMethod.BANK_TRANSFER.value
        inactive = chosen if chosen and chosen.status is not MemberStatus.ACTIVE else None
        return render_template("staff/fund/deposit_new.html", form=form, active=active,
                               inactive=inactive)
    valid = form.validate_on_submit()
    member_id = _member_id(form)
    method_ok = choice_ok(form.method, _("Choose one of the listed payment methods."))
    amount = amount_of(form.amount)
    dated = date_for_books(form.received_on)
    if not (valid and member_id and method_ok and amount and dated):
        return render_template("staff/fund/deposit_new.html", form=form, active=active), 422
    try:
        deposit = ma.record_deposit(uow(), current_actor(), member_id=member_id, amount=amount,
                                    received_on=form.received_on.data,
                                    method=PaymentMethod(form.method.data),
                                    reference=form.reference.data or "")
    except LedgerError as error:
        _attach(form, error, _no_policy(error))
        return (render_template("staff/fund/deposit_new.html", form=form, active=active),
                status_for(error))
    flash(_("Deposit #%(id)s is recorded and posted: %(amount)s, of which %(operating)s stays "
            "with the fund and %(foundation)s goes to the foundation.", id=deposit.id,
            amount=money(deposit.amount), operating=money(deposit.operating),
            foundation=money(deposit.foundation)), "success")
    return redirect(url_for("fund.deposit", deposit_id=deposit.id))


def _no_policy(error: LedgerError) -> str | None:
    if isinstance(error, InvalidInput) and error.field == "received_on":
        first = ma.policies(uow())[0].effective_from
        return _("No split policy is in force on this date; the first one takes effect on "
                 "%(date)s.", date=first.isoformat())
    return None


def _deposit_or_404(deposit_id: int) -> ma.Deposit:
    try:
        return ma.deposit(uow(), deposit_id)
    except ma.DepositNotFound:
        abort(404)


def _policy(version: int) -> SplitPolicy | None:
    return next((p for p in ma.policies(uow()) if p.version == version), None)


@bp.route("/deposits/<int:deposit_id>")
@requires(*STAFF)
def deposit(deposit_id: int) -> Page:
    found = _deposit_or_404(deposit_id)
    row = _deposit_rows([found])[0]
    return render_template("staff/fund/deposit.html", row=row, d=found,
                           member=ma.member(uow(), found.member_id),
                           policy=_policy(found.policy_version))


@bp.route("/deposits/<int:deposit_id>/receipt.pdf")
@requires(*STAFF)
def deposit_receipt(deposit_id: int) -> Response:
    """The deposit's bilingual receipt (the same PDF as the API's)."""
    return deposit_receipt_response(deposit_id)


@bp.route("/deposits/<int:deposit_id>/reverse", methods=["GET", "POST"])
@requires(*MANAGERS)
def reverse_deposit(deposit_id: int) -> Page:
    found = _deposit_or_404(deposit_id)
    form = ReverseDepositForm()
    row = _deposit_rows([found])[0]
    earliest = max(found.received_on, row.transfer_made_on or found.received_on)

    def page(status: int = 200) -> Page:
        return render_template("staff/fund/deposit_reverse.html", form=form, d=found, row=row,
                               member=ma.member(uow(), found.member_id),
                               earliest=earliest), status

    if request.method == "GET":
        form.effective_date.data = max(books.today(), earliest)
        return page()
    if row.reversed:  # the page says so, and shows no form
        return page(status_for(AlreadyReversed("")))
    valid = form.validate_on_submit()
    valid = date_for_books(form.effective_date) and valid
    if valid and form.effective_date.data < earliest:
        add_error(form.effective_date, _("The reversal cannot be dated before %(date)s (the "
                                         "deposit or the transfer of its share).",
                                         date=earliest.isoformat()))
        valid = False
    if not valid:
        return page(422)
    try:
        reversed_ = ma.reverse_deposit(uow(), current_actor(), deposit_id,
                                       reason=form.reason.data or "",
                                       on=form.effective_date.data)
    except LedgerError as error:
        _attach(form, error)
        return page(status_for(error))
    if row.transferred:
        flash(_("Deposit #%(id)s is reversed in both books: the foundation returned its share "
                "and the fund's entry is reversed.", id=reversed_.id), "success")
    else:
        flash(_("Deposit #%(id)s is reversed.", id=reversed_.id), "success")
    return redirect(url_for("fund.deposit", deposit_id=deposit_id))


# --- transfers to the foundation --------------------------------------------------------------
@bp.get("/transfers")
@requires(*STAFF)
def transfers() -> Page:
    form = TransferForm(formdata=None)
    form.made_on.data = books.today()
    return _transfers_page(form)


def _transfers_page(form: TransferForm, status: int = 200) -> Page:
    owed = ma.owed_deposits(uow())
    page = render_template(
        "staff/fund/transfers.html", form=form, transfers=ma.transfers(uow()),
        owed=_deposit_rows(owed), owed_total=_total([d.foundation for d in owed]),
        latest=max((d.received_on for d in owed), default=None))
    return page, status


@bp.post("/transfers")
@requires(*MANAGERS)
def make_transfer() -> Page:
    form = TransferForm()
    valid = form.validate_on_submit()
    if not (date_for_books(form.made_on) and valid):
        return _transfers_page(form, 422)
    try:
        made = ma.transfer_to_foundation(uow(), current_actor(), made_on=form.made_on.data)
    except LedgerError as error:
        latest = max((d.received_on for d in ma.owed_deposits(uow())), default=None)
        text = None
        if error.field == "made_on" and latest is not None:
            text = _("The transfer cannot be dated before the deposits it pays (the latest was "
                     "received on %(date)s).", date=latest.isoformat())
        _attach(form, error, text)
        return _transfers_page(form, status_for(error))
    flash(_("Transfer #%(id)s is made: %(amount)s paid to the foundation for %(count)s "
            "deposit(s).", id=made.id, amount=money(made.amount),
            count=len(made.deposit_ids)), "success")
    return redirect(url_for("fund.transfers"))


# --- bridging services ------------------------------------------------------------------------
@bp.route("/services")
@requires(*STAFF)
def services() -> Page:
    form = ServiceFilterForm(formdata=request.args)
    form.status.choices = [("", _("All")), *((s.value, label)
                                             for s, label in SERVICE_STATUS_LABELS.items())]
    chosen = form.status.data if form.status.data in {s.value for s in ServiceStatus} else None
    if not chosen:
        form.status.data = ""
    names = {m.id: member_name(m) for m in ma.members(uow())}
    rows = [s for s in bridging.services(uow()) if chosen is None or s.status.value == chosen]
    return render_template("staff/fund/services.html", form=form, rows=rows, names=names,
                           chosen=chosen)


@bp.route("/services/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_service() -> Page:
    form = ServiceForm()
    active = _active_member_choices(form)

    def page(status: int = 200, **context: Any) -> Page:
        return render_template("staff/fund/service_new.html", form=form, active=active,
                               **context), status

    if request.method == "GET":
        chosen = _preselect(form)
        form.bridge_from.data = books.today()
        inactive = chosen if chosen and chosen.status is not MemberStatus.ACTIVE else None
        return page(inactive=inactive, exposure=_exposure_of(chosen))
    valid = form.validate_on_submit()
    member_id = _member_id(form)
    amount = amount_of(form.loan_amount)
    start, end = form.bridge_from.data, form.bridge_to.data
    if start and end and end < start:
        add_error(form.bridge_to, _("The bridge ends before it starts."))
        valid = False
    if not (valid and member_id and amount):
        return page(422)
    try:
        made = bridging.request_service(uow(), current_actor(), member_id=member_id,
                                        bank=form.bank.data or "", loan_amount=amount,
                                        bridge_from=start, bridge_to=end)
    except LedgerError as error:
        _attach(form, error)
        return page(status_for(error))
    flash(_("Bridging service #%(id)s is requested. Another fund manager or administrator must "
            "approve it.", id=made.id), "success")
    return redirect(url_for("fund.service", service_id=made.id))


def _exposure_of(member: ma.Member | None) -> bridging.Exposure | None:
    return bridging.exposure(uow(), member.id) if member else None


def _service_or_404(service_id: int) -> Service:
    try:
        return bridging.service(uow(), service_id)
    except ServiceNotFound:
        abort(404)


def _end_choices(service: Service) -> list[tuple[str, Any]]:
    labels = {ServiceStatus.REPAID: _l("Repaid (an advance comes back to the bank)"),
              ServiceStatus.DEFAULTED: _l("Defaulted (an advance is written off)")}
    return [(s.value, labels[s]) for s in TRANSITIONS.get(service.status, ())
            if s in labels]


@bp.route("/services/<int:service_id>")
@requires(*STAFF)
def service(service_id: int) -> Page:
    return _service_page(_service_or_404(service_id))


def _service_page(found: Service, *, status: int = 200, error: str | None = None,
                  activate_form: ActivateForm | None = None, end_form: EndForm | None = None,
                  shown_after_post: bool = False) -> Page:
    if activate_form is None:
        activate_form = ActivateForm(formdata=None, data={"on": books.today()})
    if end_form is None:
        end_form = EndForm(formdata=None, data={"on": books.today()})
    end_form.outcome.choices = _end_choices(found)
    names = _staff_names()
    context = _shown_at(url_for("fund.service", service_id=found.id)) if shown_after_post else {}
    page = render_template(
        "staff/fund/service.html", s=found, member=ma.member(uow(), found.member_id),
        exposure=bridging.exposure(uow(), found.member_id),
        requested_by=names.get(found.requested_by, f"#{found.requested_by}"),
        approved_by=names.get(found.approved_by, f"#{found.approved_by}")
        if found.approved_by else None,
        mine=found.requested_by == g.user.id, error=error, decide_form=EmptyForm(formdata=None),
        activate_form=activate_form, end_form=end_form,
        holds_cap=found.status in OUTSTANDING, **context)
    return page, status


def _refused(found: Service, error: LedgerError, on: date | None = None, **forms: Any
             ) -> Page:
    """The service page again, with the refusal in words (`on`: the date of an advance)."""
    text = fund_explain(error)
    if isinstance(error, OverCap):
        room = bridging.exposure(uow(), found.member_id).available
        text = _("Approving this service would take the member above its service cap: the cap "
                 "leaves %(available)s free and this service needs %(amount)s.",
                 available=money(room), amount=money(found.loan_amount))
    elif isinstance(error, InsufficientFunds) and on is not None:
        text = _("The fund cannot advance %(amount)s on %(date)s: its bank balance would fall "
                 "below zero on that day or a later one (money cannot be spent before it "
                 "arrives). All entries counted, its bank balance is %(bank)s.",
                 amount=money(found.loan_amount), date=on.isoformat(),
                 bank=money(expenses.position(uow()).bank))
    elif isinstance(error, InvalidInput) and error.field == "status":
        text = _("This cannot be done to a service that is “%(status)s”; reload the page to "
                 "see what it is now.", status=SERVICE_STATUS_LABELS[found.status])
    return _service_page(found, status=status_for(error), error=text, shown_after_post=True,
                         **forms)


@bp.route("/services/<int:service_id>/approve", methods=["POST"])
@requires(*MANAGERS)
def approve_service(service_id: int) -> Page:
    found = _service_or_404(service_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("fund.service", service_id=service_id))
    try:
        bridging.approve_service(uow(), current_actor(), service_id)
    except LedgerError as error:
        return _refused(_service_or_404(service_id), error)
    flash(_("Bridging service #%(id)s is approved.", id=found.id), "success")
    return redirect(url_for("fund.service", service_id=service_id))


@bp.route("/services/<int:service_id>/reject", methods=["POST"])
@requires(*MANAGERS)
def reject_service(service_id: int) -> Page:
    found = _service_or_404(service_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("fund.service", service_id=service_id))
    try:
        bridging.reject_service(uow(), current_actor(), service_id)
    except LedgerError as error:
        return _refused(_service_or_404(service_id), error)
    flash(_("Bridging service #%(id)s is rejected.", id=found.id), "success")
    return redirect(url_for("fund.service", service_id=service_id))


@bp.route("/services/<int:service_id>/activate", methods=["POST"])
@requires(*MANAGERS)
def activate_service(service_id: int) -> Page:
    found = _service_or_404(service_id)
    form = ActivateForm()
    valid = posted_with_choice(form, form.advance, _("Choose yes or no."))
    if not (date_for_books(form.on) and valid):
        return _service_page(found, status=422, activate_form=form, shown_after_post=True)
    advance = form.advance.data == "yes"
    try:
        bridging.activate_service(uow(), current_actor(), service_id, advance=advance,
                                  on=form.on.data)
    except LedgerError as error:
        return _refused(_service_or_404(service_id), error, form.on.data, activate_form=form)
    if advance:
        flash(_("Bridging service #%(id)s is active; the fund advanced %(amount)s.",
                id=found.id, amount=money(found.loan_amount)), "success")
    else:
        flash(_("Bridging service #%(id)s is active, without an advance.", id=found.id),
              "success")
    return redirect(url_for("fund.service", service_id=service_id))


@bp.route("/services/<int:service_id>/end", methods=["POST"])
@requires(*MANAGERS)
def end_service(service_id: int) -> Page:
    found = _service_or_404(service_id)
    form = EndForm()
    form.outcome.choices = _end_choices(found)
    valid = posted_with_choice(form, form.outcome, _("Choose one of the listed outcomes."))
    if not (date_for_books(form.on) and valid):
        return _service_page(found, status=422, end_form=form, shown_after_post=True)
    outcome = ServiceStatus(form.outcome.data)
    try:
        ended = bridging.end_service(uow(), current_actor(), service_id, status=outcome,
                                     on=form.on.data)
    except LedgerError as error:
        return _refused(_service_or_404(service_id), error, end_form=form)
    flash(_("Bridging service #%(id)s has ended: %(status)s.", id=ended.id,
            status=SERVICE_STATUS_LABELS[ended.status]), "success")
    return redirect(url_for("fund.service", service_id=service_id))


# --- operating expenses -----------------------------------------------------------------------
@bp.get("/expenses")
@requires(*STAFF)
def expense_list() -> Page:
    form = ExpenseForm(formdata=None)
    form.spent_on.data = books.today()
    return _expenses_page(form)


def _expenses_page(form: ExpenseForm, status: int = 200) -> Page:
    return render_template("staff/fund/expenses.html", form=form,
                           expenses=list(reversed(expenses.expenses(uow()))),
                           position=expenses.position(uow()), accounts=EXPENSE_ACCOUNTS,
                           fund=FUND), status


@bp.post("/expenses")
@requires(*MANAGERS)
def record_expense() -> Page:
    form = ExpenseForm()
    valid = form.validate_on_submit()
    valid = choice_ok(form.category, _("Choose one of the listed categories.")) and valid
    amount = amount_of(form.amount)
    dated = date_for_books(form.spent_on)
    if not (valid and amount and dated):
        return _expenses_page(form, 422)
    try:
        made = expenses.record_expense(uow(), current_actor(), category=form.category.data,
                                       amount=amount, spent_on=form.spent_on.data,
                                       payee=form.payee.data or "", memo=form.memo.data or "")
    except LedgerError as error:
        text = None
        if isinstance(error, InsufficientFunds):
            now = expenses.position(uow())
            text = _("The fund cannot pay %(amount)s on %(date)s: its operating money or its "
                     "bank balance would fall below zero on that day or a later one (money "
                     "cannot be spent before it arrives). All entries counted, its operating "
                     "funds are %(operating)s and its bank balance is %(bank)s.",
                     amount=money(amount), date=form.spent_on.data.isoformat(),
                     operating=money(now.operating_funds), bank=money(now.bank))
        _attach(form, error, text)
        return _expenses_page(form, status_for(error))
    flash(_("Expense #%(id)s is recorded and posted: %(amount)s to %(payee)s.", id=made.id,
            amount=money(made.amount), payee=made.payee), "success")
    return redirect(url_for("fund.expense_list"))


# --- the split policy -------------------------------------------------------------------------
@bp.get("/policies")
@requires(*STAFF)
def policies() -> Page:
    found = ma.policies(uow())
    latest = found[-1]
    form = PolicyForm(formdata=None, data={
        "effective_from": max(books.today(), latest.effective_from + timedelta(days=1)),
        "operating_share": percent(latest.operating_share),
        "remainder_rule": latest.remainder_rule.value,
        "service_amount": f"{latest.service_amount.amount:.2f}",
        "per_deposit": f"{latest.per_deposit.amount:.2f}"})
    return _policies_page(form, found)


def _policies_page(form: PolicyForm, found: list[SplitPolicy] | None = None,
                   status: int = 200) -> Page:
    found = found if found is not None else ma.policies(uow())
    today = books.today()
    in_force = max((p.version for p in found if p.effective_from <= today), default=None)
    return render_template("staff/fund/policies.html", form=form, policies=found[::-1],
                           in_force=in_force), status


@bp.post("/policies")
@requires(Role.ADMIN)
def add_policy() -> Page:
    form = PolicyForm()
    valid = form.validate_on_submit()
    valid = choice_ok(form.remainder_rule, _("Choose one of the listed rules.")) and valid
    share = _share(form.operating_share)
    service_amount = amount_of(form.service_amount)
    per_deposit = amount_of(form.per_deposit)
    dated = date_for_books(form.effective_from)
    if not (valid and share is not None and service_amount and per_deposit and dated):
        return _policies_page(form, status=422)
    try:
        made = ma.set_policy(uow(), current_actor(), effective_from=form.effective_from.data,
                             operating_share=share,
                             remainder_rule=RemainderRule(form.remainder_rule.data),
                             service_amount=service_amount, per_deposit=per_deposit)
    except LedgerError as error:
        text = None
        if isinstance(error, Conflict) and error.field == "effective_from":
            latest = ma.policies(uow())[-1].effective_from
            text = _("A new version must take effect after the latest one (%(date)s).",
                     date=latest.isoformat())
        _attach(form, error, text)
        return _policies_page(form, status=status_for(error))
    flash(_("Policy version %(version)s is added, in force from %(date)s.",
            version=made.version, date=made.effective_from.isoformat()), "success")
    return redirect(url_for("fund.policies"))


def _share(field: Field) -> Decimal | None:
    """'30' or '31.25' (per cent) -> Decimal('0.30') / Decimal('0.3125')."""
    typed = (field.data or "").strip()
    if not typed or field.errors:
        return None
    try:
        value = Decimal(typed) if _PERCENT.match(typed) else None
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        value = None
    if value is None or value > 100:
        add_error(field, _("Enter a percentage from 0 to 100 with at most two decimals, e.g. 30."))
        return None
    return value / 100
