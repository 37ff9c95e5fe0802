"""What the foundation's pages share: refusals told in words, amounts and dates read from
forms, rows of the table fields, names, the quorum's progress and the history of an object."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from flask import abort, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from moneyed import Money
from wtforms import FieldList

from ledger import applications as apps
from ledger import foundation, grantees, grants, rounds, staff
from ledger.core.audit import AuditRecord
from ledger.core.errors import (
    AlreadyExists,
    InvalidInput,
    LedgerError,
    NotFound,
)
from ledger.core.grants import (
    AlreadyVoted,
    ApplicationNotInState,
    BeyondSchedule,
    BudgetLine,
    ConflictOfInterest,
    Criterion,
    DeclarationMissing,
    EvaluationRequired,
    NotAReviewer,
    OverCommitted,
    RoundNotInState,
    Tranche,
)
from ledger.core.staff import Role
from ledger.expenses import InsufficientFunds

from ..state import uow
from .audit import present
from .common import add_error, chinese, explain, money, read_amount
from .grants_forms import CHOICE_LABELS, REASON_LABELS, RESTRICTION_LABELS, SOURCE_LABELS

#: The words of a refusal, for the errors of the foundation's use cases.
FOUNDATION_ERRORS: dict[type[LedgerError], Any] = {
    foundation.IncomeNotFound: _l("There is no such income."),
    foundation.OverReleased: _l("This is more than the money still restricted."),
    grantees.GranteeNotFound: _l("There is no such grantee."),
    rounds.RoundNotFound: _l("There is no such grant round."),
    apps.ApplicationNotFound: _l("There is no such application."),
    apps.AttachmentNotFound: _l("There is no such attachment."),
    grants.GrantNotFound: _l("There is no such grant."),
    grants.GrantEnded: _l("This grant has ended: nothing more is paid, evaluated or closed."),
    RoundNotInState: _l("The round is not at the stage this needs; reload the page to see "
                        "where it is."),
    ApplicationNotInState: _l("This application has been decided or withdrawn already."),
    OverCommitted: _l("The foundation's available funds, or what is left of the round's "
                      "budget, do not cover this."),
    NotAReviewer: _l("Only the round's board reviewers may do this."),
    ConflictOfInterest: _l("You declared a conflict of interest on this application, so you "
                           "are recused: you neither score nor vote."),
    DeclarationMissing: _l("Declare any conflict of interest on this application first."),
    AlreadyVoted: _l("You have voted on this application already."),
    BeyondSchedule: _l("This payment is not the next one of the tranche schedule; reload the "
                       "page to see what has been paid."),
    EvaluationRequired: _l("The final tranche is paid only after the project passes its "
                           "acceptance evaluation (验收评估). Record a passed evaluation "
                           "first."),
    InsufficientFunds: _l("The foundation's bank balance would fall below zero on this date "
                          "or a later one (money cannot be paid before it arrives)."),
}
#: Refusals of a value (InvalidInput), by the field the use case names.
FIELD_TEXTS: dict[str, Any] = {
    "purpose": _l("Say what the money is restricted to (up to 300 characters)."),
    "round_id": _l("Choose the grant round the money is given for."),
    "note": _l("Say what the interest is (up to 300 characters)."),
    "scores": _l("Score every criterion with a whole number from 0 to 100."),
    "votes_for": _l("Enter the assembly's counts: whole numbers, not all zero."),
    "reviewers": _l("Choose active board members as reviewers."),
    "closes_on": _l("The application window closes before it opens."),
    "quorum": _l("The quorum is at least 1 and at most the number of reviewers."),
    "file": _l("Attach a PDF, PNG or JPEG file of at most 5 MB (up to 10 per application)."),
    "on": _l("This date is not possible here: it comes before the money arrived or the grant "
             "was committed."),
    "evaluated_on": _l("An evaluation is dated on or after the commitment and not before the "
                       "latest evaluation."),
}
#: A grantee's credit code that is registered already.
GRANTEE_TAKEN = _l("A grantee with this credit code is registered already.")
T = TypeVar("T")


def foundation_explain(error: LedgerError) -> str:
    """A refusal in the reader's language: the foundation's errors, then the ledger's."""
    for cls in type(error).__mro__:
        found = FOUNDATION_ERRORS.get(cls)
        if found is not None:
            return str(found)
    if isinstance(error, AlreadyExists) and error.field == "credit_code":
        return str(GRANTEE_TAKEN)
    field_text = FIELD_TEXTS.get(error.field or "")
    if field_text is not None and not isinstance(error, NotFound):
        return str(field_text)
    return explain(error)


# --- forms ----------------------------------------------------------------------------------
def attach(form: FlaskForm, error: LedgerError, text: str | None = None) -> None:
    """Show a refusal next to the field it names, or above the form."""
    message = text or foundation_explain(error)
    field = form._fields.get(error.field or "")
    if (field is None or error.field == "csrf_token" or field.type == "HiddenField"
            or isinstance(field, FieldList)):
        form.form_errors.append(message)
    else:
        add_error(field, message)


