"""Flask-WTF forms of the foundation's pages: income, grantees, grant rounds, applications,
reviews and grants (each POST form carries a CSRF token).

Choices that depend on the books (rounds, grantees, board members) are filled in by the view;
select and radio fields check their choices in the view (`validate_choice=False`), so that
every message is ours and translated. Rows of a table (criteria, budget lines, tranches) are
fixed in number; blank rows are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import TextInput

from ledger.core.grants import (
    MAX_CRITERIA,
    MAX_SCORE,
    ApplicationStatus,
    Choice,
    Criterion,
    EvaluationResult,
    GrantStatus,
    IncomeSource,
    Majority,
    Registration,
    Restriction,
    RoundStatus,
)

from .forms import REQUIRED, CheckboxesField, LocalDateField, too_long
from .fund_forms import AMOUNT_ATTRIBUTES, amount_field, required_date, text

# --- labels of the foundation's codes, in the reader's language ---------------------------------
SOURCE_LABELS = {
    IncomeSource.WELFARE_LOTTERY: _l("Welfare-lottery funds"),
    IncomeSource.FISCAL: _l("Fiscal funds"),
    IncomeSource.ENTERPRISE: _l("Enterprise funds"),
    IncomeSource.SOCIAL_ORGANISATION: _l("Social-organisation special funds"),
    IncomeSource.INDIVIDUAL: _l("Individual donations"),
}
RESTRICTION_LABELS = {
    Restriction.NONE: _l("Unrestricted"),
    Restriction.PURPOSE: _l("Restricted to a purpose"),
    Restriction.ROUND: _l("Restricted to a grant round"),
}
REGISTRATION_LABELS = {
    Registration.REGISTERED: _l("Registered (登记)"),
    Registration.FILED: _l("Filed (备案)"),
}
ROUND_STATUS_LABELS = {
    RoundStatus.DRAFT: _l("Draft"),
    RoundStatus.OPEN: _l("Open call"),
    RoundStatus.REVIEW: _l("In review"),
    RoundStatus.CLOSED: _l("Closed"),
    RoundStatus.CANCELLED: _l("Cancelled"),
}
MAJORITY_LABELS = {
    Majority.SIMPLE: _l("Simple majority: more than half of the votes cast are for"),
    Majority.TWO_THIRDS: _l("Two-thirds majority: at least two thirds of the votes cast are "
                            "for"),
}
APPLICATION_STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("Undecided"),
    ApplicationStatus.APPROVED: _l("Approved"),
    ApplicationStatus.REJECTED: _l("Not approved"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn by the applicant"),
}
CHOICE_LABELS = {
    Choice.FOR: _l("For"),
    Choice.AGAINST: _l("Against"),
    Choice.ABSTAIN: _l("Abstain"),
}
GRANT_STATUS_LABELS = {
    GrantStatus.ACTIVE: _l("In progress"),
    GrantStatus.COMPLETED: _l("Completed"),
    GrantStatus.CLOSED: _l("Closed early"),
}
EVALUATION_LABELS = {
    EvaluationResult.PASSED: _l("Passed"),
    EvaluationResult.FAILED: _l("Failed"),
}
DECLARATION_LABELS = {
    "no": _l("I have no conflict of interest in this application"),
    "yes": _l("I have a conflict of interest: I recuse myself"),
}
#: Why a resolution came out as it did (ledger.core.grants.Outcome.reason).
REASON_LABELS = {
    "passed": _l("Passed: the grant is committed"),
    "no_quorum": _l("No quorum: the application stays undecided"),
    "majority_against": _l("The majority rule was not met: the application is rejected"),
    "assembly_missing": _l("The residents' assembly has not voted yet: the application stays "
                           "undecided"),
    "assembly_against": _l("The residents' assembly voted against: the application is "
                           "rejected"),
}

#: Rows of the tables of the forms.
CRITERIA_ROWS = 5
BUDGET_ROWS = 8
TRANCHE_ROWS = 6
NOT_WHOLE = _l("Enter a whole number, e.g. 3.")


class WholeField(IntegerField):
    """A whole number whose parse error is in our catalogue (a text input with a numeric
    keyboard on phones, like the amounts)."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        typed = str(valuelist[0]).strip()
        if not typed.isdigit() or len(typed) > 9:
            self.data = None
            raise ValueError(str(NOT_WHOLE))
        self.data = int(typed)


