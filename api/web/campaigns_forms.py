"""Flask-WTF forms of the repair campaigns' pages (众筹), each POST form with its CSRF token.

Choices that depend on the books (households, buildings) are filled in by the view; select and
radio fields check their choices in the view (`validate_choice=False`), so that every message
is ours and translated.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ledger.core.campaigns import (
    CampaignStatus,
    HouseholdStatus,
    LeftoverRule,
    Match,
    MissRule,
    PaymentMethod,
    Source,
)

from .forms import too_long
from .fund_forms import AMOUNT_ATTRIBUTES, amount_field, required_date, text
from .grants_forms import confirmation, long_text

# --- labels of the campaigns' codes, in the reader's language ---------------------------------
CAMPAIGN_STATUS_LABELS = {
    CampaignStatus.DRAFT: _l("Draft"),
    CampaignStatus.OPEN: _l("Collecting"),
    CampaignStatus.FUNDED: _l("Funded"),
    CampaignStatus.CONTRACTOR_PAID: _l("Contractor paid"),
    CampaignStatus.CLOSED: _l("Closed"),
    CampaignStatus.CANCELLED: _l("Cancelled"),
}
MISS_RULE_LABELS = {
    MissRule.ALL_OR_NOTHING: _l("All or nothing: if the households do not raise the whole gap "
                                "by the deadline, the campaign is cancelled and every payer "
                                "refunded"),
    MissRule.KEEP_RAISED: _l("Keep what is raised: the shortfall is covered by the source "
                             "named below"),
}
SHORTFALL_SOURCE_LABELS = {
    Source.SUBSIDY: _l("The subsidy"),
    Source.FOUNDATION: _l("The foundation"),
    Source.HOUSEHOLDS: _l("The households asked to pay"),
}
LEFTOVER_LABELS = {
    LeftoverRule.REFUND: _l("Refunded pro rata to everyone who paid in"),
    LeftoverRule.FOUNDATION: _l("Given to the foundation, disclosed with a note"),
}
HOUSEHOLD_STATUS_LABELS = {
    HouseholdStatus.ASKED: _l("Asked to pay"),
    HouseholdStatus.VACANT: _l("Vacant"),
    HouseholdStatus.UNREACHABLE: _l("Unreachable"),
    HouseholdStatus.EXEMPT: _l("Exempt"),
}
METHOD_LABELS = {
    PaymentMethod.CASH: _l("Cash"),
    PaymentMethod.WECHAT: _l("WeChat Pay"),
    PaymentMethod.ALIPAY: _l("Alipay"),
    PaymentMethod.BANK: _l("Bank transfer"),
}
MATCH_LABELS = {
    Match.MATCHED: _l("Matched"),
    Match.PARTIAL: _l("Partial"),
    Match.OVERPAID: _l("Overpaid"),
    Match.UNMATCHED: _l("Unmatched"),
    Match.DUPLICATE: _l("Duplicate"),
}
MATCH_HINTS = {
    Match.MATCHED: _l("Pays what the household owed: recorded."),
    Match.PARTIAL: _l("Less than the household owed: recorded; it still owes the rest."),
    Match.OVERPAID: _l("More than the household owed: recorded; the excess is kept for a "
                       "refund."),
    Match.UNMATCHED: _l("No household asked to pay has this address: not recorded."),
    Match.DUPLICATE: _l("This reference is recorded already or repeats in the file: not "
                        "recorded."),
}
#: The statuses a household can be marked with, by what the person means.
MARK_LABELS = {
    HouseholdStatus.VACANT: _l("Vacant (nobody lives there)"),
    HouseholdStatus.UNREACHABLE: _l("Unreachable"),
    HouseholdStatus.EXEMPT: _l("Exempt (e.g. hardship)"),
    HouseholdStatus.ASKED: _l("Asked to pay again"),
}
#: The columns of the files, by our field names.
COLUMN_LABELS = {
    "building": _l("Building"), "unit": _l("Unit"), "room": _l("Room"),
    "contact": _l("Contact"), "phone": _l("Phone"), "reference": _l("Reference"),
    "amount": _l("Amount"), "paid_on": _l("Date of payment"),
}
FILE_TYPES = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _choices(labels: dict[Any, Any]) -> Any:
    return lambda: list(labels.items())


def optional_amount(label: Any, description: Any) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=24, message=too_long(24))],
                       description=description, render_kw=dict(AMOUNT_ATTRIBUTES))


# --- set-up -----------------------------------------------------------------------------------
class CampaignForm(FlaskForm):
    community = text(_l("Community"), 100, description=_l("e.g. 蛟川街道裕帆社区"))
    buildings = text(_l("Buildings"), 300, description=_l("e.g. 1–4 幢"))
    title = text(_l("Title"), 200, description=_l("e.g. 裕帆小区 1–4 幢电梯维修"))
    repair = long_text(_l("What is repaired"), 2000, required=True)
    contractor = text(_l("Contractor"), 200)
    cost = amount_field(_l("Quoted cost"))
    subsidy = optional_amount(_l("Subsidy"), _l("In yuan; leave empty if there is none."))
    subsidy_from = text(_l("Who gives the subsidy"), 200, required=False, description=_l(
        "e.g. 蛟川街道; required when there is a subsidy."))
    match = optional_amount(_l("Foundation match"), _l(
        "In yuan; held out of the foundation's available funds while the campaign runs."))
    deadline = required_date(_l("Deadline"), description=_l(
        "The day by which the households are asked to pay."))
    miss_rule = RadioField(_l("If the gap is not raised by the deadline"),
                           validate_choice=False, choices=_choices(MISS_RULE_LABELS),
                           validators=[InputRequired(message=_l("Choose a rule."))])
    shortfall_source = SelectField(_l("Source that covers a shortfall"), validate_choice=False,
                                   choices=lambda: [("", _l("— none —")),
                                                    *SHORTFALL_SOURCE_LABELS.items()],
                                   description=_l(
        "Required to keep what is raised; it also covers the shares of households marked "
        "vacant, unreachable or exempt."))
    leftover_rule = RadioField(_l("Money left once the contractor is paid"),
                               validate_choice=False, choices=_choices(LEFTOVER_LABELS),
                               validators=[InputRequired(message=_l("Choose a rule."))])


# --- files ------------------------------------------------------------------------------------
class RollUploadForm(FlaskForm):
    file = FileField(_l("Household roll"), description=_l(
        "A CSV file (UTF-8 or GB18030, as Excel saves it) or an Excel .xlsx workbook, at "
        "most 5 MB."), render_kw={"accept": FILE_TYPES})


class PaymentUploadForm(FlaskForm):
    file = FileField(_l("Payment export"), description=_l(
        "A CSV file or an Excel .xlsx workbook, at most 5 MB."),
        render_kw={"accept": FILE_TYPES})
    method = SelectField(_l("Paid by"), validate_choice=False, choices=_choices(METHOD_LABELS))


class ConfirmImportForm(FlaskForm):
    """Writes the file held since its preview (its token names it)."""

    token = HiddenField()


# --- the campaign's steps ---------------------------------------------------------------------
class OpenForm(FlaskForm):
    confirm = confirmation(_l("Yes, open the campaign: the households are asked to pay and the "
                              "foundation's match is held."))


class SubsidyForm(FlaskForm):
    amount = amount_field(_l("Amount received"))
    received_on = required_date(_l("Date received"))
    payer = text(_l("Payer"), 200, required=False, description=_l(
        "Leave empty for the campaign's subsidy giver."))
    reference = text(_l("Reference"), 100, required=False, description=_l(
        "Bank reference or document number."))


class ShortfallForm(FlaskForm):
    source = RadioField(_l("Covered by"), validate_choice=False,
                        choices=_choices(SHORTFALL_SOURCE_LABELS),
                        validators=[InputRequired(message=_l("Choose a source."))])
    amount = optional_amount(_l("Amount"), _l("In yuan; leave empty to assign all of the "
                                              "unassigned shortfall."))
    note = text(_l("Note"), 300, required=False)


class ContractorForm(FlaskForm):
    amount = amount_field(_l("Amount paid"))
    paid_on = required_date(_l("Date paid"))
    reference = text(_l("Reference"), 100, required=False, description=_l(
        "Bank reference or invoice number."))


class CloseForm(FlaskForm):
    on = required_date(_l("Date of closing"))
    disclosure = long_text(_l("Disclosure"), 2000, description=_l(
        "Required when leftover money goes to the foundation: say how much and what it will "
        "be used for. It is published."))
    confirm = confirmation(_l("Yes, close the campaign."))


class CancelForm(FlaskForm):
    on = required_date(_l("Date of the cancellation"))
    reason = text(_l("Reason"), 300, description=_l("e.g. the target was not met by the "
                                                    "deadline."))
    confirm = confirmation(_l("Yes, cancel the campaign: every payer is refunded what they "
                              "paid in."))


# --- households and payments ------------------------------------------------------------------
class MarkForm(FlaskForm):
    household_id = SelectField(_l("Household"), choices=[], validate_choice=False)
    status = RadioField(_l("Mark as"), validate_choice=False, choices=_choices(MARK_LABELS),
                        validators=[InputRequired(message=_l("Choose a status."))])
    reason = text(_l("Reason"), 300, required=False, description=_l(
        "Required unless the household is asked to pay again."))


class PaymentForm(FlaskForm):
    household_id = SelectField(_l("Household"), choices=[], validate_choice=False,
                               description=_l("Households asked to pay, with what each owes."))
    amount = optional_amount(_l("Amount"), _l(
        "In yuan; leave empty for what the household owes."))
    method = SelectField(_l("Paid by"), validate_choice=False, choices=_choices(METHOD_LABELS))
    reference = text(_l("Reference"), 64, description=_l(
        "The transaction number, or the number of the paper receipt for cash. Each reference "
        "is recorded once."))
    paid_on = required_date(_l("Date of payment"))


class BuildingFilterForm(FlaskForm):
    """Read from the query string (GET), so it needs no CSRF token."""

    class Meta:
        csrf = False

    building = SelectField(_l("Building"), choices=[], validate_choice=False,
                           validators=[Optional()])

