"""Marshmallow schemas of the books API: what comes in, what goes out, and the OpenAPI doc."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ledger.core.chart import ENTITIES
from ledger.core.entries import MAX_MEMO, MAX_POSTINGS, Posting, SourceRef
from ledger.core.errors import InvalidAmount
from ledger.core.money import DEFAULT_CURRENCY, currency_of, parse_money, to_decimal
from ledger.db.journal import MAX_SEQ

ENTITY = validate.OneOf(list(ENTITIES))


class Amount(fields.String):
    """A money amount as a decimal string ("350000.00"). JSON numbers are refused: a float
    cannot hold fen exactly, and a client that sends one has probably lost precision already."""

    default_error_messages = {  # noqa: RUF012 - marshmallow's own convention
        "invalid": 'must be a decimal string such as "350000.00", not a JSON number',
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            to_decimal(value)
        except InvalidAmount as error:
            raise ValidationError(error.message) from None
        return value.strip()


class SourceIn(Schema):
    kind = fields.String(required=True, validate=validate.Length(1, 40))
    id = fields.String(required=True, validate=validate.Length(1, 100))

    @post_load
    def make(self, data: dict[str, str], **_: Any) -> SourceRef:
        return SourceRef(data["kind"], data["id"])


class PostingIn(Schema):
    account = fields.String(required=True, validate=validate.Length(1, 16),
                            metadata={"example": "1002"})
    debit = Amount(metadata={"example": "350000.00"})
    credit = Amount(metadata={"example": "105000.00"})
    currency = fields.String(load_default=DEFAULT_CURRENCY, validate=validate.Length(3, 3))
    memo = fields.String(load_default="", validate=validate.Length(max=MAX_MEMO))

    @validates_schema
    def one_side(self, data: dict[str, Any], **_: Any) -> None:
        if ("debit" in data) == ("credit" in data):
            raise ValidationError("give exactly one of debit or credit", "_schema")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Posting:
        side = "debit" if "debit" in data else "credit"
        try:
            currency = currency_of(data["currency"])
        except InvalidAmount as error:
            raise ValidationError(error.message, "currency") from None
        try:
            amount = parse_money(data[side], currency)
        except InvalidAmount as error:
            raise ValidationError(error.message, side) from None
        make = Posting.debit if side == "debit" else Posting.credit
        return make(data["account"], amount, data["memo"])


class EntryIn(Schema):
    entity = fields.String(required=True, validate=ENTITY, metadata={"example": "fund"})
    effective_date = fields.Date(required=True, metadata={"example": "2026-11-01"})
    memo = fields.String(load_default="", validate=validate.Length(max=MAX_MEMO))
    postings = fields.List(fields.Nested(PostingIn), required=True,
                           validate=validate.Length(2, MAX_POSTINGS))
    source = fields.Nested(SourceIn, load_default=None)

    @post_load
    def freeze(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "postings": tuple(data["postings"])}


#: Most entries one POST /api/entries/batch may carry (larger imports: the CLI or several calls).
MAX_BATCH = 10_000


class BatchIn(Schema):
    entries = fields.List(fields.Nested(EntryIn), required=True,
                          validate=validate.Length(1, MAX_BATCH),
                          metadata={"description": f"1 to {MAX_BATCH:,} entries, each as for "
                                                   f"POST /api/entries; all or none are posted."})


class BatchOut(Schema):
    count = fields.Integer()
    first = fields.Integer(metadata={"description": "Number of the batch's first entry."})
    last = fields.Integer(metadata={"description": "Number of the batch's last entry."})
    seqs = fields.List(fields.Integer(), metadata={
        "description": "The entries' numbers, in the order of the request's `entries`."})


class ReversalIn(Schema):
    effective_date = fields.Date(metadata={"description": "Defaults to today (Asia/Shanghai)."})
    memo = fields.String(validate=validate.Length(1, MAX_MEMO))


class PostingOut(Schema):
    line = fields.Integer()
    account = fields.String()
    account_name_zh = fields.String()
    account_name_en = fields.String()
    currency = fields.String()
    debit = fields.String(allow_none=True)
    credit = fields.String(allow_none=True)
    memo = fields.String()


class SourceOut(Schema):
    kind = fields.String()
    id = fields.String()


class EntryOut(Schema):
    seq = fields.Integer()
    entity = fields.String()
    effective_date = fields.Date()
    recorded_at = fields.DateTime()
    memo = fields.String()
    actor = fields.String()
    source = fields.Nested(SourceOut, allow_none=True)
    reverses = fields.Integer(allow_none=True)
    reversed_by = fields.Integer(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()
    postings = fields.List(fields.Nested(PostingOut))


class EntryPageOut(Schema):
    items = fields.List(fields.Nested(EntryOut))
    next_cursor = fields.String(allow_none=True, metadata={
        "description": "Pass as `cursor` to get the next page; null on the last page."})


class Cursor(fields.String):
    """An opaque keyset cursor (the last sequence number seen)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            decoded = base64.urlsafe_b64decode(text.encode() + b"==").decode()
            kind, _, number = decoded.partition(":")
            if kind != "after" or not number.isdigit() or int(number) > MAX_SEQ:
                raise ValueError
            return int(number)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValidationError("not a cursor returned by this API") from None

    @staticmethod
    def encode(seq: int) -> str:
        return base64.urlsafe_b64encode(f"after:{seq}".encode()).decode().rstrip("=")


class EntryQuery(Schema):
    entity = fields.String(validate=ENTITY)
    account = fields.String(validate=validate.Length(1, 16),
                            metadata={"description": "Only entries with a posting to it."})
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    cursor = Cursor()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class AsOfQuery(Schema):
    as_of = fields.Date(metadata={"description": "Defaults to today (Asia/Shanghai)."})


class TrialBalanceQuery(AsOfQuery):
    entity = fields.String(required=True, validate=ENTITY)


class EntityOut(Schema):
    code = fields.String()
    kind = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class AccountOut(Schema):
    entity = fields.String()
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    type = fields.String()
    normal_side = fields.String()
    restricted = fields.Boolean()


class BalanceLineOut(Schema):
    currency = fields.String()
    debits = fields.String(metadata={"description": "Sum of debits up to the date."})
    credits = fields.String(metadata={"description": "Sum of credits up to the date."})
    balance = fields.String(metadata={"description": "On the account's normal side."})


class AccountBalanceOut(Schema):
    entity = fields.String()
    account = fields.Nested(AccountOut)
    as_of = fields.Date()
    balances = fields.List(fields.Nested(BalanceLineOut))


class TrialBalanceLineOut(Schema):
    account = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    type = fields.String()
    currency = fields.String()
    debit = fields.String(metadata={"description": "Balance when it is a debit, else 0."})
    credit = fields.String(metadata={"description": "Balance when it is a credit, else 0."})


class TotalOut(Schema):
    currency = fields.String()
    debit = fields.String()
    credit = fields.String()


class TrialBalanceOut(Schema):
    entity = fields.String()
    as_of = fields.Date()
    balanced = fields.Boolean()
    lines = fields.List(fields.Nested(TrialBalanceLineOut))
    totals = fields.List(fields.Nested(TotalOut))


class ProblemOut(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "Field name -> messages, for invalid input."})
