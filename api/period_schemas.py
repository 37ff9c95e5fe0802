"""Marshmallow schemas of the periods API (会计期间): close, reopen, audit sign-off and the
statements, and the presenters that turn the use cases' records into plain data for them."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from ledger.core.periods import Opinion
from ledger.periods import Close, PeriodState, SignOff, Verification

LANGS = ("zh", "en")


# --- in ---------------------------------------------------------------------------------------
class ReopenIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={
        "example": "审计调整：10 月漏记一笔银行手续费 / audit adjustment: a bank charge was "
                   "missed",
        "description": "Why the closed period is reopened (kept in the audit log)."})


class SignOffIn(Schema):
    opinion = fields.String(required=True, validate=validate.OneOf([o.value for o in Opinion]),
                            metadata={"description": "unqualified (无保留意见), qualified "
                                                     "(保留意见), adverse (否定意见) or "
                                                     "disclaimer (无法表示意见)."})
    notes = fields.String(load_default="", validate=validate.Length(max=4000), metadata={
        "description": "The auditor's notes, printed with the opinion on the statements."})


class PdfQuery(Schema):
    lang = fields.String(load_default="zh", validate=validate.OneOf(LANGS),
                         metadata={"description": "zh (简体中文) or en (English)."})
    appendix = fields.Boolean(load_default=True, metadata={
        "description": "Add the general-ledger detail of the period as an appendix."})


# --- out --------------------------------------------------------------------------------------
class CloseOut(Schema):
    head_seq = fields.Integer(metadata={"description": "The last journal entry at the close."})
    head_hash = fields.String(metadata={"description": "That entry's chain hash."})
    closed_at = fields.DateTime()
    closed_by = fields.String()
    merkle_root = fields.String(allow_none=True, metadata={
        "description": "The Merkle root of the entries dated in the period (what residents' "
                       "inclusion proofs lead to), or null for a close recorded without one."})
    merkle_size = fields.Integer(allow_none=True, metadata={
        "description": "How many entries (leaves) that tree has."})


class VerificationOut(Schema):
    ok = fields.Boolean(metadata={"description": "Every check below passes."})
    chain = fields.Boolean(metadata={"description": "The journal's hash chain verifies."})
    chain_detail = fields.String()
    head = fields.Boolean(metadata={
        "description": "The entry at the recorded chain head still has its hash."})
    balances = fields.Boolean(metadata={
        "description": "The balances recomputed from the postings equal those recorded at "
                       "the close."})
    statements = fields.Boolean(metadata={"description": "Every statement's own checks tie."})
    root = fields.Boolean(metadata={
        "description": "The Merkle root recomputed from the entries equals the one recorded at "
                       "the close."})
    checks = fields.Dict(keys=fields.String(), values=fields.Boolean(),
                         metadata={"description": "Each statement check by name."})


class SignOffOut(Schema):
    opinion = fields.String()
    notes = fields.String()
    signed_at = fields.DateTime()
    signed_by = fields.String()
    verification = fields.Nested(VerificationOut, metadata={
        "description": "The verification run when it was signed."})


class LinksOut(Schema):
    statements = fields.String()
    csv = fields.String()
    pdf_zh = fields.String()
    pdf_en = fields.String()


class PeriodOut(Schema):
    entity = fields.String(metadata={"example": "fund"})
    period = fields.String(metadata={"example": "2026-10", "description": "Its label."})
    kind = fields.String(metadata={"description": "month or year"})
    starts_on = fields.Date()
    ends_on = fields.Date()
    status = fields.String(metadata={
        "description": "open, closing (only adjusting entries may be dated inside it) or "
                       "closed (nothing may)."})
    audited = fields.Boolean(metadata={
        "description": "Signed off by an auditor; otherwise the statements are an unaudited "
                       "draft."})
    reopened = fields.Integer(metadata={"description": "Times it was reopened."})
    close = fields.Nested(CloseOut, allow_none=True, metadata={
        "description": "The latest close (its chain head), or null if never closed."})
    signoff = fields.Nested(SignOffOut, allow_none=True, metadata={
        "description": "The sign-off that holds, or null (unsigned, or voided by a "
                       "reopening)."})
    links = fields.Nested(LinksOut)


# --- presenters -------------------------------------------------------------------------------
def present_close(close: Close | None) -> dict[str, Any] | None:
    if close is None:
        return None
    return {"head_seq": close.head_seq, "head_hash": close.head_hash,
            "closed_at": close.closed_at, "closed_by": close.closed_by,
            "merkle_root": close.root, "merkle_size": close.size}


def present_signoff(signoff: SignOff | None) -> dict[str, Any] | None:
    if signoff is None:
        return None
    return {"opinion": signoff.opinion.value, "notes": signoff.notes,
            "signed_at": signoff.signed_at, "signed_by": signoff.signed_by,
            "verification": signoff.verification}


def present_verification(found: Verification) -> dict[str, Any]:
    return found.as_dict()


def present_period(state: PeriodState) -> dict[str, Any]:
    period, entity = state.period, state.entity
    where = {"entity": entity, "label": period.label}
    return {
        "entity": entity, "period": period.label, "kind": period.kind.value,
        "starts_on": period.starts_on, "ends_on": period.ends_on,
        "status": state.status.value, "audited": state.audited, "reopened": state.reopened,
        "close": present_close(state.close), "signoff": present_signoff(state.signoff),
        "links": {"statements": url_for("periods.statements", **where),
                  "csv": url_for("periods.statements_csv", **where),
                  "pdf_zh": url_for("periods.statements_pdf", lang="zh", **where),
                  "pdf_en": url_for("periods.statements_pdf", lang="en", **where)},
    }
