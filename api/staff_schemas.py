"""Marshmallow schemas of the staff API: accounts, tokens, the audit log, vouchers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ledger.core.staff import ALL_ROLES

from .schemas import ENTITY, MAX_MEMO, MAX_POSTINGS, PostingIn, PostingOut, SourceIn

ROLE = validate.OneOf(sorted(ALL_ROLES))


class MeOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    role_used = fields.String(allow_none=True)


class UserIn(Schema):
    username = fields.String(required=True, validate=validate.Length(3, 40))
    display_name = fields.String(load_default="", validate=validate.Length(max=100))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(max=256))
    roles = fields.List(fields.String(validate=ROLE), required=True)


class RolesIn(Schema):
    roles = fields.List(fields.String(validate=ROLE), required=True)


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    disabled = fields.Boolean()
    created_at = fields.DateTime()


class TokenIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))


class TokenOut(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class NewTokenOut(TokenOut):
    token = fields.String(allow_none=True, metadata={
        "description": "The secret, shown only in this response (null on an idempotent replay)."})


class AuditQuery(Schema):
    username = fields.String(validate=validate.Length(1, 100))
    action = fields.String(validate=validate.Length(1, 60),
                           metadata={"description": "Prefix, e.g. 'login' or 'voucher.'"})
    object_type = fields.String(validate=validate.Length(1, 40))
    object_id = fields.String(validate=validate.Length(1, 100))
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    before = fields.Integer(validate=validate.Range(1, 2**63 - 1),
                            metadata={"description": "Records numbered below this (paging)."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class AuditOut(Schema):
    seq = fields.Integer()
    at = fields.DateTime()
    username = fields.String()
    user_id = fields.Integer(allow_none=True)
    role = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    details = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String()


class AuditPageOut(Schema):
    items = fields.List(fields.Nested(AuditOut))
    next_before = fields.Integer(allow_none=True)


class VoucherIn(Schema):
    entity = fields.String(required=True, validate=ENTITY)
    effective_date = fields.Date(required=True)
    memo = fields.String(load_default="", validate=validate.Length(max=MAX_MEMO))
    postings = fields.List(fields.Nested(PostingIn), required=True,
                           validate=validate.Length(2, MAX_POSTINGS))
    source = fields.Nested(SourceIn, load_default=None)


class RejectIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class VoucherQuery(Schema):
    status = fields.String(validate=validate.OneOf(["submitted", "approved", "rejected"]))


class DraftOut(Schema):
    """A journal entry not yet posted."""

    entity = fields.String()
    effective_date = fields.Date()
    memo = fields.String()
    postings = fields.List(fields.Nested(PostingOut))


class VoucherOut(Schema):
    id = fields.Integer()
    entity = fields.String()
    status = fields.String()
    entry = fields.Nested(DraftOut)
    submitted_by = fields.String()
    submitted_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    entry_seq = fields.Integer(allow_none=True)
