"""Marshmallow schemas of the repair-campaign API (众筹), and the presenters that turn the
use cases' records into plain data for them. Amounts are decimal strings, never floats."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, post_load, validate
from moneyed import Money
from werkzeug.datastructures import FileStorage

from ledger.campaign_payments import Payment, PaymentImport, Receipt
from ledger.campaigns import Campaign, Household, RollImport
from ledger.core.campaigns import (
    SHARE_RULE,
    Figures,
    HouseholdStatus,
    LeftoverRule,
    MissRule,
    PaymentMethod,
    ShareSummary,
    Source,
)
from ledger.core.errors import InvalidAmount
from ledger.core.money import format_amount, parse_money

from .schemas import Amount

ID = validate.Range(1, 2**31 - 1)


def _one_of(kind: type[Any]) -> validate.OneOf:
    return validate.OneOf([k.value for k in kind])


def money_field(value: str, field: str, *, allow_zero: bool = False) -> Money:
    """Money from a validated decimal string, or a marshmallow error on that field."""
    try:
        return parse_money(value, allow_zero=allow_zero)
    except InvalidAmount as error:
        raise ValidationError(error.message, field) from None


# --- in ---------------------------------------------------------------------------------------
class CampaignIn(Schema):
    community = fields.String(required=True, validate=validate.Length(1, 100),
                              metadata={"example": "蛟川街道 丽园小区"})
    buildings = fields.String(required=True, validate=validate.Length(1, 300),
                              metadata={"example": "1-8 幢"})
    title = fields.String(required=True, validate=validate.Length(1, 200),
                          metadata={"example": "丽园小区屋面防水维修 / roof waterproofing"})
    repair = fields.String(required=True, validate=validate.Length(1, 2000),
                           metadata={"description": "What is repaired, and how."})
    contractor = fields.String(required=True, validate=validate.Length(1, 200))
    cost = Amount(required=True, metadata={"example": "50000.00",
                                           "description": "The contractor's quoted cost."})
    subsidy = Amount(load_default="0.00", metadata={"example": "20000.00"})
    subsidy_from = fields.String(load_default="", validate=validate.Length(max=200), metadata={
        "description": "Who pays the subsidy; required when there is one.",
        "example": "蛟川街道办事处"})
    match = Amount(required=True, metadata={"example": "23000.00",
                                            "description": "The foundation's match."})
    deadline = fields.Date(required=True)
    miss_rule = fields.String(required=True, validate=_one_of(MissRule), metadata={
        "description": "all_or_nothing: cancelled and refunded if the gap is not raised; "
                       "keep_raised: the shortfall is covered by `shortfall_source`."})
    shortfall_source = fields.String(load_default=None, allow_none=True,
                                     validate=_one_of(Source))
    leftover_rule = fields.String(load_default=LeftoverRule.REFUND.value,
                                  validate=_one_of(LeftoverRule), metadata={
                                      "description": "refund: leftovers go back pro rata; "
                                                     "foundation: released with a disclosure."})

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        source = data["shortfall_source"]
        return {**data, "cost": money_field(data["cost"], "cost"),
                "subsidy": money_field(data["subsidy"], "subsidy", allow_zero=True),
                "match": money_field(data["match"], "match", allow_zero=True),
                "miss_rule": MissRule(data["miss_rule"]),
                "shortfall_source": Source(source) if source else None,
                "leftover_rule": LeftoverRule(data["leftover_rule"])}


class PreviewQuery(Schema):
    preview = fields.Boolean(load_default=False, metadata={
        "description": "true: read and check the file, write nothing (also as a form field)."})


class FileField(Upload):
    """An uploaded file (a form field of the same name that is not a file is refused)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any
                     ) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise ValidationError("send the file as a multipart/form-data file part")
        return value


class RollUploadIn(Schema):
    """The multipart/form-data body of a file import; unknown fields are refused (a misspelt
    `preview` must not write)."""

    file = FileField(required=True, metadata={
        "description": "CSV (UTF-8 or GB18030, as Excel saves it) or .xlsx; its first row "
                       "names the columns."})
    preview = fields.Boolean(load_default=False, metadata={
        "description": "true: read and check the file, write nothing."})


