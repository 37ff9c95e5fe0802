"""Staff pages of repair campaigns (众筹): a repair's cost is covered by a subsidy, the
foundation's match and the households' gap, split into exact shares over the household roll.

Every staff role reads; fund managers and administrators set up a campaign, import its roll,
open it, record the subsidy and the households' payments, mark households, assign the
shortfall, pay the contractor, and close or cancel it (as in the JSON API). A refusal of the
books is shown on the form in the reader's language, with the status the API would answer,
never as a server error. Forms that change something post to an address of their own and, on a
refusal, show the page they came from (and send the language switch back to it).

The routes are on the blueprint of `campaign_common`; the roll and the door-to-door list are
in `campaign_roll`, payments and their imports in `campaign_payments`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from moneyed import Money
from wtforms import Field

from ledger import books, foundation
from ledger import campaign_completion as done_cases
from ledger import campaigns as cs
from ledger.core.campaigns import (
    CampaignStatus,
    InvalidTransition,
    LeftoverRule,
    MissRule,
    Source,
)
from ledger.core.errors import LedgerError
from ledger.core.grants import OverCommitted
from ledger.core.money import DEFAULT_CURRENCY

from ..auth import STAFF, current_actor, requires
from ..mutual_aid import MANAGERS  # fund managers and administrators
from ..problems import status_for
from ..state import uow
from . import campaign_payments, campaign_roll  # noqa: F401 - their routes join the blueprint
from .campaign_common import (
    SHARE_RULE,
    attach,
    bp,
    campaign_or_404,
    history,
    refusal,
    shown_at,
    split_parts,
    split_text,
)
from .campaigns_forms import (
    SHORTFALL_SOURCE_LABELS,
    CampaignForm,
    CancelForm,
    CloseForm,
    ContractorForm,
    OpenForm,
    ShortfallForm,
    SubsidyForm,
)
from .common import amount_of, choice_ok, date_for_books, done, money, read_amount
from .pages import Page

__all__ = ["bp"]


# --- the list and the set-up ------------------------------------------------------------------
@bp.get("/")
@requires(*STAFF)
def campaign_list() -> Page:
    return render_template("staff/campaigns/campaigns.html",
                           rows=cs.campaigns(uow())[::-1], funds=foundation.funds(uow()))


def _zero() -> Money:
    return Money(0, DEFAULT_CURRENCY)


def _amount_or_zero(field: Field) -> Money | None:
    """An optional amount: zero when left empty or typed as 0; None (with the reason next to
    the field) when it cannot be read."""
    typed = (field.data or "").strip()
    try:
        if not typed or Decimal(typed) == 0:
            return _zero()
    except InvalidOperation:
        pass
    return read_amount(field)


@bp.route("/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_campaign() -> Page:
    form = CampaignForm()

    def page(status: int = 200) -> Page:
        return render_template("staff/campaigns/campaign_new.html", form=form), status

    if request.method == "GET":
        form.miss_rule.data = MissRule.ALL_OR_NOTHING.value
        form.leftover_rule.data = LeftoverRule.REFUND.value
        form.shortfall_source.data = ""
        return page()
    valid = form.validate_on_submit()
    if form.miss_rule.data:
        valid = choice_ok(form.miss_rule, _("Choose one of the listed rules.")) and valid
    if form.leftover_rule.data:
        valid = choice_ok(form.leftover_rule, _("Choose one of the listed rules.")) and valid
    valid = choice_ok(form.shortfall_source, _("Choose one of the listed sources.")) and valid
    cost = amount_of(form.cost)
    subsidy, match = _amount_or_zero(form.subsidy), _amount_or_zero(form.match)
    if not (valid and cost and subsidy is not None and match is not None):
        return page(422)
    try:
        made = cs.create_campaign(
            uow(), current_actor(), community=form.community.data or "",
            buildings=form.buildings.data or "", title=form.title.data or "",
            repair=form.repair.data or "", contractor=form.contractor.data or "", cost=cost,
            subsidy=subsidy, subsidy_from=form.subsidy_from.data or "", match=match,
            deadline=form.deadline.data, miss_rule=MissRule(form.miss_rule.data),
            shortfall_source=Source(form.shortfall_source.data)
            if form.shortfall_source.data else None,
            leftover_rule=LeftoverRule(form.leftover_rule.data))
    except LedgerError as error:
        text = None
        if error.field == "cost":
            text = _("The subsidy (%(subsidy)s) and the match (%(match)s) leave nothing for "
                     "the households to crowdfund: together they must be less than the quoted "
                     "cost.", subsidy=money(subsidy), match=money(match))
        attach(form, error, text)
        return page(status_for(error))
    return done(_("Campaign #%(id)s “%(title)s” is set up as a draft: the households' gap is "
                  "%(gap)s. Import its household roll next.", id=made.id, title=made.title,
                  gap=money(made.gap)),
                "campaign_pages.campaign", campaign_id=made.id)


# --- a campaign -------------------------------------------------------------------------------
@bp.get("/<int:campaign_id>")
@requires(*STAFF)
def campaign(campaign_id: int) -> Page:
    return campaign_page(campaign_or_404(campaign_id))


#: The forms of a campaign's steps, by name in the template, with their prefixes.
STEP_FORMS: dict[str, tuple[type[FlaskForm], str]] = {
    "open_form": (OpenForm, "open"), "subsidy_form": (SubsidyForm, "subsidy"),
    "shortfall_form": (ShortfallForm, "shortfall"),
    "contractor_form": (ContractorForm, "contractor"), "close_form": (CloseForm, "close"),
    "cancel_form": (CancelForm, "cancel")}


def _defaults(found: cs.Campaign) -> dict[str, dict[str, Any]]:
    today = books.today()
    figures = found.figures
    return {"subsidy_form": {"received_on": today},
            "shortfall_form": {"source": found.shortfall_source.value
                               if found.shortfall_source else ""},
            "contractor_form": {"paid_on": today,
                                "amount": f"{figures.to_pay.amount:.2f}"
                                if figures.to_pay.amount > 0 else ""},
            "close_form": {"on": today}, "cancel_form": {"on": today}}


def campaign_page(found: cs.Campaign, *, status: int = 200, error: str | None = None,
                  **forms: Any) -> Page:
    defaults = _defaults(found)
    for name, (cls, prefix) in STEP_FORMS.items():
        if forms.get(name) is None:
            forms[name] = cls(formdata=None, prefix=prefix, data=defaults.get(name, {}))
    roll = campaign_roll.roll_of(found.id)
    parts = split_parts(roll)
    context = shown_at(status, "campaign_pages.campaign", campaign_id=found.id)
    page = render_template(
        "staff/campaigns/campaign.html", c=found, f=found.figures, error=error,
        split=split_text(parts), share_rule=SHARE_RULE, funds=foundation.funds(uow()),
        not_asked=found.households - found.asked, history=history(found.id), **forms,
        **context)
    return page, status


def _refused(campaign_id: int, name: str, form: FlaskForm, error: LedgerError,
             text: str | None = None) -> Page:
    """The campaign's page again, with the refusal on the form or at the top."""
    return campaign_page(campaign_or_404(campaign_id), status=status_for(error),
                         error=refusal(form, error, text), **{name: form})


