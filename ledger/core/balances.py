"""Account balances and the trial balance, as plain values in minor units."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from .chart import Account, Side


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """Debit and credit totals of one account in one currency, up to a date."""

    account: Account
    currency: str
    debits: int
    credits: int

    @property
    def net(self) -> int:
        """Balance on the account's normal side (negative if it sits on the other side)."""
        diff = self.debits - self.credits
        return diff if self.account.normal_side is Side.DEBIT else -diff

    @property
    def side(self) -> Side | None:
        """Which column of a trial balance the balance falls in (None when it is zero)."""
        diff = self.debits - self.credits
        return Side.DEBIT if diff > 0 else Side.CREDIT if diff < 0 else None

    @property
    def debit_column(self) -> int:
        return max(self.debits - self.credits, 0)

    @property
    def credit_column(self) -> int:
        return max(self.credits - self.debits, 0)


@dataclass(frozen=True, slots=True)
class TrialBalance:
    entity: str
    as_of: date
    lines: tuple[AccountBalance, ...]

    def totals(self) -> dict[str, tuple[int, int]]:
        """Per currency: total of the debit column and of the credit column."""
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for line in self.lines:
            sums[line.currency][0] += line.debit_column
            sums[line.currency][1] += line.credit_column
        return {cur: (d, c) for cur, (d, c) in sorted(sums.items())}

    @property
    def balanced(self) -> bool:
        return all(d == c for d, c in self.totals().values())
