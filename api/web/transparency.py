"""The public transparency pages (issue 8): no login, in zh-Hans and English, for phones.

- `/transparency/<entity>/periods`: every period of an entity with its status; a signed one
  with the auditor's opinion, the chain head, the Merkle root and its PDFs' SHA-256.
- `/transparency/<entity>/periods/<label>`: one period (the QR code on a signed statement
  points here), with how to check a proof offline.
- `/transparency/<entity>/periods/<label>/statements-<lang>.pdf`: a signed period's stored
  PDF (ETag = its SHA-256), or a draft rendered now without the appendix.
- `/transparency/receipts?code=...`: "verify my payment": the payment, the periods that hold
  it and, for a closed period, its inclusion proof, checked in the browser by
  `static/verify.js` (the proof sits in the page as a JSON island).
- `/transparency/receipts/<code>/proof-<label>.json`: the proof, for the offline command.

The language is `?lang=zh|en`, else the browser's Accept-Language (never the staff cookie,
so `Vary: Accept-Language` tells caches the whole story); links keep it. A receipt code is
private to its household: those answers are `no-store`. Nothing here shows anybody's name or
phone number. Other public pages extend `public/base.html` and render with `render_public`.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ledger import books
from ledger import periods as ps
from ledger.campaign_payments import ReceiptNotFound
from ledger.core.chart import ENTITIES
from ledger.core.errors import InvalidInput, LedgerError
from ledger.core.merkle import Proof
from ledger.core.money import to_minor
from ledger.core.periods import Period, parse_period
from ledger.receipt_checks import ReceiptCheck, check_receipt
from reports.statements import statement_pdf

from ..auth import public
from ..periods_api import public_url, statement_filename
from ..problems import PROBLEM_JSON, status_for
from ..state import uow
from .campaigns_forms import METHOD_LABELS
from .common import account_label, entity_name, local_time, minor_units, money
from .periods_forms import OPINION_LABELS, period_status_labels

bp = Blueprint("transparency", __name__, url_prefix="/transparency")

#: Page language (?lang=) -> the Babel locale of the translations.
LOCALES = {"zh": "zh_Hans", "en": "en"}
ALIASES = {"zh": "zh", "zh-hans": "zh", "zh_hans": "zh", "zh-cn": "zh", "en": "en"}
#: Headers of the pages anyone may cache, revalidating each time (their ETag is cheap).
SHARED = {"Cache-Control": "public, no-cache", "Vary": "Accept-Language"}
#: Headers of the answers about a receipt code: private to the household that holds it.
PRIVATE = {"Cache-Control": "no-store", "Vary": "Accept-Language",
           "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_CODE = 64  # characters a typed code may have (12 letters and digits, spaces, dashes)
#: Files whose change changes the pages: part of every page's ETag.
PAGE_FILES = ("templates/public", "static/transparency.css", "static/verify.js",
              "translations/zh_Hans/LC_MESSAGES/messages.mo")
KIND_LABELS = {"month": _l("monthly"), "year": _l("annual")}


# --- language ---------------------------------------------------------------------------------
def public_lang() -> str:
    """The page's language, "zh" or "en": ?lang=, else the browser's preference (else zh)."""
    found = g.get("public_lang")
    if found is None:
        found = ALIASES.get((request.args.get("lang") or "").strip().lower())
        if found is None:
            best = request.accept_languages.best_match(["zh", "zh-CN", "zh-Hans", "en"])
            found = "en" if best == "en" else "zh"
        g.public_lang = found
    return found


def public_href(target: str, **values: Any) -> str:
    """A link in the page's language: `target` is an endpoint or a path ("/transparency/")."""
    values.setdefault("lang", public_lang())
    if target.startswith("/"):  # e.g. the overview, served by another blueprint
        return f"{target}?{urlencode(values)}"
    return url_for(target, **values)


