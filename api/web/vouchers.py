"""Vouchers (记账凭证): list, prepare (制单), and approve (审核) or reject.

Maker-checker: whoever prepared a voucher can neither approve nor reject it; the domain refuses
with SelfApproval, shown here as a message, never as a server error."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from moneyed import Money

from ledger import books, vouchers
from ledger.core.chart import ENTITIES, chart_of
from ledger.core.entries import EARLIEST_DATE, LATEST_DATE, JournalEntry, Posting
from ledger.core.errors import InvalidAmount, LedgerError, SelfApproval, VoucherNotFound
from ledger.core.money import DEFAULT_CURRENCY, parse_money

from ..auth import STAFF, current_actor, requires
from ..problems import status_for  # the API's status for each refusal
from ..staff_api import PREPARERS, present_voucher
from ..state import uow
from .common import (
    VOUCHER_STATUS_LABELS,
    account_name,
    entity_name,
    explain,
    minor_units,
    money,
)
from .forms import EmptyForm, PostingForm, RejectForm, VoucherFilterForm, VoucherForm
from .pages import Page, bp

_LINE_FIELD = re.compile(r"^postings\[(\d+)\](?:\.(\w+))?$")


# --- list ---------------------------------------------------------------------------------------
@bp.route("/vouchers")
@requires(*STAFF)
def voucher_list() -> Page:
    form = VoucherFilterForm(formdata=request.args)
    status = form.status.data if form.validate() and form.status.data else None
    found = vouchers.find(uow(), status)
    rows = [{
        "id": v.id, "entity": entity_name(v.entity), "effective_date": v.entry.effective_date,
        "memo": v.entry.memo, "status": v.status,
        "amounts": [f"{currency} {minor_units(debits, currency)}"
                    for currency, (debits, _credits) in sorted(v.entry.totals().items())],
        "submitted_by": v.submitted_by, "submitted_at": v.submitted_at,
    } for v in found]
    return render_template("staff/vouchers.html", form=form, rows=rows, status=status,
                           statuses=VOUCHER_STATUS_LABELS)


# --- prepare ------------------------------------------------------------------------------------
@bp.route("/vouchers/new", methods=["GET", "POST"])
@requires(*PREPARERS)
def new_voucher() -> Page | Response:
    form = VoucherForm()
    form.entity.choices = [(code, entity_name(code)) for code in ENTITIES]
    if request.method == "GET":
        chosen = request.args.get("entity")
        form.entity.data = chosen if chosen in ENTITIES else next(iter(ENTITIES))
        form.effective_date.data = books.today()
    entity_code = form.entity.data if form.entity.data in ENTITIES else next(iter(ENTITIES))
    _account_choices(form, entity_code)
    if request.method == "POST" and request.form.get("action") == "accounts":
        # "Show this entity's accounts": re-show the form for the chosen entity, unchecked.
        return _voucher_form(form, entity_code, 200)
    if request.method != "POST":
        return _voucher_form(form, entity_code, 200)
    valid = form.validate_on_submit()
    if form.entity.data not in ENTITIES:
        form.entity.errors = [*form.entity.errors, _("Choose one of the two entities.")]
        valid = False
    lines = _postings(form, entity_code)  # checked even when other fields failed: all at once
    if not valid or lines is None:
        return _voucher_form(form, entity_code, 422)
    actor = current_actor()
    entry = JournalEntry(entity=entity_code, effective_date=form.effective_date.data,
                         memo=(form.memo.data or "").strip(), actor=actor.username,
                         postings=tuple(posting for _row, posting in lines))
    try:
        voucher = vouchers.submit(uow(), actor, entry)
    except LedgerError as error:
        _attach(form, lines, error)
        return _voucher_form(form, entity_code, status_for(error))
    flash(_("Voucher #%(id)s is submitted. Another fund manager or administrator must approve "
            "it before it is posted.", id=voucher.id), "success")
    return redirect(url_for("staff.voucher", voucher_id=voucher.id))


def _account_choices(form: VoucherForm, entity_code: str) -> None:
    choices = [("", _("— choose an account —"))] + [
        (account.code, f"{account.code} {account_name(account)}")
        for account in chart_of(entity_code).values()]
    for line in form.postings:
        line.form.account.choices = choices


def _voucher_form(form: VoucherForm, entity_code: str, status: int) -> tuple[str, int]:
    return render_template("staff/voucher_new.html", form=form, entity_code=entity_code,
                           currency=DEFAULT_CURRENCY), status


def _add(field: Any, message: str) -> None:
    field.errors = [*field.errors, message]


def _postings(form: VoucherForm, entity_code: str) -> list[tuple[PostingForm, Posting]] | None:
    """The filled-in lines as postings, or None with every problem shown next to its field."""
    ok = True
    day = form.effective_date.data
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        _add(form.effective_date, _("Enter a date between %(first)s and %(last)s.",
                                    first=EARLIEST_DATE.isoformat(),
                                    last=LATEST_DATE.isoformat()))
        ok = False
    chart = chart_of(entity_code)
    lines: list[tuple[PostingForm, Posting]] = []
    for entry in form.postings:
        row: PostingForm = entry.form
        account = (row.account.data or "").strip()
        debit, credit = (row.debit.data or "").strip(), (row.credit.data or "").strip()
        if not (account or debit or credit):
            continue  # an empty line
        if not account:
            _add(row.account, _("Choose an account."))
            ok = False
        elif account not in chart:
            _add(row.account, _("This account is not in the chosen entity's chart of "
                                "accounts."))
            ok = False
        if debit and credit:
            _add(row.credit, _("Enter either a debit or a credit on a line, not both."))
            ok = False
            continue
        if not (debit or credit):
            _add(row.debit, _("Enter a debit or a credit amount."))
            ok = False
            continue
        field = row.debit if debit else row.credit
        try:
            amount = parse_money((debit or credit).replace(",", ""), DEFAULT_CURRENCY)
        except InvalidAmount:
            _add(field, _("Enter an amount greater than zero with at most two decimals, "
                          "e.g. 1200.50."))
            ok = False
            continue
        if account in chart:
            posting = (Posting.debit(account, amount) if debit
                       else Posting.credit(account, amount))
            lines.append((row, posting))
    if not ok:
        return None
    if len(lines) < 2:
        form.form_errors.append(_("A voucher needs at least two posting lines."))
        return None
    debits = sum((p.amount for _row, p in lines if p.debit_minor), Money(0, DEFAULT_CURRENCY))
    credits = sum((p.amount for _row, p in lines if p.credit_minor),
                  Money(0, DEFAULT_CURRENCY))
    if debits != credits:
        form.form_errors.append(_(
            "Debits (%(debits)s) do not equal credits (%(credits)s); the difference is "
            "%(difference)s.", debits=money(debits), credits=money(credits),
            difference=money(abs(debits - credits))))
        return None
    return lines


def _attach(form: VoucherForm, lines: list[tuple[PostingForm, Posting]],
            error: LedgerError) -> None:
    """Show a domain refusal next to the field it names (or above the form)."""
    text = explain(error)
    named = _LINE_FIELD.match(error.field or "")
    if named and int(named.group(1)) < len(lines):
        row, posting = lines[int(named.group(1))]
        field = row.account if named.group(2) == "account" else (
            row.debit if posting.debit_minor else row.credit)
        _add(field, text)
    elif error.field in ("entity", "effective_date", "memo"):
        _add(getattr(form, error.field), text)
    else:
        form.form_errors.append(text)


# --- one voucher, approve, reject -----------------------------------------------------------------
@bp.route("/vouchers/<int:voucher_id>")
@requires(*STAFF)
def voucher(voucher_id: int) -> Page:
    return _voucher_page(voucher_id)


def _voucher_page(voucher_id: int, *, error: str | None = None,
                  reject_form: RejectForm | None = None, status: int = 200) -> Page:
    try:
        found = vouchers.get(uow(), voucher_id)
    except VoucherNotFound:
        abort(404)
    page = render_template(
        "staff/voucher.html", v=present_voucher(found), entity=entity_name(found.entity),
        status_label=VOUCHER_STATUS_LABELS.get(found.status, found.status),
        totals=[(currency, minor_units(debits, currency), minor_units(credits, currency))
                for currency, (debits, credits) in sorted(found.entry.totals().items())],
        mine=found.submitted_by == g.user.username, error=error,
        approve_form=EmptyForm(formdata=None),
        reject_form=reject_form or RejectForm(formdata=None))
    return page, status


@bp.route("/vouchers/<int:voucher_id>/approve", methods=["POST"])
@requires(*PREPARERS)
def approve_voucher(voucher_id: int) -> Page | Response:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("staff.voucher", voucher_id=voucher_id))
    try:
        approved = vouchers.approve(uow(), current_actor(), voucher_id)
    except VoucherNotFound:
        abort(404)
    except SelfApproval:
        return _voucher_page(voucher_id, status=status_for(SelfApproval("")), error=_(
            "You cannot approve your own voucher: another fund manager or administrator "
            "must approve it."))
    except LedgerError as error:
        return _voucher_page(voucher_id, error=explain(error), status=status_for(error))
    flash(_("Voucher #%(id)s is approved and posted as journal entry #%(seq)s.",
            id=approved.id, seq=approved.entry_seq), "success")
    return redirect(url_for("staff.voucher", voucher_id=approved.id))


@bp.route("/vouchers/<int:voucher_id>/reject", methods=["POST"])
@requires(*PREPARERS)
def reject_voucher(voucher_id: int) -> Page | Response:
    form = RejectForm()
    if not form.validate_on_submit():
        return _voucher_page(voucher_id, reject_form=form, status=422)
    try:
        rejected = vouchers.reject(uow(), current_actor(), voucher_id, form.reason.data or "")
    except VoucherNotFound:
        abort(404)
    except SelfApproval:
        form.reason.errors = [*form.reason.errors, _(
            "You cannot reject your own voucher: another fund manager or administrator must "
            "decide it.")]
        return _voucher_page(voucher_id, reject_form=form, status=status_for(SelfApproval("")))
    except LedgerError as error:
        return _voucher_page(voucher_id, reject_form=form, error=explain(error),
                             status=status_for(error))
    flash(_("Voucher #%(id)s is rejected.", id=rejected.id), "success")
    return redirect(url_for("staff.voucher", voucher_id=rejected.id))
