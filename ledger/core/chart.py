"""The two reporting entities and their charts of accounts.

Codes follow China's accounting rules for non-profit organisations (民间非营利组织会计制度):
1xxx assets, 2xxx liabilities, 3xxx net assets, 4xxx income, 5xxx expenses. Income accounts
carry the restriction (非限定性 / 限定性) as a six-digit sub-account, as the rules require
income to be reported by restriction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import UnknownAccount, UnknownEntity


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"

    @property
    def opposite(self) -> Side:
        return Side.CREDIT if self is Side.DEBIT else Side.DEBIT


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    NET_ASSETS_UNRESTRICTED = "net_assets_unrestricted"
    NET_ASSETS_RESTRICTED = "net_assets_restricted"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def normal_side(self) -> Side:
        """Assets and expenses grow by debits; everything else by credits."""
        return Side.DEBIT if self in (AccountType.ASSET, AccountType.EXPENSE) else Side.CREDIT


class EntityKind(StrEnum):
    MUTUAL_AID_FUND = "mutual_aid_fund"
    FOUNDATION = "foundation"


@dataclass(frozen=True, slots=True)
class Entity:
    """A reporting entity: one set of books that balances on its own."""

    code: str
    kind: EntityKind
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Account:
    code: str
    name_zh: str
    name_en: str
    type: AccountType
    restricted: bool = False

    @property
    def normal_side(self) -> Side:
        return self.type.normal_side


FUND = Entity(
    "fund", EntityKind.MUTUAL_AID_FUND, "商会互助资金会", "Chamber of Commerce Mutual-Aid Fund"
)
FOUNDATION = Entity(
    "foundation", EntityKind.FOUNDATION, "社区发展基金会", "Community Development Foundation"
)
ENTITIES: dict[str, Entity] = {e.code: e for e in (FUND, FOUNDATION)}

_A, _L = AccountType.ASSET, AccountType.LIABILITY
_NU, _NR = AccountType.NET_ASSETS_UNRESTRICTED, AccountType.NET_ASSETS_RESTRICTED
_I, _E = AccountType.INCOME, AccountType.EXPENSE

_COMMON_HEAD = (
    Account("1001", "库存现金", "Cash on hand", _A),
    Account("1002", "银行存款", "Bank deposits", _A),
)
_COMMON_TAIL = (
    Account("3101", "非限定性净资产", "Unrestricted net assets", _NU),
    Account("3102", "限定性净资产", "Restricted net assets", _NR, restricted=True),
    Account("490101", "其他收入（非限定性）", "Other income, unrestricted", _I),
    Account("5101", "业务活动成本", "Programme service costs", _E),
    Account("5201", "管理费用", "Administrative expenses", _E),
    Account("5401", "其他费用", "Other expenses", _E),
)

CHARTS: dict[EntityKind, tuple[Account, ...]] = {
    EntityKind.MUTUAL_AID_FUND: (
        *_COMMON_HEAD,
        Account("1122", "其他应收款—过桥垫款", "Bridging advances receivable", _A),
        Account("2209", "其他应付款—应付基金会", "Payable to the foundation", _L),
        Account(
            "420101", "会费收入—互助资金运作经费", "Operating share of mutual-aid deposits", _I
        ),
        *_COMMON_TAIL,
    ),
    EntityKind.FOUNDATION: (
        *_COMMON_HEAD,
        Account("1122", "其他应收款", "Other receivables", _A),
        Account("2209", "其他应付款", "Other payables", _L),
        Account("220901", "其他应付款—应付资助款", "Grants payable", _L),
        Account("410101", "捐赠收入（非限定性）", "Donations, unrestricted", _I),
        Account("410102", "捐赠收入（限定性）", "Donations, restricted", _I, restricted=True),
        Account("410103", "捐赠收入—商会互助资金转入", "Donations from the mutual-aid fund", _I),
        Account("450101", "政府补助收入（非限定性）", "Government grants, unrestricted", _I),
        Account(
            "450102", "政府补助收入（限定性）", "Government grants, restricted", _I, restricted=True
        ),
        *_COMMON_TAIL,
        Account("5301", "筹资费用", "Fundraising expenses", _E),
    ),
}


def entity(code: str) -> Entity:
    try:
        return ENTITIES[code]
    except KeyError:
        known = ", ".join(ENTITIES)
        raise UnknownEntity(f"unknown entity {code!r}; known: {known}", field="entity") from None


def chart_of(entity_code: str) -> dict[str, Account]:
    """The accounts of an entity by code."""
    return {a.code: a for a in CHARTS[entity(entity_code).kind]}


def account(entity_code: str, code: str) -> Account:
    try:
        return chart_of(entity_code)[code]
    except KeyError:
        raise UnknownAccount(
            f"entity {entity_code!r} has no account {code!r}", field="account"
        ) from None