def _invalid(found: cs.Campaign, name: str, form: FlaskForm) -> Page:
    return campaign_page(found, status=422, **{name: form})


def _back(campaign_id: int, message: str) -> Page:
    return done(message, "campaign_pages.campaign", campaign_id=campaign_id)


@bp.post("/<int:campaign_id>/open")
@requires(*MANAGERS)
def open_campaign(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = OpenForm(prefix="open")
    if not form.validate_on_submit():
        return _invalid(found, "open_form", form)
    try:
        opened = cs.open_campaign(uow(), current_actor(), campaign_id)
    except LedgerError as error:
        text = None
        if isinstance(error, OverCommitted):
            text = _("The foundation has %(available)s available, less than its match of "
                     "%(match)s. Record more income or lower the match.",
                     available=money(foundation.funds(uow()).available),
                     match=money(found.match))
        elif error.field == "roll":
            text = _("Import the household roll before opening the campaign.")
        return _refused(campaign_id, "open_form", form, error, text)
    return _back(campaign_id, _("The campaign is open: %(count)s households are asked to pay. "
                                "The foundation's match of %(match)s is held.",
                                count=opened.asked, match=money(opened.match)))


@bp.post("/<int:campaign_id>/subsidy")
@requires(*MANAGERS)
def receive_subsidy(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = SubsidyForm(prefix="subsidy")
    valid = form.validate_on_submit()
    amount = amount_of(form.amount)
    if not (date_for_books(form.received_on) and valid and amount):
        return _invalid(found, "subsidy_form", form)
    payer = (form.payer.data or "").strip() or found.subsidy_from
    try:
        cs.receive_subsidy(uow(), current_actor(), campaign_id, amount=amount,
                           received_on=form.received_on.data, payer=payer or None,
                           reference=form.reference.data or "")
    except LedgerError as error:
        text = None
        if error.field == "campaign_id":
            text = _("Subsidy is received before the contractor is paid, while the campaign "
                     "is a draft, collecting or funded.")
        return _refused(campaign_id, "subsidy_form", form, error, text)
    return _back(campaign_id, _("%(amount)s of subsidy from %(payer)s is recorded and posted, "
                                "restricted to the campaign.", amount=money(amount),
                                payer=payer))


@bp.post("/<int:campaign_id>/shortfall")
@requires(*MANAGERS)
def assign_shortfall(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = ShortfallForm(prefix="shortfall")
    valid = form.validate_on_submit()
    if form.source.data:
        valid = choice_ok(form.source, _("Choose one of the listed sources.")) and valid
    typed = (form.amount.data or "").strip()
    amount = read_amount(form.amount) if typed and not form.amount.errors else None
    if not valid or (typed and amount is None):
        return _invalid(found, "shortfall_form", form)
    source = Source(form.source.data)
    unassigned = found.figures.unassigned
    try:
        cs.assign_shortfall(uow(), current_actor(), campaign_id, source=source, amount=amount,
                            note=form.note.data or "")
    except LedgerError as error:
        text = None
        if error.field == "amount" and isinstance(error, OverCommitted):
            text = _("The foundation has %(available)s available, less than this.",
                     available=money(foundation.funds(uow()).available))
        elif error.field == "amount":
            text = _("The unassigned shortfall is %(amount)s: assign more than zero and at "
                     "most that.", amount=money(unassigned))
        elif error.field == "source":
            text = _("No household is asked to pay: assign the shortfall to the subsidy or the "
                     "foundation.")
        elif error.field == "campaign_id":
            text = _("A closed or cancelled campaign takes no change.")
        return _refused(campaign_id, "shortfall_form", form, error, text)
    return _back(campaign_id, _("%(amount)s of shortfall is assigned. Covered by: %(source)s.",
                                amount=money(amount or unassigned),
                                source=SHORTFALL_SOURCE_LABELS[source]))


@bp.post("/<int:campaign_id>/contractor")
@requires(*MANAGERS)
def pay_contractor(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = ContractorForm(prefix="contractor")
    valid = form.validate_on_submit()
    amount = amount_of(form.amount)
    if not (date_for_books(form.paid_on) and valid and amount):
        return _invalid(found, "contractor_form", form)
    try:
        paid = done_cases.pay_contractor(uow(), current_actor(), campaign_id, amount=amount,
                                         paid_on=form.paid_on.data,
                                         reference=form.reference.data or "")
    except LedgerError as error:
        text = None
        if error.field == "amount" and amount > found.figures.to_pay:
            text = _("The contractor is owed %(owed)s of the quoted %(cost)s.",
                     owed=money(found.figures.to_pay), cost=money(found.cost))
        elif error.field == "campaign_id":
            text = _("The contractor is paid once the campaign is funded.")
        return _refused(campaign_id, "contractor_form", form, error, text)
    if paid.status is CampaignStatus.CONTRACTOR_PAID:
        message = _("%(amount)s is paid to the contractor and posted: the contractor is paid "
                    "in full. Close the campaign next.", amount=money(amount))
    else:
        message = _("%(amount)s is paid to the contractor and posted; %(left)s is still owed.",
                    amount=money(amount), left=money(paid.figures.to_pay))
    return _back(campaign_id, message)


@bp.post("/<int:campaign_id>/close")
@requires(*MANAGERS)
def close_campaign(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = CloseForm(prefix="close")
    valid = form.validate_on_submit()
    if not (date_for_books(form.on) and valid):
        return _invalid(found, "close_form", form)
    leftover = found.figures.restricted
    try:
        done_cases.close_campaign(uow(), current_actor(), campaign_id, on=form.on.data,
                                  disclosure=form.disclosure.data or "")
    except LedgerError as error:
        text = None
        if isinstance(error, InvalidTransition):
            text = _("A campaign is closed once its contractor is paid in full.")
        return _refused(campaign_id, "close_form", form, error, text)
    if leftover.amount <= 0:
        message = _("The campaign is closed; nothing was left over.")
    elif found.leftover_rule is LeftoverRule.REFUND:
        message = _("The campaign is closed; the leftover of %(amount)s is refunded pro rata "
                    "to everyone who paid in.", amount=money(leftover))
    else:
        message = _("The campaign is closed; the leftover of %(amount)s is released to the "
                    "foundation, with its disclosure.", amount=money(leftover))
    return _back(campaign_id, message)


@bp.post("/<int:campaign_id>/cancel")
@requires(*MANAGERS)
def cancel_campaign(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = CancelForm(prefix="cancel")
    valid = form.validate_on_submit()
    if not (date_for_books(form.on) and valid):
        return _invalid(found, "cancel_form", form)
    returned = found.figures.restricted
    try:
        done_cases.cancel_campaign(uow(), current_actor(), campaign_id, on=form.on.data,
                                   reason=form.reason.data or "")
    except LedgerError as error:
        text = None
        if isinstance(error, InvalidTransition):
            text = _("A campaign is cancelled before its contractor is paid.")
        return _refused(campaign_id, "cancel_form", form, error, text)
    return _back(campaign_id, _("The campaign is cancelled; every payer is refunded what they "
                                "paid in (%(amount)s in all).", amount=money(returned)))
