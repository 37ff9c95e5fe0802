"""Staff pages of accounting periods (会计期间): the periods of each entity with their status
and audit state; a period's statements with the previous period's figures, its downloads (PDF
in Chinese or English, CSV, JSON), the auditor's verification, and the forms that close it
(fund managers and admins), reopen it (admins, with a reason) and sign it off (auditors).

Every staff role reads. A refusal of the books is shown on the form in the reader's language,
with the status the API would answer, never as a server error. Forms post to an address of
their own and, on a refusal, show the period's page again (and send the language switch back
to it). A period not signed off is shown as an unaudited draft.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from ledger import books
from ledger import periods as ps
from ledger.core.chart import ENTITIES
from ledger.core.errors import InvalidInput, LedgerError
from ledger.core.periods import (
    Opinion,
    Period,
    PeriodNotInState,
    PeriodStatus,
    VerificationFailed,
    month,
    parse_period,
    year,
)
from ledger.core.staff import Role
from ledger.db import audit as audit_db
from ledger.statements import Pack, statement_pack

from ..auth import STAFF, current_actor, requires
from ..mutual_aid import MANAGERS  # fund managers and administrators
from ..periods_api import ADMINS, AUDITORS, csv_response, entity_of, json_response, pdf_response
from ..problems import status_for
from ..state import uow
from .audit import present
from .common import add_error, chinese, done, entity_name, explain, minor_units, money
from .pages import Page
from .periods_forms import (
    CHECK_LABELS,
    OPINION_LABELS,
    PERIOD_STATUS_CLASSES,
    ClosePeriodForm,
    FindPeriodForm,
    ReopenForm,
    SignOffForm,
    StartClosingForm,
    period_status_labels,
)

bp = Blueprint("period_pages", __name__, url_prefix="/staff/periods")

#: The words of a refusal, for the periods' errors.
PERIOD_ERRORS: dict[type[LedgerError], Any] = {
    VerificationFailed: _l("The books do not verify, so the period cannot be signed off: see "
                           "the verification below."),
    ps.PeriodNotFound: _l("This period was never closed."),
}
#: Refusals of a value (InvalidInput), by the field the use case names.
FIELD_TEXTS: dict[str, Any] = {
    "reason": _l("Give a reason (up to 500 characters)."),
    "notes": _l("Use at most 4,000 characters for the notes."),
}
#: Per form: the use case's step, and what a refusal of the period's stage means.
STAGE_TEXTS: dict[str, Any] = {
    "closing_form": _l("Only an open period can start closing; reload the page to see where it "
                       "is."),
    "close_form": _l("Only a period that is closing can be closed: start closing it first."),
    "reopen_form": _l("Only a period that is closing or closed can be reopened."),
    "signoff_form": _l("Only a closed period not yet signed off can be signed off."),
}
ACTION_LABELS = {
    "period.closing": _l("Closing started"),
    "period.closed": _l("Period closed"),
    "period.reopened": _l("Reopened"),
    "period.signed_off": _l("Signed off"),
}
DETAIL_LABELS = {
    "reason": _l("Reason"), "signoff_voided": _l("Sign-off voided"),
    "opinion": _l("Audit opinion"), "head_seq": _l("Chain head (entry no.)"),
    "head_hash": _l("Chain head hash"),
}
#: The forms of a period's steps, by name in the template, with their prefixes.
STEP_FORMS: dict[str, tuple[type[FlaskForm], str]] = {
    "closing_form": (StartClosingForm, "closing"), "close_form": (ClosePeriodForm, "close"),
    "reopen_form": (ReopenForm, "reopen"), "signoff_form": (SignOffForm, "signoff"),
}


def period_explain(error: LedgerError, form_name: str = "") -> str:
    """A refusal in the reader's language: the periods' errors, then the ledger's."""
    for cls in type(error).__mro__:
        found = PERIOD_ERRORS.get(cls)
        if found is not None:
            return str(found)
    if isinstance(error, PeriodNotInState) and form_name in STAGE_TEXTS:
        return str(STAGE_TEXTS[form_name])
    field_text = FIELD_TEXTS.get(error.field or "")
    if field_text is not None and isinstance(error, InvalidInput):
        return str(field_text)
    return explain(error)


def _period(entity: str, label: str) -> tuple[str, Period]:
    """The entity (404 if unknown) and period (422 if not a label) of a page's address."""
    return entity_of(entity), parse_period(label)


def _here(status: int, entity: str, label: str) -> dict[str, Callable[[], str]]:
    """After a refused POST: the language switch goes back to the period's page."""
    if status == 200:
        return {}
    return {"here": lambda: url_for("period_pages.period", entity=entity, label=label)}


