"""JSON API of the books: entities, accounts, entries, reversals, balances, trial balance.

Views are thin: parse (schema) -> one use case -> present.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import request, url_for

from ledger import books, bulk
from ledger.core.balances import AccountBalance, TrialBalance
from ledger.core.chart import ENTITIES, Account, chart_of
from ledger.core.entries import JournalEntry, PostedEntry, Posting
from ledger.core.errors import AccountNotFound, EntityNotFound
from ledger.core.money import format_amount, from_minor
from ledger.core.staff import Role
from ledger.db.journal import EntryFilter

from . import schemas as s
from .auth import STAFF, current_actor, requires
from .idempotency import HEADER, idempotent
from .problems import PROBLEM_JSON
from .routing import Blueprint
from .state import uow

blp = Blueprint("books", __name__, url_prefix="/api",
                description="The double-entry books of both entities")


# --- presenters ------------------------------------------------------------------------------
def present_account(entity_code: str, a: Account) -> dict[str, Any]:
    return {"entity": entity_code, "code": a.code, "name_zh": a.name_zh, "name_en": a.name_en,
            "type": a.type.value, "normal_side": a.normal_side.value, "restricted": a.restricted}


def present_postings(entity_code: str, postings: tuple[Posting, ...]) -> list[dict[str, Any]]:
    chart = chart_of(entity_code)
    return [{
        "line": line, "account": p.account,
        "account_name_zh": chart[p.account].name_zh,
        "account_name_en": chart[p.account].name_en,
        "currency": p.currency,
        "debit": format_amount(p.amount) if p.debit_minor else None,
        "credit": format_amount(p.amount) if p.credit_minor else None,
        "memo": p.memo,
    } for line, p in enumerate(postings, start=1)]


def present_entry(e: PostedEntry) -> dict[str, Any]:
    return {
        "seq": e.seq, "entity": e.entity, "effective_date": e.effective_date,
        "recorded_at": e.recorded_at, "memo": e.memo, "actor": e.actor,
        "source": {"kind": e.source.kind, "id": e.source.id} if e.source else None,
        "reverses": e.reverses, "reversed_by": e.reversed_by,
        "prev_hash": e.prev_hash, "hash": e.hash,
        "postings": present_postings(e.entity, e.postings),
    }


def _fmt(minor: int, currency: str) -> str:
    return format_amount(from_minor(minor, currency))


def present_balances(lines: list[AccountBalance]) -> list[dict[str, str]]:
    return [{"currency": b.currency, "debits": _fmt(b.debits, b.currency),
             "credits": _fmt(b.credits, b.currency), "balance": _fmt(b.net, b.currency)}
            for b in lines]


def present_trial_balance(tb: TrialBalance) -> dict[str, Any]:
    return {
        "entity": tb.entity, "as_of": tb.as_of, "balanced": tb.balanced,
        "lines": [{
            "account": line.account.code, "name_zh": line.account.name_zh,
            "name_en": line.account.name_en, "type": line.account.type.value,
            "currency": line.currency, "debit": _fmt(line.debit_column, line.currency),
            "credit": _fmt(line.credit_column, line.currency),
        } for line in tb.lines],
        "totals": [{"currency": cur, "debit": _fmt(d, cur), "credit": _fmt(c, cur)}
                   for cur, (d, c) in tb.totals().items()],
    }


def _path_entity(code: str) -> str:
    if code not in ENTITIES:
        raise EntityNotFound(f"there is no entity {code!r}; known: {', '.join(ENTITIES)}")
    return code


def _path_account(entity_code: str, code: str) -> Account:
    found = chart_of(_path_entity(entity_code)).get(code)
    if found is None:
        raise AccountNotFound(f"entity {entity_code!r} has no account {code!r}")
    return found


def _created(posted: PostedEntry) -> tuple[dict[str, Any], int, dict[str, str]]:
    return present_entry(posted), 201, {"Location": url_for("books.get_entry", seq=posted.seq)}


# --- routes ----------------------------------------------------------------------------------
@blp.route("/entities")
@requires(*STAFF)
@blp.response(200, s.EntityOut(many=True))
def list_entities() -> list[Any]:
    """The reporting entities: the mutual-aid fund and the community foundation."""
    return books.entities()


@blp.route("/entities/<entity_code>/accounts")
@requires(*STAFF)
@blp.response(200, s.AccountOut(many=True))
def list_accounts(entity_code: str) -> list[dict[str, Any]]:
    """An entity's chart of accounts."""
    return [present_account(entity_code, a) for a in books.accounts(_path_entity(entity_code))]


