"""The simple model the service is compared with: both books as integer fen per account, and
what each record (deposit, grant, campaign, bridging service) should hold. No Decimal, no
service code: each rule is written out again from the README."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

FUND, FOUNDATION = "fund", "foundation"


def operating_share(amount: int) -> int:
    """The default policy: 30 % to the fund, rounded down to the fen (odd fen to the
    foundation)."""
    return amount * 30 // 100


def entitlement(amount: int) -> int:
    """5,000,000.00 of bridging per 350,000.00 deposited, rounded down to the fen."""
    return amount * 5_000_000 // 350_000


def tranche_amounts(total: int, parts: int) -> list[int]:
    """A schedule of `parts` tranches adding up to `total` (the odd fen in the first ones)."""
    base, odd = divmod(total, parts)
    return [base + (1 if n < odd else 0) for n in range(parts)]


@dataclass
class Deposit:
    id: int
    amount: int
    operating: int
    foundation: int
    transferred: bool = False
    reversed: bool = False


@dataclass
class Grant:
    id: int
    amount: int
    tranches: list[int]
    paid: int = 0  # tranches paid, in order
    clawed: int = 0
    evaluated: bool = False
    active: bool = True

    @property
    def paid_out(self) -> int:
        return sum(self.tranches[:self.paid])


@dataclass
class Campaign:
    id: int
    households: list[int]
    paid: int = 0
    cancelled: bool = False


@dataclass
class Service:
    id: int
    amount: int
    status: str = "active"  # then repaid or defaulted


@dataclass
class Manual:
    """An entry typed in by hand (cash drawn from the foundation's bank)."""

    seq: int
    amount: int
    reversed: bool = False


@dataclass
class Model:
    """Each account's balance (debits less credits) in fen, and the records behind them."""

    balances: Counter[tuple[str, str]] = field(default_factory=Counter)
    deposits: list[Deposit] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    manual: list[Manual] = field(default_factory=list)

    def post(self, entity: str, debit: str, credit: str, amount: int) -> None:
        self.balances[(entity, debit)] += amount
        self.balances[(entity, credit)] -= amount

    def net(self) -> dict[tuple[str, str], int]:
        return {key: value for key, value in self.balances.items() if value}

    # --- the figures the service reports ----------------------------------------------------
    def fund_bank(self) -> int:
        return self.balances[(FUND, "1002")]

    def operating_funds(self) -> int:
        income = -self.balances[(FUND, "420101")] - self.balances[(FUND, "490101")]
        return income - sum(self.balances[(FUND, code)] for code in ("5101", "5201", "5401"))

    def restricted(self) -> int:
        """Money held for campaigns still running (payments are restricted to them)."""
        return sum(c.paid for c in self.campaigns if not c.cancelled)

    def foundation_available(self) -> int:
        """cash and bank − grants payable − restricted money (no round stays open, no match)."""
        cash = self.balances[(FOUNDATION, "1001")] + self.balances[(FOUNDATION, "1002")]
        return cash + self.balances[(FOUNDATION, "220901")] - self.restricted()

    def cap_left(self) -> int:
        """The member's cap less what active and defaulted services hold of it."""
        in_force = sum(entitlement(d.amount) for d in self.deposits if not d.reversed)
        return in_force - sum(s.amount for s in self.services if s.status != "repaid")
