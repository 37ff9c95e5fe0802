"""What the staff pages share: names in the current language, formatting, who may see a link,
and domain errors told in words the reader can act on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from moneyed import Money

from ledger.books import BOOKS_TIMEZONE
from ledger.core import errors
from ledger.core.chart import ENTITIES, Account, chart_of
from ledger.core.money import decimal_places, from_minor
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
