"""Raw SQL behind the service's back, for the tests of the database's guards: each attempt
runs in a transaction of its own and is rolled back; a refusal is told by its message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError


class HasIds(Protocol):
    ids: Mapping[str, Any]


def attempt(engine: Engine, statements: list[str], params: Mapping[str, Any]) -> str | None:
    """Run the statements in one transaction: the database's error message (lower case), or
    None when it accepted them, in which case the transaction is rolled back."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            for sql in statements:
                result = conn.execute(text(sql), dict(params))
                assert result.rowcount != 0, f"matched no row: {sql}"  # -1: TRUNCATE, INSERT
        except DBAPIError as error:
            transaction.rollback()
            return str(error.orig).lower()
        transaction.rollback()
        return None


class Guards:
    """`refused` and `accepted` that check, with the test folder's own `snapshot`, that
    nothing changed."""

    def __init__(self, snapshot: Callable[[Engine], object]) -> None:
        self.snapshot = snapshot

    def refused(self, engine: Engine, kept: HasIds, statements: list[str],
                because: tuple[str, ...]) -> None:
        """Each statement, in a transaction of its own, is refused by a rule whose message
        holds one of `because`; nothing changes."""
        before = self.snapshot(engine)
        accepted, reasons = [], []
        for sql in statements:
            message = attempt(engine, [sql], kept.ids)
            if message is None:
                accepted.append(sql)
            elif not any(word in message for word in because):
                reasons.append((sql, message))
        assert accepted == [], "the database accepted these"
        assert reasons == [], "refused, but not by the rule expected"
        assert self.snapshot(engine) == before

    def accepted(self, engine: Engine, kept: HasIds, *statements: str) -> None:
        """A control: the statements, together, are accepted (then rolled back)."""
        before = self.snapshot(engine)
        assert attempt(engine, list(statements), kept.ids) is None
        assert self.snapshot(engine) == before
