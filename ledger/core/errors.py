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

    def extensions(self) -> dict[str, object]:
        """Further members of the problem details an API answer carries (none by default)."""
        return {}


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


class WeakPassword(InvalidInput):
    """The password breaks the password policy; `rules` says which parts of it."""

    code = "weak-password"
    title = "The password is not acceptable"

    def __init__(self, rules: list) -> None:  # type: ignore[type-arg]  # list[PasswordRule]
        super().__init__("; ".join(rule.message for rule in rules), field="password")
        self.rules = rules


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


# --- who may do what -------------------------------------------------------------------------
class Forbidden(LedgerError):
    """The person asking may not do this."""

    code = "forbidden"
    title = "You may not do this"


class SelfApproval(Forbidden):
    """Maker-checker: the submitter of something can never be the one who approves it."""

    code = "self-approval"
    title = "You cannot approve your own submission"


class InvalidCredentials(LedgerError):
    """Wrong username or password (deliberately not saying which)."""

    code = "invalid-credentials"
    title = "Wrong username or password"


class TooManyAttempts(LedgerError):
    """Too many failed logins for this account or from this address; wait and retry."""

    code = "too-many-attempts"
    title = "Too many failed attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UserNotFound(NotFound):
    code = "user-not-found"
    title = "No such staff account"


class VoucherNotFound(NotFound):
    code = "voucher-not-found"
    title = "No such voucher"


class TokenNotFound(NotFound):
    code = "token-not-found"
    title = "No such access token"


class AlreadyExists(Conflict):
    code = "already-exists"
    title = "It exists already"


class AlreadyDecided(Conflict):
    code = "already-decided"
    title = "The voucher has already been decided"
