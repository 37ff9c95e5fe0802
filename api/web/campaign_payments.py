"""Households' payments to a campaign: one taken by hand (with its receipt code and PDF), a
payment export (WeChat Pay, Alipay, bank) reconciled against the roll with a preview before
anything is recorded, the payments recorded and the files imported with their reports.
Routes of the campaigns' blueprint (api/web/campaign_common.py)."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, abort, render_template, request, send_file, url_for
from flask_babel import gettext as _

from ledger import books
from ledger import campaign_payments as cp
from ledger.core.campaigns import TAKING_PAYMENTS, HouseholdStatus, Match, PaymentMethod
from ledger.core.errors import InvalidInput, LedgerError, NotFound
from reports.campaign_receipts import campaign_receipt_pdf

from ..auth import STAFF, current_actor, requires
from ..mutual_aid import MANAGERS
from ..problems import status_for
from ..state import uow
from .campaign_common import attach, bp, campaign_or_404, problem_rows, shown_at
from .campaign_roll import expired_text, read_upload, roll_of
from .campaign_uploads import drop, keep, take
from .campaigns_forms import ConfirmImportForm, PaymentForm, PaymentUploadForm
from .common import add_error, choice_ok, date_for_books, done, money, read_amount
from .pages import Page

#: The kinds of line an import records.
TAKEN = (Match.MATCHED, Match.PARTIAL, Match.OVERPAID)


# --- a payment by hand ------------------------------------------------------------------------
@bp.route("/<int:campaign_id>/payments/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_payment(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = PaymentForm()
    asked = [h for h in roll_of(campaign_id) if h.status is HouseholdStatus.ASKED]
    form.household_id.choices = [("", _("— choose a household —"))] + [
        (str(h.id), _("%(household)s %(contact)s, owes %(amount)s", household=str(h.key),
                      contact=h.contact, amount=money(h.owed))) for h in asked]
    taking = found.status in TAKING_PAYMENTS

    def page(status: int = 200) -> Page:
        return render_template("staff/campaigns/payment_new.html", c=found, form=form,
                               taking=taking), status

    if request.method == "GET":
        form.paid_on.data = books.today()
        form.method.data = PaymentMethod.CASH.value
        chosen = next((h for h in asked if str(h.id) == request.args.get("household_id")), None)
        if chosen is not None:
            form.household_id.data = str(chosen.id)
            if chosen.owed.amount > 0:
                form.amount.data = f"{chosen.owed.amount:.2f}"
        return page()
    valid = form.validate_on_submit()
    valid = choice_ok(form.method, _("Choose one of the listed ways of paying.")) and valid
    household = next((h for h in asked if str(h.id) == form.household_id.data), None)
    if household is None:
        add_error(form.household_id, _("Choose a household asked to pay."))
        valid = False
    typed = (form.amount.data or "").strip()
    amount = read_amount(form.amount) if typed and not form.amount.errors else None
    if not typed and household is not None:
        if household.owed.amount > 0:
            amount = household.owed
        else:
            add_error(form.amount, _("This household owes nothing; enter the amount it paid."))
    valid = date_for_books(form.paid_on) and valid
    if not (valid and amount is not None and household is not None):
        return page(422)
    try:
        made = cp.record_payment(uow(), current_actor(), campaign_id, household_id=household.id,
                                 amount=amount, paid_on=form.paid_on.data,
                                 method=PaymentMethod(form.method.data),
                                 reference=form.reference.data or "")
    except LedgerError as error:
        text = None
        if error.field == "campaign_id":
            text = _("This campaign takes payments once it is open, until it closes.")
        elif error.field == "household_id" and isinstance(error, InvalidInput):
            text = _("This household is not asked to pay: mark it asked again first.")
        attach(form, error, text)
        return page(status_for(error))
    return done(_("%(amount)s from household %(household)s is recorded and posted. Receipt "
                  "code: %(code)s.", amount=money(made.amount), household=str(made.household),
                  code=made.receipt_code),
                "campaign_pages.receipt", campaign_id=campaign_id, code=made.receipt_code)


def _receipt_or_404(campaign_id: int, code: str) -> cp.Receipt:
    try:
        found = cp.receipt(uow(), code)
    except (NotFound, InvalidInput):
        abort(404)
    if found.campaign_id != campaign_id:
        abort(404)
    return found


@bp.get("/<int:campaign_id>/receipts/<code>")
@requires(*STAFF)
def receipt(campaign_id: int, code: str) -> Page:
    found = campaign_or_404(campaign_id)
    return render_template("staff/campaigns/receipt.html", c=found,
                           r=_receipt_or_404(campaign_id, code))


@bp.get("/<int:campaign_id>/receipts/<code>/pdf")
@requires(*STAFF)
def receipt_pdf(campaign_id: int, code: str) -> Response:
    found = _receipt_or_404(campaign_id, code)
    content = campaign_receipt_pdf(uow(), found.code)
    response = send_file(io.BytesIO(content), mimetype="application/pdf",
                         download_name=f"receipt-{found.code}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the payments and the files imported ------------------------------------------------------
@bp.get("/<int:campaign_id>/payments")
@requires(*STAFF)
def payment_list(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    return render_template("staff/campaigns/payments.html", c=found,
                           rows=cp.payments(uow(), campaign_id)[::-1],
                           imports=cp.imports(uow(), campaign_id),
                           taking=found.status in TAKING_PAYMENTS)


@bp.get("/<int:campaign_id>/imports/<int:import_id>")
@requires(*STAFF)
def import_report(campaign_id: int, import_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    made = next((i for i in cp.imports(uow(), campaign_id) if i["id"] == import_id), None)
    if made is None:
        abort(404)
    return render_template("staff/campaigns/import_report.html", c=found, i=made,
                           report=made["report"])


# --- importing payments -----------------------------------------------------------------------
def _upload_page(found: Any, form: PaymentUploadForm, status: int = 200,
                 error: str | None = None) -> Page:
    context = shown_at(status, "campaign_pages.import_payments", campaign_id=found.id)
    return render_template("staff/campaigns/payments_import.html", c=found, form=form,
                           error=error, taking=found.status in TAKING_PAYMENTS,
                           **context), status


@bp.route("/<int:campaign_id>/payments/import", methods=["GET", "POST"])
@requires(*MANAGERS)
def import_payments(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = PaymentUploadForm()
    if request.method == "GET":
        form.method.data = PaymentMethod.WECHAT.value
        return _upload_page(found, form)
    valid = form.validate_on_submit()
    valid = choice_ok(form.method, _("Choose one of the listed ways of paying.")) and valid
    upload = read_upload(form) if valid else None
    if upload is None:
        return _upload_page(found, form, 422)
    content, name = upload
    method = PaymentMethod(form.method.data)
    try:
        preview = cp.import_payments(uow(), current_actor(), campaign_id, content,
                                     method=method, filename=name, commit=False)
    except LedgerError as error:
        attach(form, error)
        return _upload_page(found, form, status_for(error))
    report = preview.report()
    counts: dict[str, int] = report["counts"]  # type: ignore[assignment]
    taken = sum(counts[m.value] for m in TAKEN)
    taking = found.status in TAKING_PAYMENTS
    token = (keep("payments", campaign_id, name, content, method.value)
             if not preview.problems and taken and taking else None)
    page = render_template(
        "staff/campaigns/payments_preview.html", c=found, filename=name, method=method,
        report=report, taken=taken, taking=taking, problems=problem_rows(preview.problems),
        confirm_form=ConfirmImportForm(formdata=None, data={"token": token}) if token else None,
        upload_form=_fresh_upload_form(method))
    return page, (422 if preview.problems else 200)


def _fresh_upload_form(method: PaymentMethod | None = None) -> PaymentUploadForm:
    return PaymentUploadForm(formdata=None, data={"method": (method or PaymentMethod.WECHAT)
                                                  .value})


@bp.post("/<int:campaign_id>/payments/import/confirm")
@requires(*MANAGERS)
def confirm_payments(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = ConfirmImportForm()
    held = take(form.token.data, "payments", campaign_id) if form.validate_on_submit() else None
    if held is None or held.method is None:
        return _upload_page(found, _fresh_upload_form(), 422, expired_text())
    method = PaymentMethod(held.method)
    try:
        made = cp.import_payments(uow(), current_actor(), campaign_id, held.content,
                                  method=method, filename=held.filename, commit=True)
    except LedgerError as error:
        drop(held.token)
        upload_form = _fresh_upload_form(method)
        text = None
        if error.field == "campaign_id":
            text = _("This campaign takes payments once it is open, until it closes.")
        attach(upload_form, error, text)
        return _upload_page(found, upload_form, status_for(error))
    drop(held.token)
    if made.written and made.import_id is not None:
        return done(_("%(count)s payments from “%(name)s” are recorded and posted.",
                      count=made.recorded, name=held.filename),
                    "campaign_pages.import_report", campaign_id=campaign_id,
                    import_id=made.import_id)
    page = render_template(
        "staff/campaigns/payments_preview.html", c=found, filename=held.filename,
        method=method, report=made.report(), taken=0, taking=True, problems=[],
        confirm_form=None, upload_form=_fresh_upload_form(method), nothing_recorded=True,
        here=lambda: url_for("campaign_pages.import_payments", campaign_id=campaign_id))
    return page, 200
