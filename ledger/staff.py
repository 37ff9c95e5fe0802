"""Use cases for staff accounts: create, roles, disable, passwords, logins and access tokens.

Every state change and every login attempt writes an audit record in the same transaction.
Passwords: Argon2id at OWASP's minimum (19 MiB, t=2, p=1). Logins are throttled per account
(5 failures in 15 minutes, counted from its last success) and per address (20 in 15 minutes).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ledger.books import now
from ledger.core.audit import AuditEvent, AuditRecord
from ledger.core.errors import (
    AlreadyExists,
    Forbidden,
    InvalidCredentials,
    TokenNotFound,
    TooManyAttempts,
    UserNotFound,
)
from ledger.core.staff import (
    Actor,
    Role,
    check_password,
    check_roles,
    check_username,
)
from ledger.db import audit as audit_db
from ledger.db.models import ApiTokenRow, UserRoleRow, UserRow
from ledger.db.session import Session, UnitOfWork
from ledger.db.staff import select_user, select_users, token_by_digest, token_rows

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = HASHER.hash("an unguessable password nobody has")
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
TOKEN_PREFIX = "hz_"


@dataclass(frozen=True, slots=True)
class StaffUser:
    id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    disabled: bool
    session_version: int
    created_at: datetime

    def actor(self, role: Role | None = None, address: str | None = None) -> Actor:
        return Actor(user_id=self.id, username=self.username, role=role, address=address)


@dataclass(frozen=True, slots=True)
class AccessToken:
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def _user(row: UserRow) -> StaffUser:
    return StaffUser(id=row.id, username=row.username, display_name=row.display_name,
                     roles=frozenset(Role(r.role) for r in row.roles), disabled=row.disabled,
                     session_version=row.session_version, created_at=row.created_at)


def _token(row: ApiTokenRow) -> AccessToken:
    return AccessToken(id=row.id, user_id=row.user_id, name=row.name, prefix=row.prefix,
                       created_at=row.created_at, revoked_at=row.revoked_at)


def _audit(session: Session, actor: Actor, action: str, object_type: str | None = None,
           object_id: str | None = None, **details: object) -> None:
    audit_db.record(session, AuditEvent(actor=actor, action=action, object_type=object_type,
                                        object_id=object_id, details=details), at=now())


def _row(session: Session, username: str) -> UserRow:
    row = session.scalar(select_user(username))
    if row is None:
        raise UserNotFound(f"there is no staff account {username!r}")
    return row


# --- accounts ---------------------------------------------------------------------------------
def create_user(uow: UnitOfWork, actor: Actor, *, username: str, display_name: str,
                password: str, roles: frozenset[Role] | list[str]) -> StaffUser:
    name = check_username(username)
    granted = check_roles(roles)
    check_password(password, username=name)
    display = display_name.strip() or name
    hashed = HASHER.hash(password)

    def work(session: Session) -> StaffUser:
        if session.scalar(select_user(name)) is not None:
            raise AlreadyExists(f"the username {name!r} is taken", field="username")
        row = UserRow(username=name, display_name=display[:100], password_hash=hashed,
                      disabled=False, session_version=1, created_at=now(),
                      roles=[UserRoleRow(role=r.value) for r in sorted(granted)])
        session.add(row)
        session.flush()
        _audit(session, actor, "user.created", "user", name, roles=sorted(granted))
        return _user(row)

    return uow.write(work)


def set_roles(uow: UnitOfWork, actor: Actor, username: str, roles: frozenset[Role] | list[str]
              ) -> StaffUser:
    granted = check_roles(roles)

    def work(session: Session) -> StaffUser:
        row = _row(session, username)
        if actor.user_id == row.id and Role.ADMIN not in granted and Role.ADMIN in {
                Role(r.role) for r in row.roles}:
            raise Forbidden("you cannot take the admin role from yourself; ask another admin")
        before = sorted(r.role for r in row.roles)
        row.roles = [UserRoleRow(role=r.value) for r in sorted(granted)]
        row.session_version += 1  # sessions carry roles: make them log in again
        session.flush()
        _audit(session, actor, "user.roles_set", "user", row.username,
               before=before, after=sorted(granted))
        return _user(row)

    return uow.write(work)


def disable_user(uow: UnitOfWork, actor: Actor, username: str) -> StaffUser:
    """Disable an account: its sessions end and its tokens are revoked."""

    def work(session: Session) -> StaffUser:
        row = _row(session, username)
        if actor.user_id == row.id:
            raise Forbidden("you cannot disable your own account")
        row.disabled = True
        row.session_version += 1
        moment = now()
        for token in session.scalars(token_rows(row.id)):
            if token.revoked_at is None:
                token.revoked_at = moment
        session.flush()
        _audit(session, actor, "user.disabled", "user", row.username)
        return _user(row)

    return uow.write(work)


def change_password(uow: UnitOfWork, actor: Actor, username: str, new_password: str, *,
                    current_password: str | None = None) -> StaffUser:
    """Set a new password; changing your own needs your current one (an admin resetting
    someone else's does not). Every session of the account ends. Refusals are audited too."""
    check_password(new_password, username=username)
    hashed = HASHER.hash(new_password)

    def work(session: Session) -> StaffUser | None:
        row = _row(session, username)
        if actor.user_id == row.id and not _verify(row.password_hash, current_password or ""):
            _audit(session, actor, "user.password_change_refused", "user", row.username)
            return None
        row.password_hash = hashed
        row.session_version += 1
        session.flush()
        _audit(session, actor, "user.password_changed", "user", row.username)
        return _user(row)

    changed = uow.write(work)
    if changed is None:
        raise InvalidCredentials("your current password is not right", field="current_password")
    return changed


def users(uow: UnitOfWork) -> list[StaffUser]:
    return uow.read(lambda session: [_user(r) for r in session.scalars(select_users())])


def user(uow: UnitOfWork, username: str) -> StaffUser:
    return uow.read(lambda session: _user(_row(session, username)))


def user_by_id(uow: UnitOfWork, user_id: int) -> StaffUser | None:
    row = uow.read(lambda session: session.get(UserRow, user_id))
    return _user(row) if row is not None else None


def has_active_admin(uow: UnitOfWork) -> bool:
    return any(Role.ADMIN in u.roles and not u.disabled for u in users(uow))


# --- logging in -------------------------------------------------------------------------------
def authenticate(uow: UnitOfWork, username: str, password: str, address: str) -> StaffUser:
    """The account for these credentials, or InvalidCredentials / TooManyAttempts.

    Every attempt is audited, whatever its outcome. The slow Argon2 check runs outside any
    transaction (it must not hold up the books), and runs exactly once whether or not the
    account exists, so timing does not tell which usernames exist. The throttle is checked
    again in the writing transaction, so concurrent guesses cannot slip past it."""
    name = username.strip().lower()[:100]
    visitor = Actor(user_id=None, username=name or "?", address=address)
    if _throttled(uow, name, address) is None:
        row = uow.read(lambda session: session.scalar(select_user(name)))
        verified = _verify(row.password_hash if row else _DUMMY_HASH, password)
        found = _user(row) if row is not None and not row.disabled and verified else None
    else:
        found = None

    def record(session: Session) -> int | None:
        wait = _throttled_in(session, name, address)
        if wait is not None:
            _audit(session, visitor, "login.throttled", "user", name)
        elif found is None:
            _audit(session, visitor, "login.failed", "user", name)
        else:
            _audit(session, found.actor(address=address), "login.succeeded", "user", name)
        return wait

    wait = uow.write(record)
    if wait is not None:
        raise TooManyAttempts(
            f"too many failed logins; try again in {wait} seconds", retry_after=wait)
    if found is None:
        raise InvalidCredentials("wrong username or password")
    return found


def _throttled(uow: UnitOfWork, name: str, address: str) -> int | None:
    return uow.read(lambda session: _throttled_in(session, name, address))


def _throttled_in(session: Session, name: str, address: str) -> int | None:
    """Seconds to wait if the account or the address has failed too often, else None."""
    moment = now()
    since = moment - THROTTLE_WINDOW
    for (count, oldest), limit in (
        (audit_db.failed_logins(session, username=name, since=since), MAX_ACCOUNT_FAILURES),
        (audit_db.failed_logins(session, address=address, since=since), MAX_ADDRESS_FAILURES),
    ):
        if count >= limit and oldest is not None:
            return max(1, int((oldest + THROTTLE_WINDOW - moment).total_seconds()) + 1)
    return None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def logged_out(uow: UnitOfWork, actor: Actor) -> None:
    """End every session of the account (a copied cookie dies too) and audit the logout."""

    def work(session: Session) -> None:
        row = _row(session, actor.username)
        row.session_version += 1
        _audit(session, actor, "logout", "user", actor.username)

    uow.write(work)


# --- access tokens ----------------------------------------------------------------------------
def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(uow: UnitOfWork, actor: Actor, username: str, name: str
                 ) -> tuple[str, AccessToken]:
    """A new personal access token; the secret is returned once and stored only hashed."""
    label = name.strip()[:100] or "token"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def work(session: Session) -> AccessToken:
        owner = _row(session, username)
        _may_manage_tokens_of(actor, owner)
        row = ApiTokenRow(user_id=owner.id, name=label, token_hash=_digest(secret),
                          prefix=secret[:10], created_at=now())
        session.add(row)
        session.flush()
        _audit(session, actor, "token.created", "token", str(row.id), owner=owner.username,
               name=label)
        return _token(row)

    return secret, uow.write(work)


def revoke_token(uow: UnitOfWork, actor: Actor, token_id: int) -> AccessToken:
    def work(session: Session) -> AccessToken:
        row = session.get(ApiTokenRow, token_id)
        if row is None:
            raise TokenNotFound(f"there is no access token #{token_id}")
        owner = session.get(UserRow, row.user_id)
        assert owner is not None  # foreign key
        _may_manage_tokens_of(actor, owner)
        if row.revoked_at is None:
            row.revoked_at = now()
            session.flush()
            _audit(session, actor, "token.revoked", "token", str(row.id), owner=owner.username)
        return _token(row)

    return uow.write(work)


def tokens(uow: UnitOfWork, username: str) -> list[AccessToken]:
    def work(session: Session) -> list[AccessToken]:
        owner = _row(session, username)
        return [_token(r) for r in session.scalars(token_rows(owner.id))]

    return uow.read(work)


def user_for_token(uow: UnitOfWork, secret: str) -> StaffUser | None:
    """The active account behind a live token, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None

    def work(session: Session) -> StaffUser | None:
        row = session.scalar(token_by_digest(_digest(secret)))
        if row is None or row.revoked_at is not None:
            return None
        owner = session.get(UserRow, row.user_id)
        return _user(owner) if owner is not None and not owner.disabled else None

    return uow.read(work)


def _may_manage_tokens_of(actor: Actor, owner: UserRow) -> None:
    if actor.user_id != owner.id and actor.role is not Role.ADMIN:
        raise Forbidden("only the holder or an admin may manage these tokens")


# --- the audit log ----------------------------------------------------------------------------
def audit_records(uow: UnitOfWork, where: audit_db.AuditFilter, *, before: int | None = None,
                  limit: int = 50) -> list[AuditRecord]:
    """Audit records, newest first, filtered; `before` pages back."""
    return uow.read(lambda session: audit_db.find(session, where, before=before, limit=limit))