def whole(label: Any, low: int, high: int, *, required: bool = True, **kwargs: Any
          ) -> WholeField:
    first = InputRequired(message=REQUIRED) if required else Optional()
    return WholeField(label, validators=[first, NumberRange(
        min=low, max=high, message=_l("Enter a whole number from %(low)d to %(high)d.",
                                      low=low, high=high))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"}, **kwargs)


def long_text(label: Any, limit: int, *, required: bool = False, **kwargs: Any) -> StringField:
    return text(label, limit, required=required, field=TextAreaField, **kwargs)


def optional_amount(label: Any) -> StringField:
    """An amount in a row of a table (required only when the row is used)."""
    return StringField(label, validators=[Length(max=24, message=too_long(24))],
                       render_kw=dict(AMOUNT_ATTRIBUTES))


def confirmation(label: Any) -> BooleanField:
    return BooleanField(label, validators=[DataRequired(message=_l("Tick the box to "
                                                                     "confirm."))])


# --- income -------------------------------------------------------------------------------------
class IncomeForm(FlaskForm):
    source = SelectField(_l("Source"), validate_choice=False,
                         choices=lambda: list(SOURCE_LABELS.items()))
    donor = text(_l("Donor or payer"), 200, description=_l(
        "The person, enterprise or public body the money came from."))
    anonymous = BooleanField(_l("The donor asks to stay anonymous"), description=_l(
        "Public pages then show “匿名 / Anonymous” instead of the name."))
    amount = amount_field(_l("Amount"))
    received_on = required_date(_l("Date received"))
    restriction = RadioField(_l("Restriction"), validate_choice=False,
                             choices=lambda: list(RESTRICTION_LABELS.items()),
                             validators=[InputRequired(message=_l("Choose a restriction."))])
    purpose = text(_l("Purpose"), 300, required=False, description=_l(
        "Only for money restricted to a purpose: what it may be spent on."))
    round_id = SelectField(_l("Grant round"), choices=[], validate_choice=False,
                           description=_l("Only for money restricted to a grant round."))
    reference = text(_l("Reference"), 100, required=False, description=_l(
        "Bank reference or receipt number."))


class ReleaseForm(FlaskForm):
    amount = amount_field(_l("Amount released"))
    on = required_date(_l("Date of the release"), description=_l(
        "On or after the day the money arrived."))
    reason = text(_l("How the restriction was met"), 300)


# --- grantees -----------------------------------------------------------------------------------
class GranteeForm(FlaskForm):
    name_zh = text(_l("Name in Chinese"), 200, description=_l(
        "As registered, e.g. 北仑区阳光社工服务中心."))
    name_en = text(_l("Name in English"), 200, required=False)
    credit_code = text(_l("Unified social credit code"), 40, description=_l(
        "18 characters (统一社会信用代码); the check character is verified."))
    registration = SelectField(_l("Registration"), validate_choice=False,
                               choices=lambda: list(REGISTRATION_LABELS.items()))
    contact_name = text(_l("Contact person"), 100)
    contact_phone = text(_l("Contact phone"), 40)
    bank_name = text(_l("Bank"), 100, description=_l("Where the grant is paid to."))
    bank_account = text(_l("Bank account"), 40)


# --- rounds -------------------------------------------------------------------------------------
class CriterionRow(Form):
    name = StringField(_l("Criterion"), validators=[Length(max=100, message=too_long(100))],
                       render_kw={"autocomplete": "off"})
    weight = WholeField(_l("Weight (%)"), validators=[Optional()],
                        render_kw={"inputmode": "numeric", "autocomplete": "off"})


class ReviewersField(CheckboxesField):
    def pre_validate(self, form: Any) -> None:
        known = {value for value, _label in self.choices or ()}  # type: ignore[union-attr]
        if any(value not in known for value in self.data or ()):
            raise ValidationError(str(_l("Choose among the listed board members.")))


class RoundForm(FlaskForm):
    title = text(_l("Title"), 200, description=_l("e.g. 2026 社区公益创投"))
    description = long_text(_l("Description"), 5000, required=True)
    eligibility = long_text(_l("Who may apply"), 5000, required=True, description=_l(
        "e.g. social organisations registered or filed in the district."))
    budget = amount_field(_l("Budget"), description=_l(
        "In yuan. Opening the round reserves it from the foundation's available funds."))
    opens_on = required_date(_l("Applications from"))
    closes_on = required_date(_l("Applications until"))
    quorum = whole(_l("Quorum"), 1, 50, description=_l(
        "How many distinct reviewers without a conflict of interest must vote for a "
        "resolution to count."))
    majority = RadioField(_l("Majority rule"), validate_choice=False,
                          choices=lambda: list(MAJORITY_LABELS.items()),
                          validators=[InputRequired(message=_l("Choose a majority rule."))])
    assembly_required = BooleanField(_l("The residents' representative assembly must also "
                                        "vote (居民代表大会)"))
    criteria = FieldList(FormField(CriterionRow), min_entries=CRITERIA_ROWS,
                         max_entries=CRITERIA_ROWS)
    reviewers = ReviewersField(_l("Reviewers"), choices=[], validate_choice=False,
                               description=_l("Active board members."))


class OpenRoundForm(FlaskForm):
    confirm = confirmation(_l("Yes, open the call: the budget is reserved from the available "
                              "funds."))


class ReviewRoundForm(FlaskForm):
    confirm = confirmation(_l("Yes, close the call and start the review: no more applications "
                              "are taken."))


class CloseRoundForm(FlaskForm):
    confirm = confirmation(_l("Yes, close the round: what it did not commit returns to the "
                              "available funds."))


class CancelRoundForm(FlaskForm):
    confirm = confirmation(_l("Yes, cancel the round: its reservation is void."))


# --- applications -------------------------------------------------------------------------------
class BudgetRow(Form):
    item = StringField(_l("Item"), validators=[Length(max=200, message=too_long(200))],
                       render_kw={"autocomplete": "off"})
    amount = optional_amount(_l("Amount"))


class TrancheRow(Form):
    due_on = LocalDateField(_l("Due on"), validators=[Optional()])
    amount = optional_amount(_l("Amount"))


class ApplicationForm(FlaskForm):
    grantee_id = SelectField(_l("Applicant (grantee)"), choices=[], validate_choice=False)
    title = text(_l("Project title"), 200)
    need = long_text(_l("The need it meets"), 5000, required=True, description=_l(
        "Who raised it, and what the project will do."))
    requested = amount_field(_l("Amount requested"), description=_l(
        "In yuan. The budget lines and the tranches must each add up to it."))
    submitted_on = required_date(_l("Date received"), description=_l(
        "Within the round's application window."))
    budget = FieldList(FormField(BudgetRow), min_entries=BUDGET_ROWS, max_entries=BUDGET_ROWS)
    tranches = FieldList(FormField(TrancheRow), min_entries=TRANCHE_ROWS,
                         max_entries=TRANCHE_ROWS)


class AttachmentForm(FlaskForm):
    file = FileField(_l("Document"), description=_l(
        "PDF, PNG or JPEG, at most 5 MB; up to 10 per application."),
        render_kw={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"})


class WithdrawForm(FlaskForm):
    confirm = confirmation(_l("Yes, withdraw this application: it will not be decided."))


# --- reviews ------------------------------------------------------------------------------------
class DeclareForm(FlaskForm):
    conflicted = RadioField(_l("Conflict of interest"), validate_choice=False,
                            choices=lambda: list(DECLARATION_LABELS.items()),
                            validators=[InputRequired(message=_l("Choose one."))])
    note = long_text(_l("The interest"), 300, description=_l(
        "Required when you have a conflict, e.g. a relative works for the applicant."))


class ScoreForm(FlaskForm):
    """One whole-number field per criterion of the round: see `score_form`."""


def score_form(criteria: Sequence[Criterion], **kwargs: Any) -> ScoreForm:
    """A form with a score field `c0`, `c1` ... for each criterion, labelled with its weight."""

    class RoundScoreForm(ScoreForm):
        pass

    for i, criterion in enumerate(criteria[:MAX_CRITERIA]):
        setattr(RoundScoreForm, f"c{i}", whole(
            _l("%(name)s (weight %(weight)d%%)", name=criterion.name,
               weight=criterion.weight), 0, MAX_SCORE))
    return RoundScoreForm(**kwargs)


class VoteForm(FlaskForm):
    choice = RadioField(_l("Your vote"), validate_choice=False,
                        choices=lambda: list(CHOICE_LABELS.items()),
                        validators=[InputRequired(message=_l("Choose for, against or "
                                                              "abstain."))])


class AssemblyForm(FlaskForm):
    held_on = required_date(_l("Date of the assembly"))
    votes_for = whole(_l("Votes for"), 0, 100000)
    against = whole(_l("Votes against"), 0, 100000)
    abstain = whole(_l("Abstentions"), 0, 100000)


class ResolveForm(FlaskForm):
    on = required_date(_l("Date of the resolution"), description=_l(
        "A passed resolution commits the grant in the books on this date."))


# --- grants -------------------------------------------------------------------------------------
class PayForm(FlaskForm):
    number = HiddenField()
    on = required_date(_l("Date paid"))


class EvaluationForm(FlaskForm):
    evaluated_on = required_date(_l("Date of the evaluation"))
    evaluators = text(_l("Evaluators"), 300, description=_l(
        "Who evaluated the project, e.g. 街道社会事务办 and two resident representatives."))
    result = RadioField(_l("Result"), validate_choice=False,
                        choices=lambda: list(EVALUATION_LABELS.items()),
                        validators=[InputRequired(message=_l("Choose passed or failed."))])
    notes = long_text(_l("Notes"), 5000)


class CloseGrantForm(FlaskForm):
    on = required_date(_l("Date the grant ends"))
    reason = text(_l("Reason for ending early"), 300)
    confirm = confirmation(_l("Yes, end this grant early."))


class ClawbackForm(FlaskForm):
    amount = amount_field(_l("Amount returned"))
    on = required_date(_l("Date received back"))
    reason = text(_l("Reason"), 300, description=_l("e.g. money not spent on the project."))
