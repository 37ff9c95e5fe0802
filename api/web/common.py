"""What the staff pages share: names in the current language, formatting, who may see a link,
values read from forms, and domain errors told in words the reader can act on."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from flask import Response, flash, g, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from moneyed import Money
from wtforms import Field

from ledger.books import BOOKS_TIMEZONE
from ledger.core import errors
from ledger.core.chart import ENTITIES, Account, chart_of
from ledger.core.credit_code import ALPHABET, check_character
from ledger.core.entries import EARLIEST_DATE, LATEST_DATE
from ledger.core.money import DEFAULT_CURRENCY, decimal_places, from_minor, parse_money
from ledger.core.staff import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    PasswordRule,
    Role,
    password_problems,
)

from ..auth import PUBLIC, declared_roles

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.FUND_MANAGER: _l("Fund manager"),
    Role.BOARD_MEMBER: _l("Board member"),
    Role.AUDITOR: _l("Auditor"),
}
#: Most powerful first, as in api.auth.STAFF.
ROLE_ORDER = (Role.ADMIN, Role.FUND_MANAGER, Role.BOARD_MEMBER, Role.AUDITOR)

VOUCHER_STATUS_LABELS = {
    "submitted": _l("Awaiting approval"),
    "approved": _l("Approved and posted"),
    "rejected": _l("Rejected"),
}
T = TypeVar("T")
R = TypeVar("R")
#: '350,000.00': thousands grouped with commas.
_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")


def chinese() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "zh"


def role_label(role: Role | str | None) -> str:
    if role is None:
        return "—"
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return str(role)


def role_labels(roles: Iterable[Role | str]) -> list[str]:
    held = {Role(r) for r in roles}
    return [str(ROLE_LABELS[r]) for r in ROLE_ORDER if r in held]


def entity_name(code: str) -> str:
    found = ENTITIES.get(code)
    if found is None:
        return code
    return found.name_zh if chinese() else found.name_en


def account_name(account: Account) -> str:
    return account.name_zh if chinese() else account.name_en


def account_label(entity_code: str, code: str) -> str:
    """'1002 银行存款' / '1002 Bank deposits'."""
    found = chart_of(entity_code).get(code) if entity_code in ENTITIES else None
    return f"{code} {account_name(found)}" if found else code


def local_time(moment: datetime | None) -> str:
    """A moment as date and time in China Standard Time (where the books are kept)."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BOOKS_TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")


def grouped(amount: Decimal, places: int) -> str:
    return f"{amount:,.{places}f}"


def money(value: Money) -> str:
    """'350,000.00' (the currency is shown apart, in a column head or a code)."""
    return grouped(value.amount, decimal_places(value.currency))


def minor_units(units: int, currency: str) -> str:
    return money(from_minor(units, currency))


def may(endpoint: str) -> bool:
    """Whether the person logged in may use a page (so only such links are shown)."""
    user = g.get("user")
    if user is None:
        return False
    roles = declared_roles(endpoint)
    if roles is None:
        return False
    return roles == PUBLIC or any(r in user.roles for r in roles)


# --- values read from forms -----------------------------------------------------------------
def add_error(field: Field, message: str) -> None:
    field.errors = [*field.errors, message]


def read_amount(field: Field, *, required: bool = True) -> Money | None:
    """The field's amount in CNY, or None with the reason next to the field. '350,000.00' is
    read as grouped thousands; any other comma is refused (never read as a decimal point)."""
    typed = (field.data or "").strip()
    if not typed and not required:
        return None
    if _GROUPED.match(typed):
        typed = typed.replace(",", "")
    try:
        return parse_money(typed, DEFAULT_CURRENCY)
    except errors.InvalidAmount as error:
        add_error(field, explain(error))
        return None


def amount_of(field: Field) -> Money | None:
    """A required amount field's value, if it passed its own validators."""
    return read_amount(field) if field.data and not field.errors else None


def date_for_books(field: Field) -> bool:
    """Whether a date that goes into a journal entry is one the books accept."""
    day = field.data
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        add_error(field, _("Enter a date between %(first)s and %(last)s.",
                           first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat()))
        return False
    return True


def choice_ok(field: Field, message: str) -> bool:
    """Whether a select or radio field holds one of its choices (else the message)."""
    if field.data not in {str(value) for value, _label in field.choices or ()}:
        add_error(field, message)
        return False
    return True


def posted_with_choice(form: FlaskForm, field: Field, message: str) -> bool:
    """Whether the posted form validates and its choice field, when filled in, holds one of its
    choices (else the message; an empty field is left to its own required check)."""
    valid = form.validate_on_submit()
    if field.data:
        valid = choice_ok(field, message) and valid
    return valid


