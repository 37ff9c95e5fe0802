"""Flask-WTF forms of the mutual-aid fund's pages (each POST form carries a CSRF token).

Choices that depend on the books (members) are filled in by the view. Select and radio fields
check their choices in the view (`validate_choice=False`), so that every message is ours and
translated."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ledger.core.mutual_aid import EXPENSE_ACCOUNTS, MemberStatus, PaymentMethod, RemainderRule

from .forms import REQUIRED, LocalDateField, too_long

#: Labels of the fund's codes, in the reader's language.
MEMBER_STATUS_LABELS = {
    MemberStatus.ACTIVE: _l("Active"),
    MemberStatus.SUSPENDED: _l("Suspended"),
    MemberStatus.WITHDRAWN: _l("Withdrawn"),
}
METHOD_LABELS = {
    PaymentMethod.BANK_TRANSFER: _l("Bank transfer"),
    PaymentMethod.CASH: _l("Cash"),
    PaymentMethod.WECHAT_PAY: _l("WeChat Pay"),
    PaymentMethod.ALIPAY: _l("Alipay"),
    PaymentMethod.CHEQUE: _l("Cheque"),
}
REMAINDER_LABELS = {
    RemainderRule.FOUNDATION: _l("Odd fen to the foundation"),
    RemainderRule.LARGEST_REMAINDER: _l("Largest remainder"),
}
CATEGORY_LABELS = {
    "administration": _l("Administration"),
    "programme": _l("Programme costs"),
    "other": _l("Other expenses"),
}
assert set(CATEGORY_LABELS) == set(EXPENSE_ACCOUNTS)

AMOUNT_ATTRIBUTES = {"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"}
AMOUNT_HINT = _l("In yuan, with at most two decimals, e.g. 350000.00.")


def amount_field(label: Any, description: Any = AMOUNT_HINT) -> StringField:
    return StringField(label, validators=[DataRequired(message=REQUIRED),
                                          Length(max=24, message=too_long(24))],
                       description=description, render_kw=dict(AMOUNT_ATTRIBUTES))


def required_date(label: Any, **kwargs: Any) -> LocalDateField:
    return LocalDateField(label, validators=[InputRequired(message=REQUIRED)], **kwargs)


def text(label: Any, limit: int, *, required: bool = True, field: type[StringField] = StringField,
         **kwargs: Any) -> StringField:
    """A text of at most `limit` characters (`field`: TextAreaField for several lines)."""
    first = DataRequired(message=REQUIRED) if required else Optional()
    return field(label, validators=[first, Length(max=limit, message=too_long(limit))],
                 **kwargs)


# --- members ----------------------------------------------------------------------------------
class MemberForm(FlaskForm):
    name_zh = text(_l("Name in Chinese"), 200,
                   description=_l("As on the business licence, e.g. 嘉兴永耀纺织有限公司."))
    name_en = text(_l("Name in English"), 200, required=False)
    credit_code = text(_l("Unified social credit code"), 40, description=_l(
        "18 characters (统一社会信用代码); the check character is verified."))
    legal_representative = text(_l("Legal representative"), 100)
    contact_name = text(_l("Contact person"), 100)
    contact_phone = text(_l("Contact phone"), 40)
    joined_on = required_date(_l("Joined on"))


class MemberStatusForm(FlaskForm):
    status = SelectField(_l("New status"), validate_choice=False, choices=lambda: list(
        MEMBER_STATUS_LABELS.items()), description=_l(
        "Deposits and bridging services are recorded only for active members."))


# --- deposits and transfers -------------------------------------------------------------------
class DepositForm(FlaskForm):
    member_id = SelectField(_l("Member enterprise"), choices=[], validate_choice=False,
                            description=_l("Only active members are listed."))
    amount = amount_field(_l("Amount"))
    received_on = required_date(_l("Date received"), description=_l(
        "The split policy in force on this date applies."))
    method = SelectField(_l("Payment method"), validate_choice=False,
                         choices=lambda: list(METHOD_LABELS.items()))
    reference = text(_l("Reference"), 100, description=_l(
        "Bank reference or receipt number."))


class ReverseDepositForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the reversal"), validators=[
        DataRequired(message=REQUIRED), Length(max=500, message=too_long(500))])
    effective_date = LocalDateField(_l("Date of the reversal"), validators=[
        InputRequired(message=REQUIRED)], description=_l(
        "Not before the deposit, nor before the transfer of its share."))


class TransferForm(FlaskForm):
    made_on = required_date(_l("Date of the transfer"), description=_l(
        "Not before the latest deposit it pays."))


# --- bridging services ------------------------------------------------------------------------
class ServiceForm(FlaskForm):
    member_id = SelectField(_l("Member enterprise"), choices=[], validate_choice=False,
                            description=_l("Only active members are listed."))
    bank = text(_l("Lending bank"), 100, description=_l("e.g. 嘉兴银行"))
    loan_amount = amount_field(_l("Loan amount to bridge"), description=_l(
        "In yuan, e.g. 2000000.00. Approval checks it against the member's service cap."))
    bridge_from = required_date(_l("Bridge from"))
    bridge_to = required_date(_l("Bridge until"))


class ActivateForm(FlaskForm):
    advance = RadioField(_l("Does the fund advance the money?"), validate_choice=False,
                         validators=[InputRequired(message=_l("Choose yes or no."))],
                         choices=[("yes", _l("Yes: the fund pays the loan amount from its "
                                             "bank account")),
                                  ("no", _l("No: the bridge needs none of the fund's money"))])
    on = required_date(_l("Start date"))


class EndForm(FlaskForm):
    outcome = RadioField(_l("Outcome"), validate_choice=False, choices=[],
                         validators=[InputRequired(message=_l("Choose an outcome."))])
    on = required_date(_l("End date"))


class ServiceFilterForm(FlaskForm):
    """Read from the query string (GET), so it needs no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], validate_choice=False,
                         validators=[Optional()])


# --- expenses and the policy ------------------------------------------------------------------
class ExpenseForm(FlaskForm):
    category = SelectField(_l("Category"), validate_choice=False,
                           choices=lambda: list(CATEGORY_LABELS.items()))
    amount = amount_field(_l("Amount"), description=_l("In yuan, e.g. 1200.50."))
    spent_on = required_date(_l("Date"))
    payee = text(_l("Payee"), 200)
    memo = text(_l("What for"), 300)


class PolicyForm(FlaskForm):
    effective_from = required_date(_l("In force from"), description=_l(
        "After the latest version's date. Deposits received earlier keep their version."))
    operating_share = StringField(_l("Operating share (%)"), validators=[
        DataRequired(message=REQUIRED), Length(max=10, message=too_long(10))],
        description=_l("Kept by the fund, from 0 to 100 with at most two decimals, e.g. 30. "
                       "The rest goes to the foundation."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    remainder_rule = SelectField(_l("Odd fen"), validate_choice=False,
                                 choices=lambda: list(REMAINDER_LABELS.items()))
    service_amount = amount_field(_l("Service entitlement"), description=_l(
        "Bridging service granted for every deposit of the amount below, e.g. 5000000.00."))
    per_deposit = amount_field(_l("For every deposit of"), description=_l(
        "In yuan, e.g. 350000.00."))
