"""JSON API of accounting periods (会计期间): close, reopen, the auditor's verification and
sign-off, and the statements (JSON, CSV, PDF).

A period is a calendar month ("2026-10") or year ("2026") of one entity. Fund managers and
admins start closing it (from then on only adjusting entries may be dated inside it) and close
it (nothing more may); an admin may reopen a closed period, with a reason, which voids its
sign-off. Auditors verify a closed period and sign it off with their opinion. Every staff role
reads the periods and their statements; the statements of a period not signed off are an
unaudited draft."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

from flask import Response, current_app, request, url_for

from ledger import periods
from ledger.core.chart import ENTITIES
from ledger.core.errors import EntityNotFound
from ledger.core.periods import Opinion, parse_period
from ledger.core.staff import Role
from ledger.statements import statement_pack
from reports.statement_data import pack_csv, pack_json
from reports.statements import statement_pdf

from .auth import STAFF, current_actor, requires
from .grants_api import BINARY
from .idempotency import idempotent
from .mutual_aid import MANAGERS
from .period_schemas import (
    PdfQuery,
    PeriodOut,
    ReopenIn,
    SignOffIn,
    VerificationOut,
    present_period,
    present_verification,
)
from .problems import PROBLEM_JSON
from .routing import Blueprint
from .schemas import ProblemOut
from .state import uow

blp = Blueprint("periods", __name__, url_prefix="/api",
                description="Accounting periods: close, reopen, audit sign-off, statements")
#: Reopening a closed period: admins only, with a reason.
ADMINS = (Role.ADMIN,)
#: Verifying and signing off: auditors only (an admin may not sign off).
AUDITORS = (Role.AUDITOR,)
PERIOD = "/entities/<entity>/periods/<label>"
PDF = ("The statements (financial position, activities, cash flows, notes, trial balance and, "
       "optionally, the general-ledger appendix) as a PDF. A signed-off period's PDF is the "
       "one stored at the first request, byte for byte; any other is an unaudited draft.")
PROBLEMS = {
    404: "No such entity, or the period was never closed",
    409: "The period is not at that stage, or the books do not verify",
    422: "Invalid fields, or a label that is not a year (2026) or a month (2026-10)",
}


def problems(*statuses: int) -> Any:
    """Document the problem-details answers a view gives beyond the usual ones."""

    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=ProblemOut, content_type=PROBLEM_JSON,
                                    description=PROBLEMS[status])(view)
        return view

    return decorate


def entity_of(code: str) -> str:
    """An entity code from the path: 404 when there is no such entity."""
    if code not in ENTITIES:
        raise EntityNotFound(f"there is no entity {code!r}; known: {', '.join(ENTITIES)}")
    return code


def label_of(label: str) -> str:
    """A period label from the path, normalised ("2026-10"): 422 when it is not one."""
    return parse_period(label).label


def public_url() -> str:
    """The transparency site's base address, printed on the statements with a QR code: the
    app's HUZHU_PUBLIC_URL, else the environment's, else the address this request came to.
    (A signed period's PDF is stored at its first request: set it in production.)"""
    found = (current_app.config.get("HUZHU_PUBLIC_URL") or os.environ.get("HUZHU_PUBLIC_URL")
             or request.host_url)
    return str(found).rstrip("/")


def _located(state: periods.PeriodState) -> tuple[dict[str, Any], int, dict[str, str]]:
    return present_period(state), 200, {"Location": url_for(
        "periods.get_period", entity=state.entity, label=state.period.label)}


def statement_filename(entity: str, label: str, lang: str, *, signed: bool,
                       extension: str = "pdf") -> str:
    draft = "" if signed else "-draft"
    suffix = f"-{lang}" if lang else ""
    return f"statements-{entity}-{label}{suffix}{draft}.{extension}"


def pdf_response(entity: str, label: str, lang: str, appendix: bool) -> Response:
    """The statements PDF as a response (shared by the API and the staff pages): a signed
    period's stored bytes with their SHA-256 as ETag; a draft is never cached."""
    entity, label = entity_of(entity), label_of(label)
    signed_before = periods.period_state(uow(), entity, label).audited
    content = statement_pdf(uow(), entity, label, lang, appendix=appendix,
                            public_url=public_url())
    # The stored file only if the period was signed off before and after (not reopened or
    # signed while the draft was being rendered).
    signed = signed_before and periods.period_state(uow(), entity, label).audited
    digest = hashlib.sha256(content)
    response = Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": 'inline; filename="'
                               f'{statement_filename(entity, label, lang, signed=signed)}"',
        "X-Content-SHA256": digest.hexdigest(),
        "Digest": "sha-256=" + base64.b64encode(digest.digest()).decode(),
        "X-Statement-Status": "signed" if signed else "draft",
    })
    if signed:
        response.set_etag(digest.hexdigest())
        response.headers["Cache-Control"] = "private, no-cache"
        return response.make_conditional(request)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def csv_response(entity: str, label: str) -> Response:
    """The statements' figures as CSV (shared by the API and the staff pages)."""
    entity, label = entity_of(entity), label_of(label)
    pack = statement_pack(uow(), entity, label)
    name = statement_filename(entity, label, "", signed=pack.state.audited, extension="csv")
    return Response(pack_csv(pack), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})


def json_response(entity: str, label: str) -> Response:
    """The statements' figures as JSON, as a download (the staff pages' link)."""
    entity, label = entity_of(entity), label_of(label)
    pack = statement_pack(uow(), entity, label)
    name = statement_filename(entity, label, "", signed=pack.state.audited, extension="json")
    response = current_app.json.response(pack_json(pack))
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- periods ----------------------------------------------------------------------------------
@blp.route("/entities/<entity>/periods")
@requires(*STAFF)
@blp.response(200, PeriodOut(many=True))
@problems(404)
def list_periods(entity: str) -> list[dict[str, Any]]:
    """The entity's periods that were ever closing or closed, latest first, each with its
    status, latest close (chain head) and the sign-off that holds. A period not listed is
    open."""
    return [present_period(s) for s in periods.periods(uow(), entity_of(entity))]