def _holds(role: Role) -> bool:
    user = g.get("user")
    return user is not None and role in user.roles


# --- the list ---------------------------------------------------------------------------------
@bp.get("/")
@requires(*STAFF)
def period_list() -> Page:
    form = FindPeriodForm(request.args)
    status = 200
    if request.args.get("period") is not None:
        typed = (form.period.data or "").strip()
        entity = form.entity.data or ""
        if entity not in ENTITIES:
            add_error(form.entity, _("Choose one of the two entities."))
        try:
            found = parse_period(typed)
        except LedgerError:
            add_error(form.period, _("Write a year (2026) or a month (2026-10)."))
        else:
            if not form.errors:
                return redirect(url_for("period_pages.period", entity=entity,
                                        label=found.label))
        status = 422
    rows = {code: ps.periods(uow(), code) for code in ENTITIES}
    return render_template("staff/periods/periods.html", rows=rows, form=form,
                           suggested=_suggested(), **labels()), status


def _suggested() -> list[Period]:
    """Periods one is likely to close now: last month, this month and this year."""
    today = books.today()
    last = today.replace(day=1) - timedelta(days=1)
    return [month(last.year, last.month), month(today.year, today.month), year(today.year)]


# --- a period ---------------------------------------------------------------------------------
@bp.get("/<entity>/<label>")
@requires(*STAFF)
def period(entity: str, label: str) -> Page:
    code, found = _period(entity, label)
    if found.label != label:
        return redirect(url_for("period_pages.period", entity=code, label=found.label))
    return period_page(code, found.label)


def _verification(state: ps.PeriodState) -> dict[str, Any] | None:
    """What the page shows of the verification: the one run at the sign-off; for an auditor,
    a closed period's verification run now; otherwise nothing."""
    if state.signoff is not None:
        return dict(state.signoff.verification)
    if state.status is PeriodStatus.CLOSED and _holds(Role.AUDITOR):
        return ps.verify_period(uow(), state.entity, state.period.label).as_dict()
    return None


def _history(entity: str, label: str) -> list[dict[str, Any]]:
    where = audit_db.AuditFilter(object_type="period", object_id=f"{entity}/{label}")
    records = uow().read(lambda session: list(reversed(audit_db.find(session, where,
                                                                     limit=1000))))
    rows = []
    for record in records:
        row = present(record)
        row["label"] = str(ACTION_LABELS.get(record.action, record.action))
        row["details"] = [(str(DETAIL_LABELS.get(key, key)), _detail(key, value))
                          for key, value in sorted(record.details.items())]
        rows.append(row)
    return rows


def _detail(key: str, value: object) -> str:
    if key == "opinion" and isinstance(value, str) and value in OPINION_LABELS:
        return str(OPINION_LABELS[Opinion(value)])
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return "—" if value is None else str(value)


def period_page(entity: str, label: str, *, status: int = 200, error: str | None = None,
                **forms: Any) -> Page:
    pack = statement_pack(uow(), entity, label)
    for name, (cls, prefix) in STEP_FORMS.items():
        if forms.get(name) is None:
            forms[name] = cls(formdata=None, prefix=prefix)
    page = render_template(
        "staff/periods/period.html", pack=pack, state=pack.state, error=error,
        verification=_verification(pack.state), history=_history(entity, label),
        tables=statement_tables(pack), **forms, **labels(), **_here(status, entity, label))
    return page, status


def statement_tables(pack: Pack) -> list[dict[str, Any]]:
    """Each statement as a table: a row per line, with this period's and the previous
    period's figure of each column."""
    zh = chinese()
    tables = []
    for statement in pack.statements:
        columns = [zh_en[0] if zh else zh_en[1] for zh_en in statement.columns]
        rows = [{"name": line.zh if zh else line.en, "total": line.total,
                 "cells": [value for pair in zip(line.values, line.previous, strict=True)
                           for value in pair]}
                for line in statement.lines]
        tables.append({"key": statement.key, "title": statement.zh if zh else statement.en,
                       "columns": columns, "rows": rows,
                       "checks": list(statement.checks)})
    return tables


def labels() -> dict[str, object]:
    """The labels and helpers the periods' templates use."""
    return {"period_status_labels": period_status_labels(),
            "period_status_classes": PERIOD_STATUS_CLASSES, "opinion_labels": OPINION_LABELS,
            "check_labels": CHECK_LABELS, "money": money,
            "fen": lambda units, currency="CNY": minor_units(units, currency),
            "entity_codes": list(ENTITIES), "entity_title": entity_name}


