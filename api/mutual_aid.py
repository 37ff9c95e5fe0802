"""JSON API of the mutual-aid fund: members, the split policy, deposits, transfers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, url_for
from marshmallow import Schema, ValidationError, fields, post_load, validate

from ledger import mutual_aid as ma
from ledger.books import now
from ledger.core.chart import ENTITIES
from ledger.core.errors import InvalidAmount
from ledger.core.money import format_amount, parse_money, to_decimal
from ledger.core.mutual_aid import MemberStatus, PaymentMethod, RemainderRule, SplitPolicy
from ledger.core.staff import Role
from reports import receipts

from .auth import STAFF, current_actor, requires
from .idempotency import idempotent
from .routing import Blueprint
from .schemas import Amount
from .state import uow

blp = Blueprint("mutual_aid", __name__, url_prefix="/api",
                description="The chamber's mutual-aid fund: members, deposits, transfers")
MANAGERS = (Role.FUND_MANAGER, Role.ADMIN)


def parse_amount_field(value: str, field: str) -> Any:
    """Money from a validated decimal string, or a marshmallow error on that field."""
    try:
        return parse_money(value)
    except InvalidAmount as error:
        raise ValidationError(error.message, field) from None


# --- schemas ----------------------------------------------------------------------------------
class MemberIn(Schema):
    name_zh = fields.String(required=True, validate=validate.Length(1, 200),
                            metadata={"example": "嘉兴永耀纺织有限公司"})
    name_en = fields.String(load_default=None, validate=validate.Length(max=200))
    credit_code = fields.String(required=True, validate=validate.Length(1, 40),
                                metadata={"example": "91350100M000100Y43"})
    legal_representative = fields.String(required=True, validate=validate.Length(1, 100))
    contact_name = fields.String(required=True, validate=validate.Length(1, 100))
    contact_phone = fields.String(required=True, validate=validate.Length(1, 40))
    joined_on = fields.Date(required=True)


class MemberOut(Schema):
    id = fields.Integer()
    name_zh = fields.String()
    name_en = fields.String(allow_none=True)
    credit_code = fields.String()
    legal_representative = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String()
    joined_on = fields.Date()
    status = fields.String()


class StatusIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in MemberStatus]))


class EntitlementOut(Schema):
    deposits = fields.String(metadata={"description": "Deposits in force (not reversed)."})
    cap = fields.String(metadata={"description": "Bridging service the deposits entitle to."})


class DepositOut(Schema):
    id = fields.Integer()
    member_id = fields.Integer()
    amount = fields.String()
    operating = fields.String(metadata={"description": "Kept by the fund (运作经费)."})
    foundation = fields.String(metadata={"description": "Owed, then paid, to the foundation."})
    received_on = fields.Date()
    method = fields.String()
    reference = fields.String()
    policy_version = fields.Integer()
    entry_seq = fields.Integer()
    transfer_id = fields.Integer(allow_none=True)
    reversal_seq = fields.Integer(allow_none=True)
    reversal_reason = fields.String(allow_none=True)
    created_by = fields.String()


class MemberDetailOut(MemberOut):
    entitlement = fields.Nested(EntitlementOut)
    deposits = fields.List(fields.Nested(DepositOut))


class DepositIn(Schema):
    member_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    amount = Amount(required=True, metadata={"example": "350000.00"})
    received_on = fields.Date(required=True)
    method = fields.String(required=True,
                           validate=validate.OneOf([m.value for m in PaymentMethod]))
    reference = fields.String(required=True, validate=validate.Length(1, 100),
                              metadata={"description": "Bank reference or receipt number."})

    @post_load
    def money(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "amount": parse_amount_field(data["amount"], "amount")}


class DepositReversalIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))
    effective_date = fields.Date(metadata={"description": "Defaults to today (Asia/Shanghai)."})


class TransferIn(Schema):
    made_on = fields.Date(required=True)
    deposit_ids = fields.List(fields.Integer(validate=validate.Range(1, 2**31 - 1)),
                              load_default=None, validate=validate.Length(1, 10_000),
                              metadata={"description": "Default: every share still owed."})


class TransferOut(Schema):
    id = fields.Integer()
    made_on = fields.Date()
    amount = fields.String()
    fund_entry_seq = fields.Integer()
    foundation_entry_seq = fields.Integer()
    deposit_ids = fields.List(fields.Integer())


class PolicyIn(Schema):
    effective_from = fields.Date(required=True)
    operating_share = fields.String(required=True, validate=validate.Length(1, 10), metadata={
        "example": "0.30", "description": "A decimal string from 0 to 1, at most 4 decimals."})
    remainder_rule = fields.String(load_default="foundation",
                                   validate=validate.OneOf([r.value for r in RemainderRule]))
    service_amount = Amount(required=True, metadata={"example": "5000000.00"})
    per_deposit = Amount(required=True, metadata={"example": "350000.00"})

    @post_load
    def money(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        try:
            share = to_decimal(data["operating_share"], field="operating_share")
        except InvalidAmount as error:
            raise ValidationError(error.message, "operating_share") from None
        return {**data, "operating_share": share,
                "service_amount": parse_amount_field(data["service_amount"], "service_amount"),
                "per_deposit": parse_amount_field(data["per_deposit"], "per_deposit")}


class PolicyOut(Schema):
    version = fields.Integer()
    effective_from = fields.Date()
    operating_share = fields.String()
    foundation_share = fields.String()
    remainder_rule = fields.String()
    service_amount = fields.String()
    per_deposit = fields.String()


# --- presenters -------------------------------------------------------------------------------
def _amounts(record: Any, *names: str) -> dict[str, Any]:
    found = asdict(record)
    for name in names:
        found[name] = format_amount(getattr(record, name))
    return found


def present_deposit(d: ma.Deposit) -> dict[str, Any]:
    return _amounts(d, "amount", "operating", "foundation")


def present_policy(p: SplitPolicy) -> dict[str, Any]:
    return {"version": p.version, "effective_from": p.effective_from,
            "operating_share": str(p.operating_share),
            "foundation_share": str(p.foundation_share),
            "remainder_rule": p.remainder_rule.value,
            "service_amount": format_amount(p.service_amount),
            "per_deposit": format_amount(p.per_deposit)}


def present_transfer(t: ma.Transfer) -> dict[str, Any]:
    return _amounts(t, "amount")


# --- members ----------------------------------------------------------------------------------
@blp.route("/members", methods=["GET"])
@requires(*STAFF)
@blp.response(200, MemberOut(many=True))
def list_members() -> list[Any]:
    """Member enterprises of the mutual-aid fund."""
    return [asdict(m) for m in ma.members(uow())]


@blp.route("/members", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(MemberIn)
@blp.response(201, MemberOut)
def register_member(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Register a member enterprise (its unified social credit code is checked)."""
    member = ma.register_member(uow(), current_actor(), **data)
    return asdict(member), 201, {"Location": url_for("mutual_aid.get_member",
                                                     member_id=member.id)}