def switch_language(lang: str) -> str:
    """This page in another language (its other query values kept)."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    path = url_for(request.endpoint or "transparency.receipts", **(request.view_args or {}))
    return f"{path}?{urlencode({**args, 'lang': lang})}"


@bp.app_context_processor
def public_helpers() -> dict[str, object]:
    """What public/base.html needs, for whichever blueprint renders a public page."""
    if not has_request_context() or not request.path.startswith(bp.url_prefix or "/transparency"):
        return {}
    lang = public_lang()
    return {"public_lang": lang, "public_html_lang": "zh-Hans" if lang == "zh" else "en",
            "public_href": public_href, "public_switch": switch_language}


def render_public(template: str, status: int = 200, headers: dict[str, str] | None = None,
                  **context: Any) -> Response:
    """A public page in the page's language, with its caching headers (shared by default)."""
    lang = public_lang()
    with force_locale(LOCALES[lang]):
        body = render_template(template, **context)
    response = Response(body, status=status, mimetype="text/html")
    response.headers.update(SHARED if headers is None else headers)
    response.headers["Content-Language"] = "zh-Hans" if lang == "zh" else "en"
    return response


def error_page(status: int, title: str, detail: str) -> Response:
    """An error in the public layout (`title` and `detail` translated already)."""
    return render_public("public/error.html", status, {**SHARED, "Cache-Control": "no-store"},
                         title=title, detail=detail)


def not_found(detail: str) -> Response:
    with force_locale(LOCALES[public_lang()]):
        title = _("Page not found")
    return error_page(404, title, detail)


@bp.errorhandler(LedgerError)
def refused(error: LedgerError) -> Response:
    """A refusal of the books on a public page: the public layout, never a server error."""
    with force_locale(LOCALES[public_lang()]):
        title = _("This cannot be shown")
        detail = _("Check the address, or start again from the statements.")
    return error_page(status_for(error), title, detail)


# --- caching ----------------------------------------------------------------------------------
@cache
def _fingerprint(root: str) -> str:
    """A digest of the templates, style, script and translations of the public pages."""
    digest = hashlib.sha256()
    for name in PAGE_FILES:
        path = Path(root) / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(file.name.encode() + file.read_bytes())
    return digest.hexdigest()


def page_etag(*facts: object) -> str:
    """A weak validator of a page from the facts it shows, its language and its files."""
    text = repr((facts, public_lang(), _fingerprint(current_app.root_path)))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def not_modified(etag: str) -> Response | None:
    """304 when the browser holds this version already."""
    if not request.if_none_match.contains_weak(etag):
        return None
    response = Response(status=304, headers=SHARED)
    response.set_etag(etag, weak=True)
    return response


def with_etag(response: Response, etag: str) -> Response:
    response.set_etag(etag, weak=True)
    return response


# --- periods ----------------------------------------------------------------------------------
def _entity(code: str) -> str | None:
    return code if code in ENTITIES else None


def _period(label: str) -> Period | None:
    try:
        return parse_period(label)
    except InvalidInput:
        return None


def _digests(state: ps.PeriodState) -> dict[str, str]:
    """lang -> SHA-256 of the stored PDFs of a signed period (those made so far)."""
    if state.signoff is None:
        return {}
    return ps.stored_digests(uow(), state.entity, state.period.label)


def period_context() -> dict[str, object]:
    """The labels and helpers of the period templates."""
    return {"status_labels": period_status_labels(), "opinion_labels": OPINION_LABELS,
            "entity_name": entity_name, "local_time": local_time, "pdf_href": pdf_href}


def pdf_href(state: ps.PeriodState, lang: str) -> str:
    """A PDF's address; a signed one carries its sign-off (a new sign-off: a new address)."""
    where = {"entity": state.entity, "label": state.period.label, "lang": lang}
    if state.signoff is not None:
        where["v"] = str(state.signoff.id)
    return url_for("transparency.statements_pdf", **where)


