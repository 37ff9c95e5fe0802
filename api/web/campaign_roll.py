"""A campaign's household roll: importing it with a preview (nothing is written until the
person confirms), the roll with each household's share, what it paid and owes, marking a
household vacant, unreachable or exempt (or asked again), and the volunteers' door-to-door
list of the households that still owe, by building, to print. Routes of the campaigns'
blueprint (api/web/campaign_common.py)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from moneyed import Money
from werkzeug.datastructures import FileStorage

from ledger import books
from ledger import campaigns as cs
from ledger.core.campaigns import TAKING_PAYMENTS, CampaignStatus, HouseholdStatus
from ledger.core.errors import InvalidInput, LedgerError
from ledger.core.money import DEFAULT_CURRENCY

from ..auth import STAFF, current_actor, requires
from ..mutual_aid import MANAGERS
from ..problems import status_for
from ..state import uow
from .campaign_common import (
    attach,
    bp,
    campaign_or_404,
    problem_rows,
    refusal,
    shown_at,
    split_parts,
    split_text,
)
from .campaign_uploads import MAX_FILE_BYTES, drop, keep, take
from .campaigns_forms import (
    HOUSEHOLD_STATUS_LABELS,
    BuildingFilterForm,
    ConfirmImportForm,
    MarkForm,
    PaymentUploadForm,
    RollUploadForm,
)
from .common import add_error, choice_ok, done, money
from .pages import Page


def roll_of(campaign_id: int, building: str | None = None) -> list[cs.Household]:
    return cs.households(uow(), campaign_id, building=building)


def total(amounts: list[Money]) -> Money:
    return sum(amounts, Money(0, DEFAULT_CURRENCY))


# --- files uploaded ---------------------------------------------------------------------------
def read_upload(form: RollUploadForm | PaymentUploadForm) -> tuple[bytes, str] | None:
    """The content and name of the form's uploaded file, or None with the reason next to the
    file field."""
    upload = form.file.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        add_error(form.file, _("Choose a file to upload."))
        return None
    content = upload.stream.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        add_error(form.file, _("This file is larger than 5 MB; split it."))
        return None
    if not content:
        add_error(form.file, _("The file is empty."))
        return None
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload.csv"
    return content, name[:200]


def expired_text() -> str:
    return _("The preview is no longer held (it was confirmed already, or an hour has passed): "
             "upload the file again.")


# --- importing the roll -----------------------------------------------------------------------
def _upload_page(found: cs.Campaign, form: RollUploadForm, status: int = 200,
                 error: str | None = None) -> Page:
    context = shown_at(status, "campaign_pages.import_roll", campaign_id=found.id)
    return render_template("staff/campaigns/roll_import.html", c=found, form=form,
                           error=error, **context), status


@bp.route("/<int:campaign_id>/roll/import", methods=["GET", "POST"])
@requires(*MANAGERS)
def import_roll(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = RollUploadForm()
    if request.method == "GET":
        return _upload_page(found, form)
    if not form.validate_on_submit():
        return _upload_page(found, form, 422)
    upload = read_upload(form)
    if upload is None:
        return _upload_page(found, form, 422)
    content, name = upload
    try:
        preview = cs.import_roll(uow(), current_actor(), campaign_id, content, filename=name,
                                 commit=False)
    except LedgerError as error:
        attach(form, error)
        return _upload_page(found, form, status_for(error))
    clean = not preview.problems
    draft = found.status is CampaignStatus.DRAFT
    token = keep("roll", campaign_id, name, content) if clean and draft else None
    summary = preview.summary
    parts = ([(summary.higher_count, summary.higher), (summary.lower_count, summary.lower)]
             if summary else [])
    page = render_template(
        "staff/campaigns/roll_preview.html", c=found, filename=name,
        rows=list(zip(preview.households, preview.shares, strict=False)),
        problems=problem_rows(preview.problems), split=split_text([p for p in parts if p[0]]),
        gap=total(list(preview.shares)), draft=draft,
        confirm_form=ConfirmImportForm(formdata=None, data={"token": token}) if token else None,
        upload_form=RollUploadForm(formdata=None))
    return page, (200 if clean else 422)


@bp.post("/<int:campaign_id>/roll/confirm")
@requires(*MANAGERS)
def confirm_roll(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = ConfirmImportForm()
    upload_form = RollUploadForm(formdata=None)
    held = take(form.token.data, "roll", campaign_id) if form.validate_on_submit() else None
    if held is None:
        return _upload_page(found, upload_form, 422, expired_text())
    try:
        made = cs.import_roll(uow(), current_actor(), campaign_id, held.content,
                              filename=held.filename, commit=True)
    except LedgerError as error:
        drop(held.token)
        text = None
        if error.field in ("campaign_id", "status"):
            text = _("The roll is imported while the campaign is a draft; this one is "
                     "past that stage.")
        return _upload_page(found, upload_form, status_for(error), text or refusal(
            upload_form, error))
    drop(held.token)
    parts = ([(made.summary.higher_count, made.summary.higher),
              (made.summary.lower_count, made.summary.lower)] if made.summary else [])
    return done(_("The roll of %(count)s households is imported from “%(name)s”: %(split)s.",
                  count=len(made.households), name=held.filename,
                  split=split_text([p for p in parts if p[0]])),
                "campaign_pages.roll", campaign_id=campaign_id)


# --- the roll ---------------------------------------------------------------------------------
def _buildings(campaign_id: int) -> list[str]:
    seen: dict[str, None] = {}
    for household in roll_of(campaign_id):
        seen.setdefault(household.key.building, None)
    return list(seen)


def _building_filter(campaign_id: int) -> tuple[BuildingFilterForm, str | None]:
    form = BuildingFilterForm(formdata=request.args)
    buildings = _buildings(campaign_id)
    form.building.choices = [("", _("All buildings")), *((b, b) for b in buildings)]
    chosen = form.building.data if form.building.data in buildings else None
    if not chosen:
        form.building.data = ""
    return form, chosen


def _mark_choices(form: MarkForm, households: list[cs.Household]) -> None:
    form.household_id.choices = [("", _("— choose a household —"))] + [
        (str(h.id), f"{h.key} {h.contact} ({HOUSEHOLD_STATUS_LABELS[h.status]})")
        for h in households]


@bp.get("/<int:campaign_id>/roll")
@requires(*STAFF)
def roll(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = MarkForm(formdata=None, prefix="mark")
    chosen = request.args.get("household_id", "")
    if chosen.isdigit():
        form.household_id.data = chosen
    return roll_page(found, form)


def roll_page(found: cs.Campaign, form: MarkForm, status: int = 200,
              error: str | None = None) -> Page:
    filter_form, building = _building_filter(found.id)
    everyone = roll_of(found.id)
    _mark_choices(form, everyone)
    rows = [h for h in everyone if building is None or h.key.building == building]
    context = shown_at(status, "campaign_pages.roll", campaign_id=found.id)
    page = render_template(
        "staff/campaigns/roll.html", c=found, rows=rows, filter_form=filter_form,
        building=building, form=form, error=error,
        taking=found.status in TAKING_PAYMENTS,
        open_roll=found.status not in (CampaignStatus.CLOSED, CampaignStatus.CANCELLED),
        split=split_text(split_parts(everyone)),
        totals={"share": total([h.share for h in rows]), "paid": total([h.paid for h in rows]),
                "owed": total([h.owed for h in rows])}, **context)
    return page, status


@bp.post("/<int:campaign_id>/households/mark")
@requires(*MANAGERS)
def mark_household(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form = MarkForm(prefix="mark")
    everyone = roll_of(campaign_id)
    _mark_choices(form, everyone)
    valid = form.validate_on_submit()
    if form.status.data:
        valid = choice_ok(form.status, _("Choose one of the listed statuses.")) and valid
    if not form.household_id.data:
        add_error(form.household_id, _("Choose a household."))
        valid = False
    elif not choice_ok(form.household_id, _("Choose one of the listed households.")):
        valid = False
    if not valid:
        return roll_page(found, form, 422)
    status = HouseholdStatus(form.status.data)
    household = next(h for h in everyone if str(h.id) == form.household_id.data)
    try:
        marked = cs.mark_household(uow(), current_actor(), campaign_id, household.id,
                                   status=status, reason=form.reason.data or "")
    except LedgerError as error:
        text = _mark_refusal(error, household)
        return roll_page(campaign_or_404(campaign_id), form, status_for(error),
                         refusal(form, error, text))
    if marked.status is HouseholdStatus.ASKED:
        message = _("Household %(household)s is asked to pay again: its share is %(share)s.",
                    household=str(marked.key), share=money(marked.share))
    else:
        message = _("Household %(household)s is marked “%(status)s”: its share of %(share)s "
                    "becomes shortfall, to be assigned to a source.",
                    household=str(marked.key), status=HOUSEHOLD_STATUS_LABELS[marked.status],
                    share=money(marked.share))
    return done(message, "campaign_pages.roll", campaign_id=campaign_id)


def _mark_refusal(error: LedgerError, household: cs.Household) -> str | None:
    if not isinstance(error, InvalidInput):
        return None
    if error.field == "status" and household.paid.amount > 0:
        return _("Household %(household)s has paid %(paid)s: it stays asked to pay.",
                 household=str(household.key), paid=money(household.paid))
    if error.field == "status":
        return _("Its share was assigned to a source already: it cannot be asked again.")
    if error.field == "reason":
        return _("Say why (up to 300 characters).")
    if error.field == "campaign_id":
        return _("A closed or cancelled campaign takes no change.")
    return None


# --- the door-to-door list --------------------------------------------------------------------
@bp.get("/<int:campaign_id>/door-to-door")
@requires(*STAFF)
def door_to_door(campaign_id: int) -> Page:
    found = campaign_or_404(campaign_id)
    form, building = _building_filter(campaign_id)
    groups: dict[str, list[cs.Household]] = cs.door_to_door(uow(), campaign_id)
    if building is not None:
        groups = {building: groups.get(building, [])}
    sections: list[dict[str, Any]] = [
        {"building": name, "rows": rows, "owed": total([h.owed for h in rows])}
        for name, rows in groups.items()]
    everyone = [h for section in sections for h in section["rows"]]
    return render_template(
        "staff/campaigns/door_to_door.html", c=found, form=form, building=building,
        sheets=sections, count=len(everyone), owed=total([h.owed for h in everyone]),
        today=books.today())
