"""What the campaigns' pages share (众筹): the blueprint, refusals and bad rows told in words,
the split of the shares, the history of a campaign, and the files held between an import's
preview and its confirmation."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from moneyed import Money

from ledger import campaign_payments as cp
from ledger import campaigns as cs
from ledger import grants
from ledger.core.campaigns import (
    BadFile,
    HouseholdStatus,
    InvalidTransition,
    NotFunded,
    RowProblem,
    ShortfallUnassigned,
)
from ledger.core.errors import InvalidInput, LedgerError
from ledger.core.grants import OverCommitted
from ledger.expenses import InsufficientFunds

from ..state import uow
from .audit import present
from .campaigns_forms import (
    CAMPAIGN_STATUS_LABELS,
    COLUMN_LABELS,
    HOUSEHOLD_STATUS_LABELS,
    LEFTOVER_LABELS,
    MATCH_HINTS,
    MATCH_LABELS,
    METHOD_LABELS,
    MISS_RULE_LABELS,
    SHORTFALL_SOURCE_LABELS,
)
from .common import add_error, explain, money
from .foundation_common import found_or_404

bp = Blueprint("campaign_pages", __name__, url_prefix="/staff/campaigns")

#: The words of a refusal, for the errors of the campaigns' use cases.
CAMPAIGN_ERRORS: dict[type[LedgerError], Any] = {
    cs.CampaignNotFound: _l("There is no such campaign."),
    cs.HouseholdNotFound: _l("There is no such household on this campaign's roll."),
    cp.ReceiptNotFound: _l("No payment has this receipt code."),
    cp.DuplicatePayment: _l("A payment with this reference is recorded already on this "
                            "campaign."),
    InvalidTransition: _l("The campaign is not at the stage this needs; reload the page to see "
                          "where it is."),
    NotFunded: _l("The campaign does not have the money for this yet."),
    ShortfallUnassigned: _l("Part of the shortfall is not assigned to a source yet: assign it "
                            "before closing."),
    OverCommitted: _l("The foundation's available funds do not cover this."),
    InsufficientFunds: _l("The foundation's bank account holds less than this. Money paid in "
                          "cash is counted in hand: bank it first (a voucher: Dr 1002 / Cr "
                          "1001)."),
    BadFile: _l("The file has problems; nothing was written."),
}
#: Refusals of a value (InvalidInput), by the field the use case names.
FIELD_TEXTS: dict[str, Any] = {
    "community": _l("Name the community (up to 100 characters)."),
    "buildings": _l("Say which buildings (up to 300 characters)."),
    "title": _l("Give a title (up to 200 characters)."),
    "repair": _l("Say what is repaired (up to 2,000 characters)."),
    "contractor": _l("Name the contractor (up to 200 characters)."),
    "subsidy_from": _l("Say who gives the subsidy (up to 200 characters)."),
    "shortfall_source": _l("To keep what is raised, name the source that covers the "
                           "shortfall."),
    "file": _l("Upload a CSV file (UTF-8 or GB18030) or an Excel .xlsx workbook; old .xls "
               "workbooks are not read."),
    "filename": _l("The file's name is too long (up to 200 characters)."),
    "roll": _l("Import the household roll before opening the campaign."),
    "reason": _l("Give a reason (up to 300 characters)."),
    "note": _l("Use at most 300 characters for the note."),
    "payer": _l("Say who paid the subsidy (up to 200 characters)."),
    "reference": _l("Give a reference of 1 to 64 characters (up to 100 for the subsidy and the "
                    "contractor)."),
    "disclosure": _l("Leftover money given to the foundation is disclosed: say how much and "
                     "what it will be used for (up to 2,000 characters)."),
    "households": _l("A campaign needs at least one household asked to pay."),
}
FILE_KINDS = {"roll": _l("Household roll"), "payments": _l("Payment export")}


def campaign_explain(error: LedgerError) -> str:
    """A refusal in the reader's language: the campaigns' errors, then the ledger's."""
    for cls in type(error).__mro__:
        found = CAMPAIGN_ERRORS.get(cls)
        if found is not None:
            return str(found)
    field_text = FIELD_TEXTS.get(error.field or "")
    if field_text is not None and isinstance(error, InvalidInput):
        return str(field_text)
    return explain(error)


