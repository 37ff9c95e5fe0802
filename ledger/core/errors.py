"""One hierarchy of domain errors.

The core raises these; only `api/` maps them to HTTP statuses and problem details. Each class
has a stable `code` (a slug used in problem-detail type URIs) and a human message.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "ledger-error"
    title = "The ledger refused the request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- bad input -------------------------------------------------------------------------------
class InvalidInput(LedgerError):
    """The request is well-formed but a value breaks a rule."""

    code = "invalid-input"
    title = "A value is not acceptable"


class InvalidAmount(InvalidInput):
    code = "invalid-amount"
    title = "The amount is not acceptable"


class InvalidEntry(InvalidInput):
    """A journal entry breaks a double-entry rule."""

    code = "invalid-entry"
    title = "The journal entry is not acceptable"


class Unbalanced(InvalidEntry):
    code = "unbalanced-entry"
    title = "Debits do not equal credits"


class TooFewPostings(InvalidEntry):
    code = "too-few-postings"
    title = "An entry needs at least two postings"


class ZeroPosting(InvalidEntry):
    code = "zero-posting"
    title = "A posting must move a positive amount"


class UnknownAccount(InvalidEntry):
    code = "unknown-account"
    title = "No such account in this entity's chart"


class UnknownEntity(InvalidInput):
    code = "unknown-entity"
    title = "No such reporting entity"


# --- state conflicts -------------------------------------------------------------------------
class Conflict(LedgerError):
    """The request is valid but the current state forbids it."""

    code = "conflict"
    title = "The current state forbids this"


class ClosedPeriod(Conflict):
    code = "closed-period"
    title = "The period is closed"


class AlreadyReversed(Conflict):
    code = "already-reversed"
    title = "The entry has already been reversed"


class NotReversible(Conflict):
    code = "not-reversible"
    title = "The entry cannot be reversed"


# --- lookups ---------------------------------------------------------------------------------
class NotFound(LedgerError):
    code = "not-found"
    title = "Not found"


class EntryNotFound(NotFound):
    code = "entry-not-found"
    title = "No such journal entry"


class EntityNotFound(NotFound):
    code = "entity-not-found"
    title = "No such reporting entity"


class AccountNotFound(NotFound):
    code = "account-not-found"
    title = "No such account"


# --- idempotent writes -----------------------------------------------------------------------
class IdempotencyKeyInUse(Conflict):
    code = "idempotency-key-in-use"
    title = "A request with this Idempotency-Key is still being processed"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency-key-reused"
    title = "This Idempotency-Key was used for a different request"