@blp.route("/entities/<entity_code>/accounts/<code>/balance")
@requires(*STAFF)
@blp.arguments(s.AsOfQuery, location="query", as_kwargs=True)
@blp.response(200, s.AccountBalanceOut)
def account_balance(entity_code: str, code: str, as_of: Any = None) -> dict[str, Any]:
    """An account's debits, credits and balance per currency, as of the end of a date."""
    a = _path_account(entity_code, code)
    day = as_of or books.today()
    return {"entity": entity_code, "account": present_account(entity_code, a), "as_of": day,
            "balances": present_balances(books.account_balance(uow(), entity_code, code, day))}


@blp.route("/entities/<entity_code>/trial-balance")
@requires(*STAFF)
@blp.arguments(s.AsOfQuery, location="query", as_kwargs=True)
@blp.response(200, s.TrialBalanceOut)
def trial_balance(entity_code: str, as_of: Any = None) -> dict[str, Any]:
    """Every account's balance in the debit or credit column; the two columns must agree."""
    return present_trial_balance(books.trial_balance(uow(), _path_entity(entity_code), as_of))


@blp.route("/entries", methods=["GET"])
@requires(*STAFF)
@blp.arguments(s.EntryQuery, location="query", as_kwargs=True)
@blp.response(200, s.EntryPageOut)
def list_entries(limit: int, cursor: int = 0, **filters: Any) -> dict[str, Any]:
    """Entries in sequence order, filtered by entity, account and date range; cursor-paged."""
    found = books.find_entries(uow(), EntryFilter(**filters), after=cursor, limit=limit + 1)
    page = found[:limit]
    more = len(found) > limit
    return {"items": [present_entry(e) for e in page],
            "next_cursor": s.Cursor.encode(page[-1].seq) if more else None}


@blp.route("/entries", methods=["POST"])
@requires(Role.ADMIN)
@idempotent
@blp.arguments(s.EntryIn, as_kwargs=True)
@blp.response(201, s.EntryOut)
@blp.alt_response(409, schema=s.ProblemOut, content_type=PROBLEM_JSON,
                  description="Closed period or key in use")
@blp.alt_response(422, schema=s.ProblemOut, content_type=PROBLEM_JSON,
                  description="The entry breaks a rule")
def post_entry(**fields: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Post a balanced entry directly (admins: migrations and system corrections).

    Staff record manual entries as vouchers, which another person approves."""
    actor = current_actor()
    return _created(books.post_manual(uow(), JournalEntry(actor=actor.username, **fields),
                                      by=actor))


@blp.route("/entries/batch", methods=["POST"])
@requires(Role.ADMIN)
@idempotent
@blp.arguments(s.BatchIn, as_kwargs=True)
@blp.response(201, s.BatchOut)
@blp.alt_response(409, schema=s.ProblemOut, content_type=PROBLEM_JSON,
                  description="Closed period or key in use")
@blp.alt_response(413, schema=s.ProblemOut, content_type=PROBLEM_JSON,
                  description="The body is too large")
@blp.alt_response(422, schema=s.ProblemOut, content_type=PROBLEM_JSON,
                  description="Entries break rules (`invalid_entries` lists each by index)")
def post_batch(entries: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """Post many balanced entries at once (admins: migrations): all of them, numbered and
    chained in the order given, or none; every bad entry is listed by its index."""
    actor = current_actor()
    key = hashlib.sha256(f"user:{actor.user_id}\n{request.headers[HEADER]}".encode()).hexdigest()
    done = bulk.import_entries(uow(), actor,
                               [JournalEntry(actor=actor.username, **e) for e in entries],
                               key=f"http:{key}", numbers=range(len(entries)), label="index")
    return {"count": done.count, "first": done.first, "last": done.last,
            "seqs": list(done.seqs)}, 201


@blp.route("/entries/<seq:seq>")
@requires(*STAFF)
@blp.response(200, s.EntryOut)
def get_entry(seq: int) -> dict[str, Any]:
    """One entry with its postings, hash and reversal links."""
    return present_entry(books.entry(uow(), seq))


@blp.route("/entries/<seq:seq>/reversal", methods=["POST"])
@requires(Role.ADMIN, Role.FUND_MANAGER)
@idempotent
@blp.arguments(s.ReversalIn, as_kwargs=True)
@blp.response(201, s.EntryOut)
@blp.alt_response(409, schema=s.ProblemOut, content_type=PROBLEM_JSON,
                  description="Already reversed, or closed period")
def reverse_entry(seq: int, **fields: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Correct a mistake: post a new entry that undoes entry `seq` exactly."""
    actor = current_actor()
    return _created(books.reverse_entry(uow(), seq, actor=actor.username, by=actor, **fields))
