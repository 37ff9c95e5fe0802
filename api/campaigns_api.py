"""JSON API of repair campaigns (众筹): set-up, the household roll, payments, reconciliation,
shortfall, completion, cancellation and receipts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any, ClassVar, TypeVar

import flask
from flask import Response, url_for
from werkzeug.datastructures import FileStorage

from ledger import campaign_completion as completion
from ledger import campaign_payments as payments
from ledger import campaigns
from ledger.core.campaigns import PaymentMethod
from ledger.core.money import format_amount
from reports.campaign_receipts import campaign_receipt_pdf

from .auth import STAFF, current_actor, requires
from .campaign_schemas import (
    BuildingOut,
    CampaignCancelIn,
    CampaignCloseIn,
    CampaignIn,
    CampaignOut,
    CampaignPaymentIn,
    ContractorIn,
    HouseholdOut,
    HouseholdQuery,
    ImportOut,
    MarkIn,
    PaymentImportOut,
    PaymentOut,
    PaymentsUploadIn,
    PreviewQuery,
    ReceiptOut,
    RollImportOut,
    RollUploadIn,
    ShortfallIn,
    SubsidyIn,
    present_campaign,
    present_household,
    present_import,
    present_payment,
    present_receipt,
    present_roll,
)
from .grants_api import BINARY, MAX_UPLOAD_BODY
from .idempotency import HEADER_DOC, idempotent
from .mutual_aid import MANAGERS
from .problems import PROBLEM_JSON
from .routing import Blueprint, StrictQueryParser, named_parts
from .schemas import ProblemOut
from .state import uow

F = TypeVar("F", bound=Callable[..., Any])


class _MultipartParser(StrictQueryParser):
    """The `files` location is the whole multipart/form-data body: its file parts and its
    form fields (a file's `preview` and `method` travel with it), unknown fields refused."""

    DEFAULT_UNKNOWN_BY_LOCATION: ClassVar[dict[str, str | None]] = {
        **StrictQueryParser.DEFAULT_UNKNOWN_BY_LOCATION, "files": None}

    def load_files(self, req: flask.Request, schema: Any) -> Any:
        return self._makeproxy(named_parts(req.files, req.form), schema)


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = _MultipartParser()


blp = _Blueprint("campaigns", __name__, url_prefix="/api",
                 description="Repair campaigns: roll, shares, payments, shortfall, completion")
#: Endpoints that take a multipart/form-data body (a roll or payment file).
UPLOADS: frozenset[str] = frozenset({"campaigns.import_roll", "campaigns.import_payments"})
PDF = "The payment's bilingual receipt (zh-Hans and English)"
PREVIEW_QUERY_DOC = {
    "in": "query", "name": "preview", "required": False,
    "schema": {"type": "boolean", "default": False},
    "description": "true: read and check the file, write nothing (or the form field)."}
PROBLEMS = {
    404: "No such campaign, household or receipt",
    409: "The campaign is not at that stage, or the books refuse the write",
    413: "The body is larger than one 5 MB file",
    422: "Invalid fields or input; for a file with problems (`/problems/bad-file`) the "
         "answer adds `problem_count` and `rows`: [{line, column, message}]. Nothing was "
         "written.",
}


def problems(*statuses: int) -> Callable[[F], F]:
    """Document the problem-details answers a view gives beyond the usual ones."""

    def decorate(view: F) -> F:
        for status in statuses:
            view = blp.alt_response(status, schema=ProblemOut, content_type=PROBLEM_JSON,
                                    description=PROBLEMS[status])(view)
        return view

    return decorate


def with_preview_query(view: F) -> F:
    """Document the `preview` query parameter of an upload next to the Idempotency-Key header
    (place it right above `idempotent`, whose documented header list would otherwise replace
    the query parameters that `arguments` documents)."""
    return blp.doc(parameters=[HEADER_DOC, PREVIEW_QUERY_DOC])(view)


def _location(endpoint: str, **values: Any) -> dict[str, str]:
    return {"Location": url_for(f"campaigns.{endpoint}", **values)}


def _content(upload: FileStorage) -> bytes:
    return upload.stream.read(MAX_UPLOAD_BODY + 1)


def _filename(upload: FileStorage, default: str) -> str:
    """The uploaded file's own name (without any folders), as recorded with the import."""
    name = PurePosixPath((upload.filename or "").replace("\\", "/")).name.strip()
    return name[-200:] or default


# --- campaigns --------------------------------------------------------------------------------
@blp.route("/campaigns", methods=["GET"])
@requires(*STAFF)
@blp.response(200, CampaignOut(many=True))
def list_campaigns() -> list[dict[str, Any]]:
    """Repair campaigns, oldest first, each with its figures."""
    return [present_campaign(c) for c in campaigns.campaigns(uow())]


@blp.route("/campaigns", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(CampaignIn)
@blp.response(201, CampaignOut)
def create_campaign(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Set up a repair campaign in draft.

    The quoted cost is covered by a subsidy, the foundation's match and the households' gap
    (cost - subsidy - match, more than zero), split into exact shares once the roll is
    imported."""
    found = campaigns.create_campaign(uow(), current_actor(), **data)
    return present_campaign(found), 201, _location("get_campaign", campaign_id=found.id)


@blp.route("/campaigns/<int:campaign_id>")
@requires(*STAFF)
@blp.response(200, CampaignOut)
@problems(404)
def get_campaign(campaign_id: int) -> dict[str, Any]:
    """One campaign: its set-up, status, roll counts, figures and the share rule."""
    return present_campaign(campaigns.campaign(uow(), campaign_id))


@blp.route("/campaigns/<int:campaign_id>/roll", methods=["POST"])
@requires(*MANAGERS)
@with_preview_query
@idempotent
@blp.arguments(PreviewQuery, location="query", as_kwargs=True)
@blp.arguments(RollUploadIn, location="files")
@blp.response(201, RollImportOut)
@blp.alt_response(200, schema=RollImportOut, description="A preview: nothing was written")
@problems(404, 409, 413, 422)
def import_roll(form: dict[str, Any], campaign_id: int, preview: bool = False
                ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Import the household roll of a draft campaign (replacing any earlier one).

    Send it as multipart/form-data, field `file`: CSV (UTF-8 or GB18030) or .xlsx with the
    columns building (楼栋), unit (单元), room (室), contact (联系人) and phone (电话), at most
    5,000 households. Each household's share is computed exactly (the share rule).

    With `preview=true` (query or form field) nothing is written: the answer lists the
    households, their shares and every problem. Without it a file with problems is refused
    (422, its `rows`) and nothing is written."""
    upload: FileStorage = form["file"]
    found = campaigns.import_roll(uow(), current_actor(), campaign_id, _content(upload),
                                  filename=_filename(upload, "roll.csv"),
                                  commit=not (preview or form["preview"]))
    if not found.written:
        return present_roll(found), 200, {}
    return present_roll(found), 201, _location("list_households", campaign_id=campaign_id)


@blp.route("/campaigns/<int:campaign_id>/open", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.response(200, CampaignOut)
@problems(404, 409)
def open_campaign(campaign_id: int) -> dict[str, Any]:
    """Start asking the households to pay.

    The roll must be imported, and the foundation's available funds must cover its match
    (held out of them while the campaign runs)."""
    return present_campaign(campaigns.open_campaign(uow(), current_actor(), campaign_id))


# --- households -------------------------------------------------------------------------------
@blp.route("/campaigns/<int:campaign_id>/households")
@requires(*STAFF)
@blp.arguments(HouseholdQuery, location="query", as_kwargs=True)
@blp.response(200, HouseholdOut(many=True))
@problems(404)
def list_households(campaign_id: int, unpaid: bool = False, building: str | None = None
                    ) -> list[dict[str, Any]]:
    """The roll in order, with each household's share, what it paid and still owes."""
    return [present_household(h) for h in campaigns.households(
        uow(), campaign_id, unpaid=unpaid, building=building)]


@blp.route("/campaigns/<int:campaign_id>/door-to-door")
@requires(*STAFF)
@blp.response(200, BuildingOut(many=True))
@problems(404)
def door_to_door(campaign_id: int) -> list[dict[str, Any]]:
    """The volunteers' list: households that still owe, by building, in roll order."""
    found = []
    for building, households in campaigns.door_to_door(uow(), campaign_id).items():
        owed = sum((h.owed for h in households[1:]), households[0].owed)
        found.append({"building": building, "owed": format_amount(owed),
                      "households": [present_household(h) for h in households]})
    return found


@blp.route("/campaigns/<int:campaign_id>/households/<int:household_id>/mark",
           methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(MarkIn)
@blp.response(200, HouseholdOut)
@problems(404)
def mark_household(data: dict[str, Any], campaign_id: int, household_id: int
                   ) -> dict[str, Any]:
    """Mark a household vacant, unreachable or exempt (with a reason), or asked again.

    A household not asked to pay leaves its share as shortfall, to be assigned to a source
    before the campaign closes. A household that has paid stays asked."""
    return present_household(campaigns.mark_household(uow(), current_actor(), campaign_id,
                                                      household_id, **data))


@blp.route("/campaigns/<int:campaign_id>/shortfall", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(ShortfallIn)
@blp.response(200, CampaignOut)
@problems(404, 409)
def assign_shortfall(data: dict[str, Any], campaign_id: int) -> dict[str, Any]:
    """Assign the shortfall (all that is unassigned, by default) to a source.

    The subsidy (to be received), the foundation (from its available funds) or the
    households asked to pay (added to their shares by the share rule)."""
    return present_campaign(campaigns.assign_shortfall(uow(), current_actor(), campaign_id,
                                                       **data))


@blp.route("/campaigns/<int:campaign_id>/subsidy", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(SubsidyIn)
@blp.response(200, CampaignOut)
@problems(404, 409)
def receive_subsidy(data: dict[str, Any], campaign_id: int) -> dict[str, Any]:
    """Subsidy money arrives, restricted to the campaign (posted)."""
    return present_campaign(campaigns.receive_subsidy(uow(), current_actor(), campaign_id,
                                                      **data))


# --- payments ---------------------------------------------------------------------------------
@blp.route("/campaigns/<int:campaign_id>/payments", methods=["GET"])
@requires(*STAFF)
@blp.response(200, PaymentOut(many=True))
@problems(404)
def list_payments(campaign_id: int) -> list[dict[str, Any]]:
    """The households' payments in order, with their receipt codes and refunds."""
    return [present_payment(p) for p in payments.payments(uow(), campaign_id)]


@blp.route("/campaigns/<int:campaign_id>/payments", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(CampaignPaymentIn)
@blp.response(201, PaymentOut)
@problems(404, 409)
def record_payment(data: dict[str, Any], campaign_id: int
                   ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Record a payment taken by hand (cash at the door, or a transfer with its reference).

    Posted in the foundation's book, restricted to the campaign; the answer carries the
    receipt code the household can look its receipt up with."""
    found = payments.record_payment(uow(), current_actor(), campaign_id, **data)
    return present_payment(found), 201, _location("get_receipt", code=found.receipt_code)


@blp.route("/campaigns/<int:campaign_id>/payments/import", methods=["POST"])
@requires(*MANAGERS)
@with_preview_query
@idempotent
@blp.arguments(PreviewQuery, location="query", as_kwargs=True)
@blp.arguments(PaymentsUploadIn, location="files")
@blp.response(201, PaymentImportOut)
@blp.alt_response(200, schema=PaymentImportOut,
                  description="A preview, or a file with nothing new: nothing was written")
@problems(404, 409, 413, 422)
def import_payments(form: dict[str, Any], campaign_id: int, preview: bool = False
                    ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Import a payment export (WeChat Pay, Alipay, bank) and reconcile it against the roll.

    Send it as multipart/form-data: field `file` (CSV or .xlsx with the columns reference
    (交易单号), building, unit, room, amount (金额) and paid_on (日期), at most 20,000 lines)
    and field `method`. Matched, partial and overpaid lines are recorded in one transaction,
    each with a receipt code; unmatched and duplicate lines are reported, never recorded, so
    importing the same file again records nothing. With `preview=true` nothing is written."""
    upload: FileStorage = form["file"]
    found = payments.import_payments(uow(), current_actor(), campaign_id, _content(upload),
                                     method=PaymentMethod(form["method"]),
                                     filename=_filename(upload, "payments.csv"),
                                     commit=not (preview or form["preview"]))
    if not found.written:
        return present_import(found), 200, {}
    return present_import(found), 201, _location("list_imports", campaign_id=campaign_id)


@blp.route("/campaigns/<int:campaign_id>/imports")
@requires(*STAFF)
@blp.response(200, ImportOut(many=True))
@problems(404)
def list_imports(campaign_id: int) -> list[dict[str, Any]]:
    """The roll and payment files imported that wrote something, newest first."""
    return payments.imports(uow(), campaign_id)


# --- completion -------------------------------------------------------------------------------
@blp.route("/campaigns/<int:campaign_id>/contractor", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(ContractorIn)
@blp.response(200, CampaignOut)
@problems(404, 409)
def pay_contractor(data: dict[str, Any], campaign_id: int) -> dict[str, Any]:
    """Pay the contractor of a funded campaign (posted).

    Restricted money first (its restriction released), then the foundation's match; paid in
    full, the campaign is contractor_paid."""
    return present_campaign(completion.pay_contractor(uow(), current_actor(), campaign_id,
                                                      **data))


@blp.route("/campaigns/<int:campaign_id>/close", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(CampaignCloseIn)
@blp.response(200, CampaignOut)
@problems(404, 409)
def close_campaign(data: dict[str, Any], campaign_id: int) -> dict[str, Any]:
    """Close a campaign whose contractor is paid.

    The shortfall must be assigned; leftover restricted money is refunded pro rata to
    everyone who paid it in, or released to the foundation with a disclosure, by the
    campaign's rule."""
    return present_campaign(completion.close_campaign(uow(), current_actor(), campaign_id,
                                                      **data))


@blp.route("/campaigns/<int:campaign_id>/cancel", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(CampaignCancelIn)
@blp.response(200, CampaignOut)
@problems(404, 409)
def cancel_campaign(data: dict[str, Any], campaign_id: int) -> dict[str, Any]:
    """Cancel a campaign before the contractor is paid: every payment and the subsidy go
    back, each exactly what it paid in (posted)."""
    return present_campaign(completion.cancel_campaign(uow(), current_actor(), campaign_id,
                                                       **data))


# --- receipts ---------------------------------------------------------------------------------
@blp.route("/receipts/<code>")
@requires(*STAFF)
@blp.response(200, ReceiptOut)
@problems(404)
def get_receipt(code: str) -> dict[str, Any]:
    """A payment's receipt by its code (case and dashes do not matter).

    The household's address, never its name or phone."""
    return present_receipt(payments.receipt(uow(), code))


@blp.route("/receipts/<code>/pdf")
@requires(*STAFF)
@blp.response(200, description=PDF)
@blp.doc(responses={"200": {"description": PDF, "content": {"application/pdf": BINARY}}})
@problems(404)
def receipt_pdf(code: str) -> Response:
    """A payment's receipt as a PDF."""
    found = payments.receipt(uow(), code)  # 404 (or 422) before the PDF is made
    return Response(campaign_receipt_pdf(uow(), found.code), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="receipt-{found.code}.pdf"',
                             "Cache-Control": "private, no-store"})
