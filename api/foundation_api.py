"""JSON API of the community foundation's money: income by source and restriction, releases of
restrictions, the funds available for grants, and the grantees (social organisations)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import url_for
from marshmallow import Schema, fields, post_load, validate

from ledger import foundation, grantees
from ledger.core.grants import Availability, IncomeSource, Registration, Restriction
from ledger.core.money import format_amount

from .auth import STAFF, current_actor, requires
from .idempotency import idempotent
from .mutual_aid import MANAGERS, parse_amount_field
from .routing import Blueprint
from .schemas import Amount
from .state import uow

blp = Blueprint("foundation", __name__, url_prefix="/api",
                description="The foundation's income, restrictions, available funds and grantees")
ID = validate.Range(1, 2**31 - 1)


# --- schemas ----------------------------------------------------------------------------------
class IncomeIn(Schema):
    source = fields.String(required=True, validate=validate.OneOf([s.value for s in IncomeSource]),
                           metadata={"example": "welfare_lottery"})
    donor = fields.String(required=True, validate=validate.Length(1, 200),
                          metadata={"example": "嘉兴市民政局 福彩公益金"})
    anonymous = fields.Boolean(load_default=False, metadata={
        "description": "The public pages show the donor as anonymous."})
    amount = Amount(required=True, metadata={"example": "500000.00"})
    received_on = fields.Date(required=True)
    restriction = fields.String(load_default=Restriction.NONE.value,
                                validate=validate.OneOf([r.value for r in Restriction]),
                                metadata={"description": "none (非限定性), or restricted "
                                          "(限定性) to a purpose or to a grant round."})
    purpose = fields.String(load_default=None, validate=validate.Length(max=300), metadata={
        "description": "Required when the restriction is `purpose`."})
    round_id = fields.Integer(load_default=None, validate=ID, metadata={
        "description": "The grant round, when the restriction is `round`."})
    reference = fields.String(load_default="", validate=validate.Length(max=100),
                              metadata={"description": "Bank reference or receipt number."})

    @post_load
    def money(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "amount": parse_amount_field(data["amount"], "amount"),
                "source": IncomeSource(data["source"]),
                "restriction": Restriction(data["restriction"])}


class ReleaseIn(Schema):
    amount = Amount(required=True, metadata={"example": "20000.00"})
    on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 300))

    @post_load
    def money(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "amount": parse_amount_field(data["amount"], "amount")}


class ReleaseOut(Schema):
    id = fields.Integer()
    income_id = fields.Integer()
    amount = fields.String()
    released_on = fields.Date()
    reason = fields.String()
    grant_id = fields.Integer(allow_none=True, metadata={
        "description": "The grant that spent the money, when the release came with it."})
    entry_seq = fields.Integer()
    restored = fields.Boolean(metadata={
        "description": "True: grant money of the round came back and is restricted again."})


class IncomeOut(Schema):
    id = fields.Integer()
    source = fields.String()
    donor = fields.String()
    anonymous = fields.Boolean()
    public_donor = fields.String(metadata={"description": "The donor as the public sees it."})
    amount = fields.String()
    received_on = fields.Date()
    restriction = fields.String()
    purpose = fields.String(allow_none=True)
    round_id = fields.Integer(allow_none=True)
    account = fields.String(metadata={"description": "The income account credited."})
    reference = fields.String()
    entry_seq = fields.Integer()
    released = fields.String(metadata={"description": "Restricted money released so far."})
    restricted_left = fields.String(metadata={"description": "Still restricted."})
    created_by = fields.String()


class IncomeDetailOut(IncomeOut):
    releases = fields.List(fields.Nested(ReleaseOut))


class FundsOut(Schema):
    balance = fields.String(metadata={"description": "Cash and bank."})
    committed = fields.String(metadata={"description": "Grants approved, not yet paid."})
    reserved = fields.String(metadata={
        "description": "Budgets of open rounds not yet committed."})
    restricted = fields.String(metadata={
        "description": "Restricted money not covered by a round's reservation."})
    available = fields.String(metadata={
        "description": "balance - committed - reserved - restricted: what new rounds may use."})


class GranteeIn(Schema):
    name_zh = fields.String(required=True, validate=validate.Length(1, 200),
                            metadata={"example": "新塍镇社会工作服务中心"})
    name_en = fields.String(load_default=None, validate=validate.Length(max=200))
    credit_code = fields.String(required=True, validate=validate.Length(1, 40), metadata={
        "description": "Unified social credit code (GB 32100-2015), check character verified."})
    registration = fields.String(required=True,
                                 validate=validate.OneOf([r.value for r in Registration]),
                                 metadata={"description": "registered (登记) or filed (备案)."})
    contact_name = fields.String(required=True, validate=validate.Length(1, 100))
    contact_phone = fields.String(required=True, validate=validate.Length(1, 40))
    bank_name = fields.String(required=True, validate=validate.Length(1, 100))
    bank_account = fields.String(required=True, validate=validate.Length(1, 40))

    @post_load
    def kinds(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "registration": Registration(data["registration"])}


class GranteeOut(Schema):
    id = fields.Integer()
    name_zh = fields.String()
    name_en = fields.String(allow_none=True)
    credit_code = fields.String()
    registration = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String()
    bank_name = fields.String()
    bank_account = fields.String()


# --- presenters -------------------------------------------------------------------------------
def present_income(i: foundation.Income) -> dict[str, Any]:
    return {**asdict(i), "amount": format_amount(i.amount),
            "released": format_amount(i.released),
            "restricted_left": format_amount(i.restricted_left), "public_donor": i.public_donor}


def present_release(r: foundation.Release) -> dict[str, Any]:
    return {**asdict(r), "amount": format_amount(r.amount)}


def present_funds(a: Availability) -> dict[str, str]:
    return {name: format_amount(getattr(a, name))
            for name in ("balance", "committed", "reserved", "restricted", "available")}


# --- income -----------------------------------------------------------------------------------
@blp.route("/incomes", methods=["GET"])
@requires(*STAFF)
@blp.response(200, IncomeOut(many=True))
def list_incomes() -> list[dict[str, Any]]:
    """The foundation's income, oldest first, with what is still restricted."""
    return [present_income(i) for i in foundation.incomes(uow())]