@blp.route(PERIOD)
@requires(*STAFF)
@blp.response(200, PeriodOut)
@problems(404, 422)
def get_period(entity: str, label: str) -> dict[str, Any]:
    """A period as it stands: open, closing or closed, its close and its sign-off."""
    return present_period(periods.period_state(uow(), entity_of(entity), label))


@blp.route(f"{PERIOD}/closing", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.response(200, PeriodOut)
@problems(404, 409, 422)
def start_closing(entity: str, label: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Start closing an open period: from now on only adjusting entries (vouchers, admins'
    entries, reversals) may be dated inside it, never those of business records."""
    return _located(periods.start_closing(uow(), current_actor(), entity_of(entity), label))


@blp.route(f"{PERIOD}/close", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.response(200, PeriodOut)
@problems(404, 409, 422)
def close_period(entity: str, label: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Close a closing period: the chain head and the balances are recorded, and nothing more
    may be dated inside it (the database refuses it)."""
    return _located(periods.close_period(uow(), current_actor(), entity_of(entity), label))


@blp.route(f"{PERIOD}/reopen", methods=["POST"])
@requires(*ADMINS)
@idempotent
@blp.arguments(ReopenIn)
@blp.response(200, PeriodOut)
@problems(404, 409, 422)
def reopen_period(data: dict[str, Any], entity: str, label: str
                  ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Reopen a closed period, with a reason (admins). Its sign-off no longer holds: its
    statements are a draft again until it is closed and signed off anew. A period still
    closing goes back to open the same way."""
    return _located(periods.reopen_period(uow(), current_actor(), entity_of(entity), label,
                                          reason=data["reason"]))


# --- audit ------------------------------------------------------------------------------------
@blp.route(f"{PERIOD}/verification")
@requires(*AUDITORS)
@blp.response(200, VerificationOut)
@problems(404, 409, 422)
def verify_period(entity: str, label: str) -> dict[str, Any]:
    """Run the auditor's verification of a closed period, signing nothing: the journal's
    chain, the recorded chain head, the balances recorded at the close, and each statement's
    checks."""
    return present_verification(periods.verify_period(uow(), entity_of(entity), label))


@blp.route(f"{PERIOD}/sign-off", methods=["POST"])
@requires(*AUDITORS)
@idempotent
@blp.arguments(SignOffIn)
@blp.response(200, PeriodOut)
@problems(404, 409, 422)
def sign_off(data: dict[str, Any], entity: str, label: str
             ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Sign off the latest close of a closed period with an opinion and notes (auditors).

    The verification runs first: if the books do not verify, nothing is signed (409,
    `/problems/verification-failed`)."""
    return _located(periods.sign_off(uow(), current_actor(), entity_of(entity), label,
                                     opinion=Opinion(data["opinion"]), notes=data["notes"]))


# --- statements -------------------------------------------------------------------------------
@blp.route(f"{PERIOD}/statements")
@requires(*STAFF)
@blp.response(200, description="Every statement line, note and trial-balance line of the "
                               "period, amounts as decimal strings, with the previous "
                               "period's figures.")
@problems(404, 422)
def statements(entity: str, label: str) -> dict[str, Any]:
    """The statement pack's figures as JSON: exactly what the PDF shows."""
    return pack_json(statement_pack(uow(), entity_of(entity), label_of(label)))


@blp.route(f"{PERIOD}/statements.csv")
@requires(*STAFF)
@blp.response(200, description="One row per figure", content_type="text/csv")
@blp.doc(responses={"200": {"description": "One row per figure: statement, line, column, "
                                           "amount and the previous period's",
                            "content": {"text/csv": {"schema": {"type": "string"}}}}})
@problems(404, 422)
def statements_csv(entity: str, label: str) -> Response:
    """The statement pack's figures as CSV (UTF-8)."""
    return csv_response(entity, label)


@blp.route(f"{PERIOD}/statements.pdf")
@requires(*STAFF)
@blp.arguments(PdfQuery, location="query", as_kwargs=True)
@blp.response(200, description=PDF)
@blp.doc(responses={"200": {"description": PDF, "content": {"application/pdf": BINARY},
                            "headers": {
                                "ETag": {"description": "A signed period's PDF: its SHA-256.",
                                         "schema": {"type": "string"}},
                                "X-Content-SHA256": {"description": "SHA-256 of the bytes "
                                                                    "(hex).",
                                                     "schema": {"type": "string"}},
                                "Digest": {"description": "sha-256=<base64> of the bytes.",
                                           "schema": {"type": "string"}},
                                "X-Statement-Status": {"description": "signed or draft",
                                                       "schema": {"type": "string"}}}},
                     "304": {"description": "A signed period's PDF, unchanged since the ETag "
                                            "sent in If-None-Match"}})
@problems(404, 422)
def statements_pdf(entity: str, label: str, lang: str = "zh", appendix: bool = True
                   ) -> Response:
    """The statements as a PDF in Chinese or English.

    A signed-off period's PDF is rendered once, stored with its SHA-256 and served byte for
    byte ever after (`ETag` and `X-Content-SHA256` give that hash; send `If-None-Match` to
    revalidate). Any other period's is rendered now and marked "unaudited draft" on every
    page."""
    return pdf_response(entity, label, lang, appendix)