class PaymentsUploadIn(RollUploadIn):
    method = fields.String(required=True, validate=_one_of(PaymentMethod), metadata={
        "description": "How the payments of the export were made: wechat, alipay, bank, cash."})


class HouseholdQuery(Schema):
    unpaid = fields.Boolean(load_default=False, metadata={
        "description": "Only households asked to pay that still owe."})
    building = fields.String(validate=validate.Length(1, 20))


class MarkIn(Schema):
    status = fields.String(required=True, validate=_one_of(HouseholdStatus), metadata={
        "description": "vacant, unreachable or exempt (with a reason), or asked again."})
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=300))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "status": HouseholdStatus(data["status"])}


class ShortfallIn(Schema):
    source = fields.String(load_default=None, allow_none=True, validate=_one_of(Source),
                           metadata={"description": "Defaults to the campaign's source."})
    amount = Amount(load_default=None, allow_none=True, metadata={
        "description": "Defaults to all of the unassigned shortfall."})
    note = fields.String(load_default="", validate=validate.Length(max=300))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        amount, source = data["amount"], data["source"]
        return {**data, "source": Source(source) if source else None,
                "amount": None if amount is None else money_field(amount, "amount")}


class SubsidyIn(Schema):
    amount = Amount(required=True, metadata={"example": "20000.00"})
    received_on = fields.Date(required=True)
    payer = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                          metadata={"description": "Defaults to the campaign's subsidy_from."})
    reference = fields.String(load_default="", validate=validate.Length(max=100))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "amount": money_field(data["amount"], "amount")}


class CampaignPaymentIn(Schema):
    household_id = fields.Integer(required=True, strict=True, validate=ID)
    amount = Amount(required=True, metadata={"example": "22.09"})
    paid_on = fields.Date(required=True)
    method = fields.String(required=True, validate=_one_of(PaymentMethod))
    reference = fields.String(required=True, validate=validate.Length(1, 64), metadata={
        "description": "Unique within the campaign: the transaction number, or the number of "
                       "a paper receipt for cash."})

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "amount": money_field(data["amount"], "amount"),
                "method": PaymentMethod(data["method"])}


class ContractorIn(Schema):
    amount = Amount(required=True, metadata={"example": "50000.00"})
    paid_on = fields.Date(required=True)
    reference = fields.String(load_default="", validate=validate.Length(max=100))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "amount": money_field(data["amount"], "amount")}


class CampaignCloseIn(Schema):
    on = fields.Date(required=True)
    disclosure = fields.String(load_default="", validate=validate.Length(max=2000), metadata={
        "description": "Required when leftovers go to the foundation: how much, and for what."})


class CampaignCancelIn(Schema):
    on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 300))


# --- out --------------------------------------------------------------------------------------
class FiguresOut(Schema):
    cost = fields.String()
    subsidy = fields.String(metadata={"description": "Pledged, with shortfall assigned to it."})
    match = fields.String(metadata={"description": "The foundation's, with shortfall assigned."})
    gap = fields.String(metadata={"description": "The households' part, split into shares."})
    subsidy_received = fields.String()
    households_paid = fields.String(metadata={"description": "Net of refunds."})
    restricted = fields.String(metadata={
        "description": "Money restricted to the campaign in the foundation's book."})
    spent = fields.String(metadata={"description": "Paid to the contractor."})
    spent_restricted = fields.String()
    foundation_spent = fields.String()
    leftover_released = fields.String()
    match_left = fields.String()
    shortfall = fields.String(metadata={"description": "Shares of households not asked."})
    assigned = fields.String(metadata={"description": "Shortfall assigned to a source."})
    unassigned = fields.String()
    to_pay = fields.String(metadata={"description": "Still owed to the contractor."})
    covered = fields.Boolean(metadata={
        "description": "The money in hand and the match left cover what is still owed."})