def attach(form: FlaskForm, error: LedgerError, text: str | None = None) -> None:
    """Show a refusal next to the field it names, or above the form."""
    message = text or campaign_explain(error)
    field = form._fields.get(error.field or "")
    if field is None or error.field == "csrf_token" or field.type == "HiddenField":
        form.form_errors.append(message)
    else:
        add_error(field, message)


def refusal(form: FlaskForm, error: LedgerError, text: str | None = None) -> str | None:
    """A refused value goes next to its field; a refusal of the current state is returned,
    for the top of the page."""
    if isinstance(error, InvalidInput) and error.field in form._fields:
        attach(form, error, text)
        return None
    return text or campaign_explain(error)


def shown_at(status: int, endpoint: str, **args: Any) -> dict[str, Callable[[], str]]:
    """After a refused POST to an address that only takes POST: where the language switch goes
    back to. Nothing for a GET."""
    if status == 200:
        return {}
    return {"here": lambda: url_for(endpoint, **args)}


def campaign_or_404(campaign_id: int) -> cs.Campaign:
    return found_or_404(cs.campaign, campaign_id)


# --- bad rows of a file, in words -------------------------------------------------------------
_PROBLEMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"^is empty$"), lambda m: _("This cell is empty.")),
    (re.compile(r"^is longer than (\d+) characters$"),
     lambda m: _("Use at most %(count)d characters.", count=int(m[1]))),
    (re.compile(r"^'(.*)' is not a phone number$"),
     lambda m: _("“%(value)s” is not a phone number.", value=m[1])),
    (re.compile(r"^(.+) is on the roll already \(line (\d+)\)$"),
     lambda m: _("Household %(household)s is on the roll already (line %(line)s).",
                 household=m[1], line=m[2])),
    (re.compile(r"^(\d+) cells where the header has (\d+)$"),
     lambda m: _("The row has %(cells)s cells where the header has %(header)s.", cells=m[1],
                 header=m[2])),
    (re.compile(r"^no column '(\w+)' \(accepted headers: (.*)\)$"),
     lambda m: _("There is no column for %(column)s; head it with one of: %(headers)s.",
                 column=_column(m[1]), headers=m[2])),
    (re.compile(r"^more than ([\d,]+) rows; split the file$"),
     lambda m: _("The file has more than %(count)s rows; split it.", count=m[1])),
    (re.compile(r"^the file is not well-formed CSV \((.*)\)$"),
     lambda m: _("The file is not well-formed CSV (%(reason)s).", reason=m[1])),
    (re.compile(r"^the file has no households$"),
     lambda m: _("The file lists no household.")),
    (re.compile(r"^the file has no payments$"),
     lambda m: _("The file lists no payment.")),
    (re.compile(r"^the file is empty$"), lambda m: _("The file is empty.")),
    (re.compile(r"^is 1 to 64 characters$"),
     lambda m: _("Give a reference of 1 to 64 characters.")),
    (re.compile(r"^'(.*)' is not a date \(YYYY-MM-DD\)$"),
     lambda m: _("“%(value)s” is not a date (YYYY-MM-DD).", value=m[1])),
)


def _column(name: str) -> str:
    return str(COLUMN_LABELS.get(name, name)) if name else ""


def problem_rows(problems: Sequence[RowProblem]) -> list[dict[str, Any]]:
    """The bad rows of a file: line, column and what is wrong, in the reader's language (the
    ledger's own words when a message is not known here)."""
    rows = []
    for problem in problems:
        message = problem.message
        if problem.column == "amount" and not any(p.match(message) for p, _t in _PROBLEMS):
            message = _("Enter an amount greater than zero with at most two decimals, "
                        "e.g. 1200.50.")
        else:
            for pattern, words in _PROBLEMS:
                found = pattern.match(message)
                if found:
                    message = words(found)
                    break
        rows.append({"line": problem.line, "column": _column(problem.column),
                     "message": message})
    return rows


# --- shares -----------------------------------------------------------------------------------
def split_parts(households: Sequence[cs.Household]) -> list[tuple[int, Money]]:
    """How the asked households' shares split: [(count, share)], the higher share first."""
    counts = Counter(h.share for h in households if h.status is HouseholdStatus.ASKED)
    return sorted(((n, share) for share, n in counts.items()), key=lambda p: p[1],
                  reverse=True)


