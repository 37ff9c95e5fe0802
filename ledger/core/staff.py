"""Staff, roles and the rules about who may do what: password policy, four-eyes approval."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from .errors import InvalidInput, SelfApproval, WeakPassword

MIN_PASSWORD = 12
MAX_PASSWORD = 256
#: zxcvbn's score (0-4) a password needs: 3 is "safely unguessable" for an online attacker.
MIN_STRENGTH = 3
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


class Role(StrEnum):
    ADMIN = "admin"
    FUND_MANAGER = "fund_manager"
    BOARD_MEMBER = "board_member"
    AUDITOR = "auditor"


ALL_ROLES = frozenset(Role)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, with the role that authorised it and where they came from."""

    user_id: int | None
    username: str
    role: Role | None = None
    address: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(user_id=None, username=name)


@cache
def _common_passwords() -> frozenset[str]:
    """30,000 most common passwords (zxcvbn's list, from leaked-password corpora)."""
    return frozenset(FREQUENCY_LISTS["passwords"])


class PasswordRule(StrEnum):
    """A reason a password is refused (the web pages translate each)."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    CONTAINS_USERNAME = "contains_username"
    TOO_FEW_CHARACTERS = "too_few_characters"
    GUESSABLE = "guessable"

    @property
    def message(self) -> str:
        return {
            PasswordRule.TOO_SHORT: f"use at least {MIN_PASSWORD} characters",
            PasswordRule.TOO_LONG: f"use at most {MAX_PASSWORD} characters",
            PasswordRule.COMMON: "this password is among the most common ones",
            PasswordRule.CONTAINS_USERNAME: "the password must not contain the username",
            PasswordRule.TOO_FEW_CHARACTERS: "use more than three different characters",
            PasswordRule.GUESSABLE: "too easy to guess (a keyboard pattern, a sequence or a "
                                    "repetition); a few unrelated words make a good password",
        }[self]


def password_problems(password: str, *, username: str = "") -> list[PasswordRule]:
    """Why a password is refused (empty when acceptable). NIST 800-63B style: length, a
    blocklist and a guessability estimate (zxcvbn), no composition rules."""
    found = []
    if len(password) < MIN_PASSWORD:
        found.append(PasswordRule.TOO_SHORT)
    if len(password) > MAX_PASSWORD:
        found.append(PasswordRule.TOO_LONG)
    lowered = password.lower()
    if lowered in _common_passwords() or lowered.strip("0123456789!") in _common_passwords():
        found.append(PasswordRule.COMMON)
    if username and username.lower() in lowered:
        found.append(PasswordRule.CONTAINS_USERNAME)
    if len(set(password)) < 4:
        found.append(PasswordRule.TOO_FEW_CHARACTERS)
    if not found and zxcvbn(password[:100], user_inputs=[username] if username else [])[
            "score"] < MIN_STRENGTH:
        found.append(PasswordRule.GUESSABLE)
    return found


def check_password(password: str, *, username: str = "") -> None:
    found = password_problems(password, username=username)
    if found:
        raise WeakPassword(found)


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not 3 <= len(name) <= 40 or not set(name) <= USERNAME_CHARS:
        raise InvalidInput(
            "a username is 3 to 40 characters: lower-case letters, digits, '.', '_' or '-'",
            field="username")
    return name


def check_roles(roles: object) -> frozenset[Role]:
    try:
        return frozenset(Role(r) for r in roles)  # type: ignore[attr-defined]
    except (ValueError, TypeError):
        known = ", ".join(sorted(ALL_ROLES))
        raise InvalidInput(f"roles must be among: {known}", field="roles") from None


def check_four_eyes(*, submitted_by: int | None, approver: Actor) -> None:
    """Maker-checker: nobody approves what they themselves submitted."""
    if submitted_by is not None and submitted_by == approver.user_id:
        raise SelfApproval(
            "you submitted this yourself; another authorised person must approve it")
