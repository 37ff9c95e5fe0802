"""Flask-WTF forms of the periods' pages (会计期间), each POST form with its CSRF token, and
the labels of the periods' codes in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from ledger.core.chart import ENTITIES
from ledger.core.periods import Opinion, PeriodStatus

from .common import entity_name
from .fund_forms import text
from .grants_forms import confirmation, long_text


def period_status_labels() -> dict[PeriodStatus, str]:
    """The statuses in the reader's language (with a context: "Closed" is said otherwise of a
    campaign or a round)."""
    return {PeriodStatus.OPEN: pgettext("period", "Open"),
            PeriodStatus.CLOSING: pgettext("period", "Closing"),
            PeriodStatus.CLOSED: pgettext("period", "Closed")}


#: The badge class of each status (the style sheet's colours).
PERIOD_STATUS_CLASSES = {
    PeriodStatus.OPEN: "status-open",
    PeriodStatus.CLOSING: "status-submitted",
    PeriodStatus.CLOSED: "status-closed",
}
OPINION_LABELS = {
    Opinion.UNQUALIFIED: _l("Unqualified opinion"),
    Opinion.QUALIFIED: _l("Qualified opinion"),
    Opinion.ADVERSE: _l("Adverse opinion"),
    Opinion.DISCLAIMER: _l("Disclaimer of opinion"),
}
CHECK_LABELS = {
    "chain": _l("The journal's hash chain verifies"),
    "head": _l("The entry at the chain head recorded at the close still has its hash"),
    "balances": _l("The balances recomputed from the postings equal those recorded at the "
                   "close"),
    "statements": _l("Every statement ties"),
    "root": _l("The Merkle root recomputed from the entries equals the one recorded at the "
               "close"),
    "assets = liabilities + net assets": _l("Total assets = total liabilities + net assets"),
    "change in net assets = net assets at the end - at the start": _l(
        "Change in net assets = net assets at the end − net assets at the start"),
    "cash at the start + net increase = cash at the end": _l(
        "Cash at the start + net increase in cash = cash at the end"),
}


class FindPeriodForm(FlaskForm):
    """Read from the query string (GET), so it needs no CSRF token."""

    class Meta:
        csrf = False

    entity = SelectField(_l("Entity"), validate_choice=False,
                         choices=lambda: [(code, entity_name(code)) for code in ENTITIES])
    period = StringField(_l("Period"), validators=[Optional()], description=_l(
        "A year (2026) or a month (2026-10)."), render_kw={"autocomplete": "off",
                                                             "placeholder": "2026-10"})


class StartClosingForm(FlaskForm):
    confirm = confirmation(_l("Yes, start closing: from now on only adjusting entries may be "
                              "dated inside the period."))


class ClosePeriodForm(FlaskForm):
    confirm = confirmation(_l("Yes, close the period: nothing more may be dated inside it."))


class ReopenForm(FlaskForm):
    reason = text(_l("Reason"), 500, description=_l(
        "Why the period is reopened; kept in the audit log."))
    confirm = confirmation(_l("Yes, reopen the period: its audit sign-off no longer holds."))


class SignOffForm(FlaskForm):
    opinion = RadioField(_l("Audit opinion"), validate_choice=False,
                         choices=lambda: list(OPINION_LABELS.items()),
                         validators=[InputRequired(message=_l("Choose an opinion."))])
    notes = long_text(_l("Auditor's notes"), 4000, description=_l(
        "Printed with the opinion on the statements."))
    confirm = confirmation(_l("Yes, I sign off these statements."))