class CampaignOut(Schema):
    id = fields.Integer()
    community = fields.String()
    buildings = fields.String()
    title = fields.String()
    repair = fields.String()
    contractor = fields.String()
    cost = fields.String()
    subsidy = fields.String()
    subsidy_from = fields.String()
    match = fields.String()
    gap = fields.String(metadata={"description": "cost - subsidy - match, as set up."})
    deadline = fields.Date()
    miss_rule = fields.String()
    shortfall_source = fields.String(allow_none=True)
    leftover_rule = fields.String()
    status = fields.String(metadata={
        "description": "draft, open, funded, contractor_paid, closed or cancelled"})
    created_at = fields.DateTime()
    created_by = fields.String()
    households = fields.Integer(metadata={"description": "On the roll."})
    asked = fields.Integer(metadata={"description": "Asked to pay."})
    paid_up = fields.Integer(metadata={"description": "Asked households paid in full."})
    share_rule = fields.String()
    figures = fields.Nested(FiguresOut)


class HouseholdOut(Schema):
    id = fields.Integer()
    position = fields.Integer(metadata={"description": "Roll order (building, unit, room)."})
    household = fields.String(metadata={"example": "3-1-502"})
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    contact = fields.String()
    phone = fields.String()
    share = fields.String()
    paid = fields.String(metadata={"description": "Net of refunds."})
    owed = fields.String()
    status = fields.String(metadata={"description": "asked, vacant, unreachable or exempt"})
    reason = fields.String(allow_none=True)


class BuildingOut(Schema):
    building = fields.String()
    households = fields.List(fields.Nested(HouseholdOut))
    owed = fields.String(metadata={"description": "What the building's households still owe."})


class ProblemRowOut(Schema):
    line = fields.Integer(metadata={"description": "The file's line (the header is line 1)."})
    column = fields.String()
    message = fields.String()


class RollLineOut(Schema):
    position = fields.Integer()
    household = fields.String()
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    contact = fields.String()
    phone = fields.String()
    share = fields.String()


class ShareSummaryOut(Schema):
    households = fields.Integer()
    higher = fields.String()
    higher_count = fields.Integer()
    lower = fields.String()
    lower_count = fields.Integer()
    text = fields.String(metadata={"example": "64 × 22.09 + 253 × 22.08"})


class RollImportOut(Schema):
    written = fields.Boolean(metadata={"description": "false for a preview."})
    households = fields.List(fields.Nested(RollLineOut))
    total = fields.String(allow_none=True, metadata={"description": "The shares add up."})
    summary = fields.Nested(ShareSummaryOut, allow_none=True)
    share_rule = fields.String()
    problems = fields.List(fields.Nested(ProblemRowOut))


class PaymentOut(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    household_id = fields.Integer()
    household = fields.String()
    amount = fields.String()
    paid_on = fields.Date()
    method = fields.String()
    reference = fields.String()
    receipt_code = fields.String(metadata={"example": "7K3Q-M9XD-2TPA"})
    entry_seq = fields.Integer()
    refunded = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String()


class MatchCountsOut(Schema):
    matched = fields.Integer()
    partial = fields.Integer()
    overpaid = fields.Integer()
    unmatched = fields.Integer(metadata={"description": "Not on the roll, or not asked."})
    duplicate = fields.Integer(metadata={"description": "Recorded before, or repeated."})


class ReconciledLineOut(Schema):
    line = fields.Integer()
    reference = fields.String()
    household = fields.String()
    amount = fields.String()
    paid_on = fields.Date()
    match = fields.String()


class PaymentImportOut(Schema):
    written = fields.Boolean()
    recorded = fields.Integer(metadata={"description": "Lines recorded as payments."})
    import_id = fields.Integer(allow_none=True)
    counts = fields.Nested(MatchCountsOut)
    lines = fields.List(fields.Nested(ReconciledLineOut))
    problems = fields.List(fields.Nested(ProblemRowOut))


class ImportOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "roll or payments"})
    filename = fields.String()
    sha256 = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String()
    report = fields.Dict()


class ReceiptOut(Schema):
    code = fields.String()
    campaign_id = fields.Integer()
    campaign_title = fields.String()
    community = fields.String()
    household = fields.String(metadata={"description": "The address only, never a name."})
    amount = fields.String()
    paid_on = fields.Date()
    method = fields.String()
    entry_seq = fields.Integer()
    refunded = fields.String()


