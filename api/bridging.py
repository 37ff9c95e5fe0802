"""JSON API of bridging services (续贷过桥), members' exposure, and operating expenses."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import url_for
from marshmallow import Schema, fields, post_load, validate

from ledger import bridging, expenses
from ledger.core.money import format_amount
from ledger.core.mutual_aid import EXPENSE_ACCOUNTS, ServiceStatus

from .auth import STAFF, current_actor, requires
from .idempotency import idempotent
from .mutual_aid import MANAGERS, parse_amount_field
from .routing import Blueprint
from .schemas import Amount
from .state import uow

blp = Blueprint("bridging", __name__, url_prefix="/api",
                description="Bridging services, exposure and operating expenses of the fund")


class ServiceIn(Schema):
    member_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    bank = fields.String(required=True, validate=validate.Length(1, 100),
                         metadata={"example": "嘉兴银行"})
    loan_amount = Amount(required=True, metadata={"example": "2000000.00"})
    bridge_from = fields.Date(required=True)
    bridge_to = fields.Date(required=True)

    @post_load
    def money(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "loan_amount": parse_amount_field(data["loan_amount"], "loan_amount")}


class ServiceOut(Schema):
    id = fields.Integer()
    member_id = fields.Integer()
    bank = fields.String()
    loan_amount = fields.String()
    bridge_from = fields.Date()
    bridge_to = fields.Date()
    status = fields.String()
    requested_by = fields.Integer()
    approved_by = fields.Integer(allow_none=True)
    advanced = fields.Boolean()
    ended_on = fields.Date(allow_none=True)


class ServiceQuery(Schema):
    member_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))


class ActivateIn(Schema):
    advance = fields.Boolean(required=True, metadata={
        "description": "Whether the fund pays the loan amount out of its bank account."})
    on = fields.Date(required=True)


class EndIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(
        [ServiceStatus.REPAID.value, ServiceStatus.DEFAULTED.value]))
    on = fields.Date(required=True)


class ExposureOut(Schema):
    member_id = fields.Integer()
    cap = fields.String()
    outstanding = fields.String(metadata={
        "description": "Approved, active and defaulted services (a default is never repaid)."})
    available = fields.String(metadata={"description": "What the cap still allows."})
    advanced = fields.String(metadata={"description": "The fund's money out, not yet back."})


class ExpenseIn(Schema):
    category = fields.String(required=True, validate=validate.OneOf(list(EXPENSE_ACCOUNTS)))
    amount = Amount(required=True, metadata={"example": "1200.50"})
    spent_on = fields.Date(required=True)
    payee = fields.String(required=True, validate=validate.Length(1, 200))
    memo = fields.String(required=True, validate=validate.Length(1, 300))

    @post_load
    def money(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "amount": parse_amount_field(data["amount"], "amount")}


class ExpenseOut(Schema):
    id = fields.Integer()
    category = fields.String()
    amount = fields.String()
    spent_on = fields.Date()
    payee = fields.String()
    memo = fields.String()
    entry_seq = fields.Integer()
    created_by = fields.String()


class PositionOut(Schema):
    operating_funds = fields.String(metadata={"description": "Operating income less expenses."})
    bank = fields.String()


def _present(record: Any, *money: str) -> dict[str, Any]:
    found = asdict(record)
    for name in money:
        found[name] = format_amount(getattr(record, name))
    return found


def present_service(s: bridging.Service) -> dict[str, Any]:
    return _present(s, "loan_amount")


# --- services ---------------------------------------------------------------------------------
@blp.route("/services", methods=["GET"])
@requires(*STAFF)
@blp.arguments(ServiceQuery, location="query", as_kwargs=True)
@blp.response(200, ServiceOut(many=True))
def list_services(member_id: int | None = None) -> list[dict[str, Any]]:
    """Bridging services, of one member or all."""
    return [present_service(s) for s in bridging.services(uow(), member_id)]


@blp.route("/services", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(ServiceIn)
@blp.response(201, ServiceOut)
def request_service(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Request a bridging service for a member's maturing loan (someone else approves it)."""
    found = bridging.request_service(uow(), current_actor(), **data)
    return present_service(found), 201, {
        "Location": url_for("bridging.get_service", service_id=found.id)}


@blp.route("/services/<int:service_id>")
@requires(*STAFF)
@blp.response(200, ServiceOut)
def get_service(service_id: int) -> dict[str, Any]:
    """One bridging service."""
    return present_service(bridging.service(uow(), service_id))


@blp.route("/services/<int:service_id>/approve", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.response(200, ServiceOut)
def approve_service(service_id: int) -> dict[str, Any]:
    """Approve a service (not its requester); refused if it would exceed the member's cap."""
    return present_service(bridging.approve_service(uow(), current_actor(), service_id))


@blp.route("/services/<int:service_id>/reject", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.response(200, ServiceOut)
def reject_service(service_id: int) -> dict[str, Any]:
    """Reject a requested service (not its requester)."""
    return present_service(bridging.reject_service(uow(), current_actor(), service_id))


@blp.route("/services/<int:service_id>/activate", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(ActivateIn)
@blp.response(200, ServiceOut)
def activate_service(data: dict[str, Any], service_id: int) -> dict[str, Any]:
    """The bridge starts; with `advance` the fund pays the loan amount (posted)."""
    return present_service(bridging.activate_service(uow(), current_actor(), service_id,
                                                     **data))


@blp.route("/services/<int:service_id>/end", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(EndIn)
@blp.response(200, ServiceOut)
def end_service(data: dict[str, Any], service_id: int) -> dict[str, Any]:
    """Repaid (an advance comes back) or defaulted (an advance is written off)."""
    return present_service(bridging.end_service(
        uow(), current_actor(), service_id, status=ServiceStatus(data["status"]),
        on=data["on"]))


@blp.route("/members/<int:member_id>/exposure")
@requires(*STAFF)
@blp.response(200, ExposureOut)
def member_exposure(member_id: int) -> dict[str, Any]:
    """A member's cap, its outstanding services, what is left, and the fund's money out."""
    return _present(bridging.exposure(uow(), member_id), "cap", "outstanding", "available",
                    "advanced")


# --- operating expenses -----------------------------------------------------------------------
@blp.route("/expenses", methods=["GET"])
@requires(*STAFF)
@blp.response(200, ExpenseOut(many=True))
def list_expenses() -> list[dict[str, Any]]:
    """The fund's operating expenses."""
    return [_present(e, "amount") for e in expenses.expenses(uow())]


@blp.route("/expenses", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(ExpenseIn)
@blp.response(201, ExpenseOut)
def record_expense(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Record an operating expense; refused if the fund's operating money cannot cover it."""
    return _present(expenses.record_expense(uow(), current_actor(), **data), "amount"), 201


@blp.route("/fund/position")
@requires(*STAFF)
@blp.response(200, PositionOut)
def fund_position() -> dict[str, Any]:
    """The fund's operating money (what expenses may use) and its bank balance."""
    return _present(expenses.position(uow()), "operating_funds", "bank")