def refusal(form: FlaskForm, error: LedgerError, text: str | None = None) -> str | None:
    """A refused value goes next to its field; a refusal of the current state (decided,
    recused, ended...) is returned, for the top of the page: its form may no longer be
    offered there."""
    if isinstance(error, InvalidInput):
        attach(form, error, text)
        return None
    return text or foundation_explain(error)


def shown_at(status: int, endpoint: str, **args: Any) -> dict[str, Callable[[], str]]:
    """For a page shown again after a refused POST to an address that only takes POST: where
    the language switch goes back to (the page's own address). Nothing for a GET."""
    if status == 200:
        return {}
    return {"here": lambda: url_for(endpoint, **args)}


def found_or_404(read: Callable[..., T], *args: Any) -> T:
    try:
        return read(uow(), *args)
    except NotFound:
        abort(404)


# --- rows of the table fields ---------------------------------------------------------------
@dataclass
class Rows(Generic[T]):
    """What the rows of a table field hold, and the messages about them."""

    items: list[T]
    errors: list[str]


def criteria_rows(entries: Any) -> Rows[Criterion]:
    found: list[Criterion] = []
    errors: list[str] = []
    for number, entry in enumerate(entries, 1):
        name, weight = (entry.form.name.data or "").strip(), entry.form.weight.data
        if entry.form.weight.errors:
            errors.append(_("Row %(row)s: enter the weight as a whole percentage, e.g. 40.",
                            row=number))
        elif name and weight is None:
            errors.append(_("Row %(row)s: give the criterion a weight.", row=number))
        elif weight is not None and not name:
            errors.append(_("Row %(row)s: name the criterion.", row=number))
        elif name and weight is not None:
            found.append(Criterion(name, weight))
    if not found and not errors:
        errors.append(_("Name at least one criterion with its weight."))
    return Rows(found, errors)


def criteria_problem(criteria: Sequence[Criterion]) -> str:
    """Why the use case refused these criteria, in words."""
    names = [c.name for c in criteria]
    total = sum(c.weight for c in criteria)
    if len(set(names)) != len(names):
        return _("Each criterion needs a different name.")
    if any(not 1 <= c.weight <= 100 for c in criteria):
        return _("Each weight is a whole percentage from 1 to 100.")
    if total != 100:
        return _("The weights add up to %(total)s; they must add up to 100.", total=total)
    return _("Give 1 to 10 criteria, each with a name of up to 100 characters.")


def budget_rows(entries: Any) -> Rows[BudgetLine]:
    found: list[BudgetLine] = []
    errors: list[str] = []
    for number, entry in enumerate(entries, 1):
        item = (entry.form.item.data or "").strip()
        typed = (entry.form.amount.data or "").strip()
        if not item and not typed:
            continue
        amount = read_amount(entry.form.amount) if typed else None
        if not item:
            errors.append(_("Budget row %(row)s: name the item.", row=number))
        elif amount is None:
            errors.append(_("Budget row %(row)s: enter an amount greater than zero with at "
                            "most two decimals.", row=number))
        else:
            found.append(BudgetLine(item, amount))
    if not found and not errors:
        errors.append(_("Enter at least one budget line."))
    return Rows(found, errors)


def tranche_rows(entries: Any) -> Rows[Tranche]:
    found: list[Tranche] = []
    errors: list[str] = []
    for number, entry in enumerate(entries, 1):
        due: date | None = entry.form.due_on.data
        typed = (entry.form.amount.data or "").strip()
        if entry.form.due_on.errors:
            errors.append(_("Tranche row %(row)s: enter the date as YYYY-MM-DD.", row=number))
            continue
        if due is None and not typed:
            continue
        amount = read_amount(entry.form.amount) if typed else None
        if due is None:
            errors.append(_("Tranche row %(row)s: give the date it falls due.", row=number))
        elif amount is None:
            errors.append(_("Tranche row %(row)s: enter an amount greater than zero with at "
                            "most two decimals.", row=number))
        else:
            found.append(Tranche(len(found) + 1, due, amount))
    if not found and not errors:
        errors.append(_("Enter at least one tranche."))
    return Rows(found, errors)


def sum_problem(what: str, parts: Sequence[Money], requested: Money) -> str | None:
    """'The budget lines add up to ..., not the ... requested.' (None when they do)."""
    total = sum(parts, Money(0, requested.currency))
    if total == requested:
        return None
    if what == "budget":
        return _("The budget lines add up to %(total)s, not the %(requested)s requested.",
                 total=money(total), requested=money(requested))
    return _("The tranches add up to %(total)s, not the %(requested)s requested.",
             total=money(total), requested=money(requested))