def carry_out(action: Callable[[], T], *, refused: Callable[[errors.LedgerError], R],
              then: Callable[[T], R]) -> R:
    """Make a change of the books: what `then` answers with its result, or, when the books
    refuse it, what `refused` answers with the refusal (the page again, saying why)."""
    try:
        made = action()
    except errors.LedgerError as error:
        return refused(error)
    return then(made)


def done(message: str, endpoint: str, /, *, category: str = "success", **args: Any
         ) -> Response:
    """After a change is made: the message, shown on the page the person is sent to."""
    flash(message, category)
    return redirect(url_for(endpoint, **args))


def credit_code_problem(error: errors.LedgerError, typed: str, taken: str) -> str | None:
    """A refused unified social credit code, in words (None for other refusals); `taken` says
    that the code is registered already (a member's, a grantee's)."""
    if error.field != "credit_code":
        return None
    if isinstance(error, errors.AlreadyExists):
        return taken
    code = typed.strip().upper()
    if len(code) != 18:
        return _("A unified social credit code has 18 characters; this one has %(count)s.",
                 count=len(code))
    wrong = "".join(sorted({c for c in code if c not in ALPHABET}))
    if wrong:
        return _("A credit code uses digits and capital letters other than I, O, S, V and Z; "
                 "“%(characters)s” cannot appear in it.", characters=wrong)
    if not code[2:8].isdigit():
        return _("Characters 3 to 8 (the administrative division) must be digits.")
    if code[17] != check_character(code[:17]):
        return _("The last character (the check character) does not match the first 17: "
                 "look for a typing mistake.")
    return None


# --- domain errors, told in the reader's language ---------------------------------------------
_ERROR_TEXTS: Mapping[type[errors.LedgerError], Any] = {
    errors.SelfApproval: _l("You cannot approve or reject what you submitted yourself; another "
                            "authorised person must do it."),
    errors.Forbidden: _l("You may not do this."),
    errors.AlreadyDecided: _l("This voucher has already been approved or rejected."),
    errors.AlreadyExists: _l("It exists already."),
    errors.ClosedPeriod: _l("The period of this date is closed; choose a date in an open "
                            "period."),
    errors.Conflict: _l("The current state of the books does not allow this."),
    errors.UserNotFound: _l("There is no such staff account."),
    errors.VoucherNotFound: _l("There is no such voucher."),
    errors.TokenNotFound: _l("There is no such access token."),
    errors.NotFound: _l("Not found."),
    errors.Unbalanced: _l("Debits do not equal credits."),
    errors.TooFewPostings: _l("A voucher needs at least two posting lines."),
    errors.ZeroPosting: _l("Every line must move an amount greater than zero."),
    errors.UnknownAccount: _l("This account is not in the chosen entity's chart of accounts."),
    errors.UnknownEntity: _l("Choose one of the two entities."),
    errors.InvalidAmount: _l("Enter an amount greater than zero with at most two decimals, "
                             "e.g. 1200.50."),
    errors.InvalidEntry: _l("The voucher breaks a book-keeping rule."),
    errors.InvalidInput: _l("This value is not acceptable."),
    errors.InvalidCredentials: _l("Wrong username or password."),
    errors.TooManyAttempts: _l("Too many failed attempts. Try again later."),
}


def explain(error: errors.LedgerError) -> str:
    """A translated sentence for a domain error (most specific class first)."""
    if isinstance(error, errors.WeakPassword):
        return " ".join(translate_password_rules(error.rules))
    if error.field == "username" and isinstance(error, errors.AlreadyExists):
        return _("This username is taken; choose another.")
    if error.field == "username" and isinstance(error, errors.InvalidInput):
        return str(USERNAME_RULE)
    for cls in type(error).__mro__:
        text = _ERROR_TEXTS.get(cls)  # type: ignore[call-overload]
        if text is not None:
            return str(text)
    return _("The ledger refused the request.")


USERNAME_RULE = _l("A username is 3 to 40 characters: lower-case letters, digits, '.', '_' or "
                   "'-'.")


def password_problems_translated(password: str, username: str = "") -> list[str]:
    return translate_password_rules(password_problems(password, username=username))


def translate_password_rules(rules: list[PasswordRule]) -> list[str]:
    """The password policy's reasons, in the page's language."""
    texts = {
        PasswordRule.TOO_SHORT: _("Use at least %(count)d characters.", count=MIN_PASSWORD),
        PasswordRule.TOO_LONG: _("Use at most %(count)d characters.", count=MAX_PASSWORD),
        PasswordRule.COMMON: _("This password is among the most common ones; choose another."),
        PasswordRule.CONTAINS_USERNAME: _("The password must not contain the username."),
        PasswordRule.TOO_FEW_CHARACTERS: _("Use more than three different characters."),
        PasswordRule.GUESSABLE: _("This password is too easy to guess (a keyboard pattern, a "
                                  "sequence or a repetition). A few unrelated words make a "
                                  "good password."),
    }
    return [texts[rule] for rule in rules]