@blp.route("/members/<int:member_id>")
@requires(*STAFF)
@blp.response(200, MemberDetailOut)
def get_member(member_id: int) -> dict[str, Any]:
    """A member with its deposits and its service cap."""
    member = ma.member(uow(), member_id)
    entitled = ma.entitlement(uow(), member_id)
    return {**asdict(member),
            "entitlement": {"deposits": format_amount(entitled.deposits),
                            "cap": format_amount(entitled.cap)},
            "deposits": [present_deposit(d) for d in ma.deposits(uow(), member_id)]}


@blp.route("/members/<int:member_id>/status", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(StatusIn)
@blp.response(200, MemberOut)
def set_member_status(data: dict[str, Any], member_id: int) -> dict[str, Any]:
    """Mark a member active, suspended or withdrawn."""
    return asdict(ma.set_member_status(uow(), current_actor(), member_id, data["status"]))


# --- policy -----------------------------------------------------------------------------------
@blp.route("/policies", methods=["GET"])
@requires(*STAFF)
@blp.response(200, PolicyOut(many=True))
def list_policies() -> list[dict[str, Any]]:
    """Every version of the split and entitlement policy, oldest first."""
    return [present_policy(p) for p in ma.policies(uow())]


@blp.route("/policies", methods=["POST"])
@requires(Role.ADMIN)
@idempotent
@blp.arguments(PolicyIn)
@blp.response(201, PolicyOut)
def set_policy(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Add a policy version, in force from its date (earlier deposits keep theirs)."""
    return present_policy(ma.set_policy(uow(), current_actor(), **data)), 201


# --- deposits and transfers -------------------------------------------------------------------
@blp.route("/deposits", methods=["GET"])
@requires(*STAFF)
@blp.response(200, DepositOut(many=True))
def list_deposits() -> list[dict[str, Any]]:
    """Every deposit with its split."""
    return [present_deposit(d) for d in ma.deposits(uow())]


@blp.route("/deposits", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(DepositIn)
@blp.response(201, DepositOut)
def record_deposit(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Record a deposit: split by the policy of its day and posted in the fund's books."""
    deposit = ma.record_deposit(uow(), current_actor(), **data)
    return present_deposit(deposit), 201, {
        "Location": url_for("mutual_aid.get_deposit", deposit_id=deposit.id)}


@blp.route("/deposits/<int:deposit_id>")
@requires(*STAFF)
@blp.response(200, DepositOut)
def get_deposit(deposit_id: int) -> dict[str, Any]:
    """One deposit."""
    return present_deposit(ma.deposit(uow(), deposit_id))


@blp.route("/deposits/<int:deposit_id>/reversal", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(DepositReversalIn)
@blp.response(200, DepositOut)
def reverse_deposit(data: dict[str, Any], deposit_id: int) -> dict[str, Any]:
    """Reverse a deposit recorded by mistake, in both books if it was already transferred."""
    return present_deposit(ma.reverse_deposit(uow(), current_actor(), deposit_id,
                                              reason=data["reason"],
                                              on=data.get("effective_date")))


@blp.route("/transfers", methods=["GET"])
@requires(*STAFF)
@blp.response(200, TransferOut(many=True))
def list_transfers() -> list[dict[str, Any]]:
    """Transfers of deposit shares to the foundation."""
    return [present_transfer(t) for t in ma.transfers(uow())]


@blp.route("/transfers", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(TransferIn)
@blp.response(201, TransferOut)
def transfer(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Pay the foundation the shares still owed (all, or the listed deposits) in one transfer."""
    return present_transfer(ma.transfer_to_foundation(uow(), current_actor(), **data)), 201


@blp.route("/deposits/<int:deposit_id>/receipt.pdf")
@requires(*STAFF)
@blp.response(200, description="The bilingual deposit receipt",
              content_type="application/pdf")
def deposit_receipt(deposit_id: int) -> Response:
    """The deposit's receipt as a PDF (zh-Hans and English; amount in capital numerals)."""
    return deposit_receipt_response(deposit_id)


def deposit_receipt_response(deposit_id: int) -> Response:
    """The receipt PDF as a response (shared by the API and the staff pages)."""
    record = ma.deposit_record(uow(), deposit_id)
    fund = ENTITIES["fund"]
    receipt = receipts.deposit_receipt(
        record.deposit, record.member, record.policy, record.entry, fund_zh=fund.name_zh,
        fund_en=fund.name_en, issued_at=now())
    return Response(receipts.deposit_receipt_pdf(receipt), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{receipt.number}.pdf"',
        "Cache-Control": "private, no-store"})