# --- names ----------------------------------------------------------------------------------
def grantee_name(grantee: grantees.Grantee) -> str:
    return grantee.name_zh if chinese() or not grantee.name_en else grantee.name_en


def grantee_names() -> dict[int, str]:
    return {g.id: grantee_name(g) for g in grantees.grantees(uow())}


def staff_names() -> dict[str, str]:
    """username -> display name."""
    return {u.username: u.display_name or u.username for u in staff.users(uow())}


def board_choices() -> list[tuple[str, str]]:
    """Active board members, as (username, 'Display name (username)')."""
    return [(u.username, f"{u.display_name} ({u.username})") for u in staff.users(uow())
            if Role.BOARD_MEMBER in u.roles and not u.disabled]


# --- the quorum -----------------------------------------------------------------------------
@dataclass(frozen=True)
class QuorumProgress:
    """How far the votes are from the round's quorum."""

    cast: int
    quorum: int
    recused: int
    reviewers: int

    @property
    def reached(self) -> bool:
        return self.cast >= self.quorum

    @property
    def reachable(self) -> bool:
        """Whether enough reviewers are left without a conflict to reach the quorum."""
        return self.reviewers - self.recused >= self.quorum

    def text(self) -> str:
        if self.reached:
            return _("Quorum reached: %(cast)s have voted (%(quorum)s needed); %(recused)s "
                     "recused.", cast=self.cast, quorum=self.quorum, recused=self.recused)
        return _("%(cast)s of %(quorum)s needed have voted; %(recused)s recused.",
                 cast=self.cast, quorum=self.quorum, recused=self.recused)


# --- history --------------------------------------------------------------------------------
ACTION_LABELS = {
    "income.recorded": _l("Income recorded"),
    "income.released": _l("Restriction released"),
    "grantee.registered": _l("Grantee registered"),
    "round.created": _l("Round set up"),
    "round.opened": _l("Call opened; budget reserved"),
    "round.review": _l("Review started"),
    "round.closed": _l("Round closed"),
    "round.cancelled": _l("Round cancelled"),
    "application.submitted": _l("Application received"),
    "application.withdrawn": _l("Application withdrawn"),
    "application.attached": _l("Document attached"),
    "application.declared": _l("Conflict-of-interest declaration"),
    "application.scored": _l("Scored"),
    "application.voted": _l("Voted"),
    "application.assembly_voted": _l("Residents' assembly vote recorded"),
    "application.resolved": _l("Resolution"),
    "grant.committed": _l("Grant committed"),
    "grant.tranche_paid": _l("Tranche paid"),
    "grant.completed": _l("Grant completed"),
    "grant.evaluation_passed": _l("Evaluation passed"),
    "grant.evaluation_failed": _l("Evaluation failed"),
    "grant.closed": _l("Grant ended early"),
    "grant.clawed_back": _l("Money returned"),
}


#: The details of the history's records, in words.
DETAIL_LABELS = {
    "amount": _l("Amount"), "requested": _l("Amount requested"), "budget": _l("Budget"),
    "reserved": _l("Reserved"), "reservation_void": _l("Reservation void"),
    "returned": _l("Unpaid commitment returned"), "source": _l("Source"),
    "restriction": _l("Restriction"), "credit_code": _l("Credit code"),
    "round_id": _l("Grant round"), "application_id": _l("Application"), "grant_id": _l("Grant"),
    "attachment_id": _l("Document"), "size": _l("Size (bytes)"), "sha256": "SHA-256",
    "conflicted": _l("Conflict of interest"), "weighted": _l("Weighted score"),
    "choice": _l("Vote"), "votes_for": _l("Votes for"), "against": _l("Votes against"),
    "abstain": _l("Abstentions"), "passed": _l("Passed"), "reason": _l("Reason"),
    "number": _l("Tranche"), "evaluated_on": _l("Date of the evaluation"),
}
#: Codes among the details, shown by their labels.
DETAIL_VALUES: dict[str, dict[Any, Any]] = {
    "choice": CHOICE_LABELS, "reason": REASON_LABELS, "source": SOURCE_LABELS,
    "restriction": RESTRICTION_LABELS,
}


def _detail(key: str, value: object) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None:
        return "—"
    labels = DETAIL_VALUES.get(key, {})
    return str(labels.get(value, value))


def history_rows(records: Sequence[AuditRecord]) -> list[dict[str, Any]]:
    """The audit records of an object, oldest first, with their actions and details in
    words."""
    rows = []
    for record in records:
        row = present(record)
        row["label"] = str(ACTION_LABELS.get(record.action, record.action))
        row["details"] = [(str(DETAIL_LABELS.get(key, key)), _detail(key, value))
                          for key, value in sorted(record.details.items())]
        rows.append(row)
    return rows


def history(object_type: str, object_id: int) -> list[dict[str, Any]]:
    return history_rows(grants.history(uow(), object_type, object_id))
