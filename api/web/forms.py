"""Flask-WTF forms of the staff pages (each POST form carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ledger.core.chart import ENTITIES
from ledger.core.entries import MAX_MEMO
from ledger.core.staff import MAX_PASSWORD

from .common import ROLE_LABELS, ROLE_ORDER, USERNAME_RULE, VOUCHER_STATUS_LABELS

REQUIRED = _l("Fill in this field.")
#: Lines of the voucher form (an entry may have more; the API takes up to 1,000).
VOUCHER_LINES = 6


def too_long(limit: int) -> Any:
    return _l("Use at most %(count)d characters.", count=limit)


class LocalDateField(DateField):
    """A date input (YYYY-MM-DD) whose parse error is in our catalogue."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a date as YYYY-MM-DD."))) from None


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        known = {value for value, _label in self.choices or ()}  # type: ignore[union-attr]
        if any(value not in known for value in self.data or ()):
            raise ValidationError(str(_l("Choose among the listed roles.")))


def role_choices() -> list[tuple[str, Any]]:
    return [(role.value, ROLE_LABELS[role]) for role in ROLE_ORDER]


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        InputRequired(message=REQUIRED), Length(max=40, message=too_long(40))])
    password = PasswordField(_l("Password"), validators=[
        InputRequired(message=REQUIRED), Length(max=MAX_PASSWORD, message=too_long(256))])


class EmptyForm(FlaskForm):
    """A form with nothing but its CSRF token (log out, revoke, approve...)."""


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[
        InputRequired(message=REQUIRED), Length(max=MAX_PASSWORD, message=too_long(MAX_PASSWORD))])
    new_password = PasswordField(_l("New password"), validators=[
        InputRequired(message=REQUIRED),
        Length(max=MAX_PASSWORD, message=too_long(MAX_PASSWORD))],
        description=_l("At least 12 characters. A few unrelated words make a good one."))
    confirm = PasswordField(_l("New password, again"), validators=[
        InputRequired(message=REQUIRED),
        EqualTo("new_password", message=_l("The two passwords are not the same."))])


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        DataRequired(message=REQUIRED), Length(max=100, message=too_long(100))],
        description=_l("What the token is for, e.g. \"monthly report script\"."))


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(message=REQUIRED),
        Regexp(r"^\s*[a-z0-9._-]{3,40}\s*$", message=USERNAME_RULE)],
        description=USERNAME_RULE)
    display_name = StringField(_l("Display name"), validators=[
        Optional(), Length(max=100, message=too_long(100))],
        description=_l("The name shown to colleagues, e.g. 王会计."))
    password = PasswordField(_l("Initial password"), validators=[
        InputRequired(message=REQUIRED),
        Length(max=MAX_PASSWORD, message=too_long(MAX_PASSWORD))],
        description=_l("At least 12 characters. Give it to the person privately; they can "
                       "change it after logging in."))
    roles = CheckboxesField(_l("Roles"), choices=role_choices, validate_choice=False)


class RolesForm(FlaskForm):
    roles = CheckboxesField(_l("Roles"), choices=role_choices, validate_choice=False)


class DisableForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, disable this account: its sessions end and its access tokens are revoked."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))])


class AuditFilterForm(FlaskForm):
    """Read from the query string (GET), so it needs no CSRF token."""

    class Meta:
        csrf = False

    username = StringField(_l("Username"), validators=[
        Optional(), Length(max=100, message=too_long(100))])
    action = StringField(_l("Action starts with"), validators=[
        Optional(), Length(max=60, message=too_long(60))],
        description=_l("e.g. login, voucher. or user.roles_set"))
    date_from = LocalDateField(_l("From (date)"), name="from", validators=[Optional()])
    date_to = LocalDateField(_l("To (date)"), name="to", validators=[Optional()])

    def validate_date_to(self, field: Any) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(str(_l("The end date is before the start date.")))


class VoucherFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=lambda: [
        ("", _l("All")), *VOUCHER_STATUS_LABELS.items()], validators=[Optional()])


class PostingForm(Form):
    """One line of a voucher; the account choices are the chosen entity's chart."""

    account = SelectField(_l("Account"), choices=[], validate_choice=False)
    debit = StringField(_l("Debit"), validators=[Length(max=24, message=too_long(24))],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    credit = StringField(_l("Credit"), validators=[Length(max=24, message=too_long(24))],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})


class VoucherForm(FlaskForm):
    entity = SelectField(_l("Entity"), choices=lambda: list(ENTITIES), validate_choice=False,
                         description=_l("After choosing another entity, press “Show its "
                                        "accounts” to list its chart of accounts."))
    effective_date = LocalDateField(_l("Effective date"), validators=[
        InputRequired(message=REQUIRED)])
    memo = StringField(_l("Memo"), validators=[
        DataRequired(message=REQUIRED), Length(max=MAX_MEMO, message=too_long(MAX_MEMO))])
    postings = FieldList(FormField(PostingForm), min_entries=VOUCHER_LINES,
                         max_entries=VOUCHER_LINES)


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for rejecting"), validators=[
        DataRequired(message=REQUIRED), Length(max=500, message=too_long(500))])