# --- the steps --------------------------------------------------------------------------------
def _step(entity: str, label: str, name: str, valid: Callable[[FlaskForm], bool],
          action: Callable[[FlaskForm, str, str], ps.PeriodState],
          message: Callable[[ps.PeriodState], str]) -> Page:
    """Run a step of a period from its form: the page again with the refusal, or back to the
    period's page with the message."""
    code, found = _period(entity, label)
    cls, prefix = STEP_FORMS[name]
    form = cls(prefix=prefix)
    if not (form.validate_on_submit() and valid(form)):
        return period_page(code, found.label, status=422, **{name: form})
    try:
        made = action(form, code, found.label)
    except IntegrityError:
        # The database's own rules refused the step (the stage changed meanwhile): the same
        # answer as the API's (409), in words, on the form.
        return period_page(code, found.label, status=409, error=str(STAGE_TEXTS[name]),
                           **{name: form})
    except LedgerError as error:
        text = period_explain(error, name)
        field = form._fields.get(error.field or "")
        if isinstance(error, InvalidInput) and field is not None:
            add_error(field, text)
            top = None
        else:
            top = text
        return period_page(code, found.label, status=status_for(error), error=top,
                           **{name: form})
    return done(message(made), "period_pages.period", entity=code, label=found.label)


def _always(form: FlaskForm) -> bool:
    return True


@bp.post("/<entity>/<label>/closing")
@requires(*MANAGERS)
def start_closing(entity: str, label: str) -> Page:
    return _step(entity, label, "closing_form", _always,
                 lambda form, e, p: ps.start_closing(uow(), current_actor(), e, p),
                 lambda s: _("%(entity)s %(period)s is closing: from now on only adjusting "
                             "entries may be dated inside it.", entity=entity_name(s.entity),
                             period=s.period.label))


@bp.post("/<entity>/<label>/close")
@requires(*MANAGERS)
def close_period(entity: str, label: str) -> Page:
    return _step(entity, label, "close_form", _always,
                 lambda form, e, p: ps.close_period(uow(), current_actor(), e, p),
                 lambda s: _("%(entity)s %(period)s is closed at entry no. %(seq)s: nothing "
                             "more may be dated inside it. It awaits the auditor's sign-off.",
                             entity=entity_name(s.entity), period=s.period.label,
                             seq=s.close.head_seq if s.close else 0))


@bp.post("/<entity>/<label>/reopen")
@requires(*ADMINS)
def reopen_period(entity: str, label: str) -> Page:
    def reopen(form: FlaskForm, e: str, p: str) -> ps.PeriodState:
        return ps.reopen_period(uow(), current_actor(), e, p, reason=form.reason.data or "")

    return _step(entity, label, "reopen_form", _always, reopen,
                 lambda s: _("%(entity)s %(period)s is open again. Its statements are an "
                             "unaudited draft until it is closed and signed off anew.",
                             entity=entity_name(s.entity), period=s.period.label))


def _opinion_chosen(form: FlaskForm) -> bool:
    if form.opinion.data not in {o.value for o in Opinion}:
        add_error(form.opinion, _("Choose one of the listed opinions."))
        return False
    return True


@bp.post("/<entity>/<label>/sign-off")
@requires(*AUDITORS)
def sign_off(entity: str, label: str) -> Page:
    def sign(form: FlaskForm, e: str, p: str) -> ps.PeriodState:
        return ps.sign_off(uow(), current_actor(), e, p, opinion=Opinion(form.opinion.data),
                           notes=form.notes.data or "")

    return _step(entity, label, "signoff_form", _opinion_chosen, sign,
                 lambda s: _("%(entity)s %(period)s is signed off: %(opinion)s. Its "
                             "statements are final.", entity=entity_name(s.entity),
                             period=s.period.label,
                             opinion=OPINION_LABELS[s.signoff.opinion] if s.signoff else ""))


# --- downloads --------------------------------------------------------------------------------
@bp.get("/<entity>/<label>/statements.pdf")
@requires(*STAFF)
def statements_pdf(entity: str, label: str) -> Response:
    lang = request.args.get("lang", "zh")
    if lang not in ("zh", "en"):
        lang = "zh"
    appendix = request.args.get("appendix", "true").lower() not in ("false", "0", "no")
    return pdf_response(entity, label, lang, appendix)


@bp.get("/<entity>/<label>/statements.csv")
@requires(*STAFF)
def statements_csv(entity: str, label: str) -> Response:
    return csv_response(entity, label)


@bp.get("/<entity>/<label>/statements.json")
@requires(*STAFF)
def statements_json(entity: str, label: str) -> Response:
    return json_response(entity, label)