@bp.get("/<entity>/periods")
@public
def periods(entity: str) -> Response:
    """Every period of an entity that was ever closing or closed, latest first."""
    if _entity(entity) is None:
        return not_found(_("There is no such entity."))
    states = ps.periods(uow(), entity)
    digests = [_digests(state) for state in states]
    today = books.today()
    current = f"{today.year}-{today.month:02d}"
    etag = page_etag(states, digests, current)
    cached = not_modified(etag)
    if cached is not None:
        return cached
    rows = list(zip(states, digests, strict=True))
    return with_etag(render_public("public/periods.html", entity=entity, rows=rows,
                                   current=current, nav=f"{entity}-periods",
                                   **period_context()), etag)


@bp.get("/<entity>/periods/<label>")
@public
def period(entity: str, label: str) -> Response:
    """One period: the facts a resident checks the statements against (the QR code's page)."""
    found = _period(label)
    if _entity(entity) is None or found is None:
        return not_found(_("There is no such period."))
    if found.label != label:
        return redirect(public_href("transparency.period", entity=entity, label=found.label))
    state = ps.period_state(uow(), entity, found.label)
    digests = _digests(state)
    etag = page_etag(state, digests)
    cached = not_modified(etag)
    if cached is not None:
        return cached
    return with_etag(render_public("public/period.html", state=state, digests=digests,
                                   nav=f"{entity}-periods", **period_context()), etag)


@bp.get("/<entity>/periods/<label>/statements-<lang>.pdf")
@public
def statements_pdf(entity: str, label: str, lang: str) -> Response:
    """A signed period's stored PDF, byte for byte (cached for good at its versioned address),
    or a draft rendered now without the general-ledger appendix (marked as a draft)."""
    found = _period(label)
    if _entity(entity) is None or found is None or found.label != label or lang not in LOCALES:
        return not_found(_("There is no such statement."))
    state = ps.period_state(uow(), entity, label)
    version = request.args.get("v")
    if state.signoff is not None:
        if version is not None and version != str(state.signoff.id):
            return _moved(pdf_href(state, lang))
        stored = _digests(state).get(lang)
        if stored is not None and request.if_none_match.contains(stored):
            return _pdf_headers(Response(status=304), stored, signed=True, versioned=bool(version))
    elif version is not None:  # reopened since: the draft, at its own address
        return _moved(pdf_href(state, lang))
    content = statement_pdf(uow(), entity, label, lang, appendix=False, public_url=public_url())
    digest = hashlib.sha256(content).hexdigest()
    # The stored file of a signed period, or (not signed, or reopened meanwhile) a draft.
    signed = ps.stored_digests(uow(), entity, label).get(lang) == digest
    response = Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": 'inline; filename="'
                               f'{statement_filename(entity, label, lang, signed=signed)}"',
        "X-Content-SHA256": digest, "X-Statement-Status": "signed" if signed else "draft"})
    return _pdf_headers(response, digest, signed=signed, versioned=bool(version))


def _pdf_headers(response: Response, digest: str, *, signed: bool, versioned: bool
                 ) -> Response:
    if not signed:
        response.headers["Cache-Control"] = "no-cache"
        return response
    response.set_etag(digest)
    response.headers["Cache-Control"] = IMMUTABLE if versioned else "public, no-cache"
    return response


def _moved(location: str) -> Response:
    response = redirect(location, 302)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- verify my payment ------------------------------------------------------------------------
def receipt_form(code: str = "", error: str | None = None, status: int = 200,
                 check: ReceiptCheck | None = None) -> Response:
    return render_public("public/receipt.html", status, PRIVATE, code=code, error=error,
                         page_status=status, check=check, proofs=_proofs(check) if check else [],
                         nav="receipts", **period_context(), **receipt_context())


def receipt_context() -> dict[str, object]:
    return {"method_labels": METHOD_LABELS, "money": money, "kind_labels": KIND_LABELS,
            "fen": minor_units, "account_label": account_label,
            "verify_messages": verify_messages()}


