"""JSON API for staff: who am I, access tokens, accounts (admins), the audit log (auditors),
and vouchers: manual entries prepared by one person and approved by another."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import g, url_for

from ledger import staff, vouchers
from ledger.core.audit import AuditRecord
from ledger.core.entries import JournalEntry
from ledger.core.staff import Role
from ledger.db.audit import AuditFilter

from . import staff_schemas as s
from .auth import STAFF, current_actor, requires
from .books import present_postings
from .idempotency import idempotent
from .routing import Blueprint
from .state import uow

blp = Blueprint("staff_api", __name__, url_prefix="/api",
                description="Staff accounts, access tokens, the audit log and vouchers")
PREPARERS = (Role.FUND_MANAGER, Role.ADMIN)


def present_user(user: staff.StaffUser) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "roles": sorted(user.roles), "disabled": user.disabled,
            "created_at": user.created_at}


def present_audit(record: AuditRecord) -> dict[str, Any]:
    return {"seq": record.seq, "at": record.at, "username": record.actor.username,
            "user_id": record.actor.user_id,
            "role": record.actor.role.value if record.actor.role else None,
            "address": record.actor.address, "action": record.action,
            "object_type": record.object_type, "object_id": record.object_id,
            "details": record.details, "prev_hash": record.prev_hash, "hash": record.hash}


def present_voucher(v: vouchers.Voucher) -> dict[str, Any]:
    return {"id": v.id, "entity": v.entity, "status": v.status,
            "entry": {"entity": v.entry.entity, "effective_date": v.entry.effective_date,
                      "memo": v.entry.memo,
                      "postings": present_postings(v.entry.entity, v.entry.postings)},
            "submitted_by": v.submitted_by, "submitted_at": v.submitted_at,
            "decided_by": v.decided_by, "decided_at": v.decided_at, "reason": v.reason,
            "entry_seq": v.entry_seq}


# --- me and my tokens -------------------------------------------------------------------------
@blp.route("/me")
@requires(*STAFF)
@blp.response(200, s.MeOut)
def me() -> dict[str, Any]:
    """The account behind the access token, its roles, and the role this call used."""
    user = g.user
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "roles": sorted(user.roles), "role_used": g.role}


@blp.route("/tokens", methods=["GET"])
@requires(*STAFF)
@blp.response(200, s.TokenOut(many=True))
def list_tokens() -> list[Any]:
    """My personal access tokens (never their secrets)."""
    return [asdict(t) for t in staff.tokens(uow(), current_actor().username)]


@blp.route("/tokens", methods=["POST"])
@requires(*STAFF)
@idempotent(redact=("token",))
@blp.arguments(s.TokenIn)
@blp.response(201, s.NewTokenOut)
def create_token(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create a personal access token. The secret is in this response and nowhere else."""
    actor = current_actor()
    secret, token = staff.create_token(uow(), actor, actor.username, data["name"])
    return {**asdict(token), "token": secret}, 201


@blp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires(*STAFF)
@idempotent
@blp.response(200, s.TokenOut)
def revoke_token(token_id: int) -> dict[str, Any]:
    """Revoke a token: your own, or anyone's if you are an admin."""
    return asdict(staff.revoke_token(uow(), current_actor(), token_id))


# --- accounts (admins) ------------------------------------------------------------------------
@blp.route("/users", methods=["GET"])
@requires(Role.ADMIN)
@blp.response(200, s.UserOut(many=True))
def list_users() -> list[dict[str, Any]]:
    """Every staff account with its roles."""
    return [present_user(u) for u in staff.users(uow())]


@blp.route("/users", methods=["POST"])
@requires(Role.ADMIN)
@idempotent
@blp.arguments(s.UserIn)
@blp.response(201, s.UserOut)
def create_user(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create a staff account (password: at least 12 characters, not a common one)."""
    user = staff.create_user(uow(), current_actor(), **data)
    return present_user(user), 201


@blp.route("/users/<username>/roles", methods=["POST"])
@requires(Role.ADMIN)
@idempotent
@blp.arguments(s.RolesIn)
@blp.response(200, s.UserOut)
def set_roles(data: dict[str, Any], username: str) -> dict[str, Any]:
    """Replace an account's roles (its sessions end)."""
    return present_user(staff.set_roles(uow(), current_actor(), username, data["roles"]))


@blp.route("/users/<username>/disable", methods=["POST"])
@requires(Role.ADMIN)
@idempotent
@blp.response(200, s.UserOut)
def disable_user(username: str) -> dict[str, Any]:
    """Disable an account: its sessions end and its tokens are revoked."""
    return present_user(staff.disable_user(uow(), current_actor(), username))


# --- the audit log (auditors, admins) ---------------------------------------------------------
@blp.route("/audit")
@requires(Role.AUDITOR, Role.ADMIN)
@blp.arguments(s.AuditQuery, location="query", as_kwargs=True)
@blp.response(200, s.AuditPageOut)
def audit_log(limit: int, before: int | None = None, **filters: Any) -> dict[str, Any]:
    """Audit records, newest first, filtered; page with `before`."""
    found = staff.audit_records(uow(), AuditFilter(**filters), before=before, limit=limit + 1)
    page = found[:limit]
    return {"items": [present_audit(r) for r in page],
            "next_before": page[-1].seq if len(found) > limit else None}


# --- vouchers: prepared by one, approved by another -------------------------------------------
@blp.route("/vouchers", methods=["GET"])
@requires(*STAFF)
@blp.arguments(s.VoucherQuery, location="query", as_kwargs=True)
@blp.response(200, s.VoucherOut(many=True))
def list_vouchers(status: str | None = None) -> list[dict[str, Any]]:
    """Vouchers, newest first (the 100 most recent)."""
    return [present_voucher(v) for v in vouchers.find(uow(), status)]


@blp.route("/vouchers/<int:voucher_id>")
@requires(*STAFF)
@blp.response(200, s.VoucherOut)
def get_voucher(voucher_id: int) -> dict[str, Any]:
    """One voucher."""
    return present_voucher(vouchers.get(uow(), voucher_id))


@blp.route("/vouchers", methods=["POST"])
@requires(*PREPARERS)
@idempotent
@blp.arguments(s.VoucherIn)
@blp.response(201, s.VoucherOut)
def submit_voucher(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Prepare a manual journal entry (制单). It is posted when someone else approves it."""
    actor = current_actor()
    entry = JournalEntry(actor=actor.username, **{**data, "postings": tuple(data["postings"])})
    voucher = vouchers.submit(uow(), actor, entry)
    return present_voucher(voucher), 201, {
        "Location": url_for("staff_api.get_voucher", voucher_id=voucher.id)}


@blp.route("/vouchers/<int:voucher_id>/approve", methods=["POST"])
@requires(*PREPARERS)
@idempotent
@blp.response(200, s.VoucherOut)
def approve_voucher(voucher_id: int) -> dict[str, Any]:
    """Approve (审核) and post a voucher. Its preparer cannot approve it."""
    return present_voucher(vouchers.approve(uow(), current_actor(), voucher_id))


@blp.route("/vouchers/<int:voucher_id>/reject", methods=["POST"])
@requires(*PREPARERS)
@idempotent
@blp.arguments(s.RejectIn)
@blp.response(200, s.VoucherOut)
def reject_voucher(data: dict[str, Any], voucher_id: int) -> dict[str, Any]:
    """Reject a voucher with a reason. Its preparer cannot reject it either."""
    return present_voucher(vouchers.reject(uow(), current_actor(), voucher_id, data["reason"]))