def split_text(parts: Sequence[tuple[int, Money]]) -> str:
    """'64 households × 22.09 + 253 households × 22.08' / '64 户 × 22.09 + 253 户 × 22.08'."""
    return " + ".join(_("%(count)s households × %(share)s", count=n, share=money(share))
                      for n, share in parts)


SHARE_RULE = _l("Equal shares, exact to the fen: the gap is divided by the number of "
                "households asked to pay, and the odd fen go one each to the first households "
                "in roll order (building, unit, room).")


# --- history ----------------------------------------------------------------------------------
ACTION_LABELS = {
    "campaign.created": _l("Campaign set up"),
    "campaign.roll_imported": _l("Household roll imported"),
    "campaign.opened": _l("Campaign opened; the match is held"),
    "campaign.funded": _l("Funded"),
    "campaign.household_marked": _l("Household marked"),
    "campaign.shortfall_assigned": _l("Shortfall assigned"),
    "campaign.subsidy_received": _l("Subsidy received"),
    "campaign.payment_recorded": _l("Payment recorded"),
    "campaign.payments_imported": _l("Payments imported"),
    "campaign.contractor_paid": _l("Contractor paid"),
    "campaign.closed": _l("Campaign closed"),
    "campaign.cancelled": _l("Campaign cancelled; payers refunded"),
}
PAID_IN_FULL = _l("The contractor is paid in full")
DETAIL_LABELS = {
    "cost": _l("Quoted cost"), "subsidy": _l("Subsidy"), "match": _l("Foundation match"),
    "households": _l("Households"), "filename": _l("File"), "household_id": _l("Household"),
    "status": _l("Status"), "reason": _l("Reason"), "source": _l("Source"),
    "amount": _l("Amount"), "payment_id": _l("Payment no."), "reference": _l("Reference"),
    "import_id": _l("Import"), "recorded": _l("Recorded"), "restricted": _l("From restricted "
                                                                             "money"),
    "leftover": _l("Leftover"), "leftover_rule": _l("Leftover rule"),
    **{match.value: label for match, label in MATCH_LABELS.items()},
}
DETAIL_VALUES: dict[str, dict[Any, Any]] = {
    "status": HOUSEHOLD_STATUS_LABELS, "source": SHORTFALL_SOURCE_LABELS,
    "leftover_rule": LEFTOVER_LABELS,
}


def _detail(key: str, value: object, addresses: dict[int, str]) -> str:
    if value is None:
        return "—"
    if key == "household_id" and isinstance(value, int):
        return addresses.get(value, str(value))
    labels = DETAIL_VALUES.get(key, {})
    return str(labels.get(value, value))


def history(campaign_id: int) -> list[dict[str, Any]]:
    """The campaign's audit records, oldest first, in words (households by their address)."""
    addresses = {h.id: str(h.key) for h in cs.households(uow(), campaign_id)}
    rows = []
    for record in grants.history(uow(), "campaign", campaign_id):
        row = present(record)
        label = ACTION_LABELS.get(record.action, record.action)
        if record.action == "campaign.contractor_paid" and not record.details:
            label = PAID_IN_FULL  # the move to "contractor paid", after the payment itself
        row["label"] = str(label)
        row["details"] = [(str(DETAIL_LABELS.get(key, key)), _detail(key, value, addresses))
                          for key, value in sorted(record.details.items())]
        rows.append(row)
    return rows


def labels() -> dict[str, object]:
    """The labels the campaigns' templates use."""
    return {"money": money, "campaign_status_labels": CAMPAIGN_STATUS_LABELS,
            "miss_rule_labels": MISS_RULE_LABELS, "source_labels": SHORTFALL_SOURCE_LABELS,
            "leftover_labels": LEFTOVER_LABELS, "household_status_labels":
            HOUSEHOLD_STATUS_LABELS, "method_labels": METHOD_LABELS,
            "match_labels": MATCH_LABELS, "match_hints": MATCH_HINTS,
            "file_kinds": FILE_KINDS}


@bp.context_processor
def campaign_helpers() -> dict[str, object]:
    return labels()