def verify_messages() -> dict[str, str]:
    """What static/verify.js says, in the page's language."""
    return {
        "checking": _("Checking…"),
        "verified": _("✓ Verified: the payment is in the books under this root."),
        "mismatch": _("✗ Does not match."),
        "code": _("The proof is not for this receipt code."),
        "amount": _("The entry does not record this amount."),
        "position": _("The leaf's position does not fit the tree."),
        "malformed": _("The proof is incomplete or malformed."),
        "root": _("The path leads to another root: the entry, the path or the root is not "
                  "the one in the books."),
        "no_crypto": _("This browser cannot check here: the check needs a secure (HTTPS) "
                       "connection. Download the proof and check it with the command below."),
    }


def _proofs(check: ReceiptCheck) -> list[dict[str, object]]:
    """Per closed period holding the payment: what the page's check needs (a JSON island)."""
    found = []
    for held in check.periods:
        if held.proof is None or held.state.close is None:
            continue
        found.append({"label": held.state.period.label, "proof": held.proof,
                      "signed": held.signed,
                      "island": {"proof": held.proof.as_dict(), "root": held.state.close.root,
                                 "code": check.receipt.code,
                                 "amount_fen": to_minor(check.receipt.amount)}})
    return found


@bp.get("/receipts")
@public
def receipts() -> Response:
    """The form; with ?code=, the payment and its proofs (404 unknown code, 400 malformed)."""
    typed = request.args.get("code")
    if typed is None:
        return receipt_form()
    typed = typed.strip()[:MAX_CODE + 1]
    if not typed:
        return receipt_form(error=_("Enter the code printed on your receipt."), status=400)
    if len(typed) > MAX_CODE:
        return receipt_form(typed[:MAX_CODE], _malformed(), 400)
    try:
        check = check_receipt(uow(), typed)
    except ReceiptNotFound:
        return receipt_form(typed, _("No payment in the books has this receipt code. Check the "
                                     "code on your receipt; if it is right, ask the volunteers "
                                     "who collected your payment."), 404)
    except InvalidInput:
        return receipt_form(typed, _malformed(), 400)
    return receipt_form(check.receipt.code, check=check)


def _malformed() -> str:
    return _("A receipt code has 12 letters and digits, such as 7K3Q-M9XD-2TPA.")


@bp.get("/receipts/<code>/proof-<label>.json")
@public
def proof(code: str, label: str) -> Response:
    """The inclusion proof of a payment in a closed period, as a JSON download."""
    if len(code) > MAX_CODE:
        return _problem(400, "a receipt code has 12 letters and digits", "invalid-input")
    try:
        check = check_receipt(uow(), code)
    except ReceiptNotFound as error:
        return _problem(404, error.message, error.code, error.title)
    except InvalidInput as error:
        return _problem(400, error.message, error.code, error.title)
    found = _proof_of(check, label)
    if found is None:
        return _problem(404, f"the payment has no inclusion proof in period {label!r}: the "
                             "period does not hold it or is not closed")
    body = json.dumps(found.as_dict(), ensure_ascii=False, indent=2) + "\n"
    return Response(body, mimetype="application/json", headers={
        **PRIVATE, "Content-Disposition": f'attachment; filename="proof-{found.period}.json"'})


def _proof_of(check: ReceiptCheck, label: str) -> Proof | None:
    return next((held.proof for held in check.periods
                 if held.state.period.label == label and held.proof is not None), None)


def _problem(status: int, detail: str, slug: str | None = None, title: str | None = None
             ) -> Response:
    """Problem details (RFC 9457), as the JSON API answers them."""
    body = {"type": f"/problems/{slug}" if slug else "about:blank",
            "title": title or HTTPStatus(status).phrase, "status": status, "detail": detail,
            "instance": request.path}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON,
                    headers=PRIVATE)