@blp.route("/incomes", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(IncomeIn)
@blp.response(201, IncomeOut)
def record_income(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Record money received: posted to the income account of its source and restriction."""
    found = foundation.record_income(uow(), current_actor(), **data)
    return present_income(found), 201, {
        "Location": url_for("foundation.get_income", income_id=found.id)}


@blp.route("/incomes/<int:income_id>")
@requires(*STAFF)
@blp.response(200, IncomeDetailOut)
def get_income(income_id: int) -> dict[str, Any]:
    """One income with the releases of its restriction."""
    return {**present_income(foundation.income(uow(), income_id)),
            "releases": [present_release(r) for r in foundation.releases(uow(), income_id)]}


@blp.route("/incomes/<int:income_id>/releases", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(ReleaseIn)
@blp.response(201, ReleaseOut)
def release_restriction(data: dict[str, Any], income_id: int
                        ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Release (part of) a restricted income whose restriction is met.

    The amount moves from restricted to unrestricted net assets (posted)."""
    found = foundation.release_restriction(uow(), current_actor(), income_id, **data)
    return present_release(found), 201, {
        "Location": url_for("foundation.get_income", income_id=income_id)}


@blp.route("/foundation/funds")
@requires(*STAFF)
@blp.response(200, FundsOut)
def funds() -> dict[str, str]:
    """The foundation's balance, commitments, reservations, restricted and available money."""
    return present_funds(foundation.funds(uow()))


# --- grantees ---------------------------------------------------------------------------------
@blp.route("/grantees", methods=["GET"])
@requires(*STAFF)
@blp.response(200, GranteeOut(many=True))
def list_grantees() -> list[dict[str, Any]]:
    """The social organisations registered as grantees."""
    return [asdict(g) for g in grantees.grantees(uow())]


@blp.route("/grantees", methods=["POST"])
@requires(*MANAGERS)
@idempotent
@blp.arguments(GranteeIn)
@blp.response(201, GranteeOut)
def register_grantee(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Register a social organisation as a grantee (its credit code is checked, once only)."""
    found = grantees.register_grantee(uow(), current_actor(), **data)
    return asdict(found), 201, {
        "Location": url_for("foundation.get_grantee", grantee_id=found.id)}


@blp.route("/grantees/<int:grantee_id>")
@requires(*STAFF)
@blp.response(200, GranteeOut)
def get_grantee(grantee_id: int) -> dict[str, Any]:
    """One grantee."""
    return asdict(grantees.grantee(uow(), grantee_id))
