"""Moves between the states of a record (a service, a round, a campaign), checked against a
table of allowed moves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from .errors import LedgerError


def check_move(moves: Mapping[StrEnum, Sequence[StrEnum]], current: StrEnum, new: StrEnum, *,
               what: str, error: type[LedgerError]) -> None:
    """Raise `error` unless `moves` lets a `current` record become `new`."""
    allowed = moves.get(current, ())
    if new not in allowed:
        raise error(f"a {current} {what} can become "
                    f"{', '.join(allowed) or 'nothing (it has ended)'}, not {new}",
                    field="status")