# --- presenters -------------------------------------------------------------------------------
def present_figures(f: Figures) -> dict[str, Any]:
    names = ("cost", "subsidy", "match", "gap", "subsidy_received", "households_paid",
             "restricted", "spent", "spent_restricted", "foundation_spent",
             "leftover_released", "match_left", "shortfall", "assigned", "unassigned", "to_pay")
    return {**{n: format_amount(getattr(f, n)) for n in names}, "covered": f.covered}


def present_campaign(c: Campaign) -> dict[str, Any]:
    return {"id": c.id, "community": c.community, "buildings": c.buildings, "title": c.title,
            "repair": c.repair, "contractor": c.contractor, "cost": format_amount(c.cost),
            "subsidy": format_amount(c.subsidy), "subsidy_from": c.subsidy_from,
            "match": format_amount(c.match), "gap": format_amount(c.gap),
            "deadline": c.deadline, "miss_rule": c.miss_rule.value,
            "shortfall_source": c.shortfall_source.value if c.shortfall_source else None,
            "leftover_rule": c.leftover_rule.value, "status": c.status.value,
            "created_at": c.created_at, "created_by": c.created_by,
            "households": c.households, "asked": c.asked, "paid_up": c.paid_up,
            "share_rule": SHARE_RULE, "figures": present_figures(c.figures)}


def present_household(h: Household) -> dict[str, Any]:
    return {"id": h.id, "position": h.position, "household": str(h.key),
            "building": h.key.building, "unit": h.key.unit, "room": h.key.room,
            "contact": h.contact, "phone": h.phone, "share": format_amount(h.share),
            "paid": format_amount(h.paid), "owed": format_amount(h.owed),
            "status": h.status.value, "reason": h.reason}


def share_text(s: ShareSummary) -> str:
    """'64 × 22.09 + 253 × 22.08' (or '317 × 22.08' when the gap splits evenly)."""
    found = f"{s.higher_count} × {format_amount(s.higher)}"
    return found if not s.lower_count else f"{found} + {s.lower_count} × {format_amount(s.lower)}"


def present_roll(found: RollImport) -> dict[str, Any]:
    summary = found.summary
    total = sum(found.shares[1:], found.shares[0]) if found.shares else None
    return {"written": found.written,
            "households": [{"position": i, "household": str(line.key),
                            "building": line.key.building, "unit": line.key.unit,
                            "room": line.key.room, "contact": line.contact,
                            "phone": line.phone, "share": format_amount(share)}
                           for i, (line, share) in enumerate(zip(found.households, found.shares,
                                                                 strict=False), start=1)],
            "total": None if total is None else format_amount(total),
            "summary": None if summary is None else {
                "households": summary.households, "higher": format_amount(summary.higher),
                "higher_count": summary.higher_count, "lower": format_amount(summary.lower),
                "lower_count": summary.lower_count, "text": share_text(summary)},
            "share_rule": SHARE_RULE,
            "problems": [{"line": p.line, "column": p.column, "message": p.message}
                         for p in found.problems]}


def present_payment(p: Payment) -> dict[str, Any]:
    return {"id": p.id, "campaign_id": p.campaign_id, "household_id": p.household_id,
            "household": str(p.household), "amount": format_amount(p.amount),
            "paid_on": p.paid_on, "method": p.method.value, "reference": p.reference,
            "receipt_code": p.receipt_code, "entry_seq": p.entry_seq,
            "refunded": format_amount(p.refunded), "created_at": p.created_at,
            "created_by": p.created_by}


def present_import(found: PaymentImport) -> dict[str, Any]:
    report = found.report()
    lines: list[dict[str, Any]] = report["lines"]  # type: ignore[assignment]
    return {**report, "lines": [{**line, "paid_on": date.fromisoformat(line["paid_on"])}
                                for line in lines]}


def present_receipt(r: Receipt) -> dict[str, Any]:
    return {"code": r.code, "campaign_id": r.campaign_id, "campaign_title": r.campaign_title,
            "community": r.community, "household": str(r.household),
            "amount": format_amount(r.amount), "paid_on": r.paid_on,
            "method": r.method.value, "entry_seq": r.entry_seq,
            "refunded": format_amount(r.refunded)}
