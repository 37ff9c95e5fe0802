"""ledger.core.chart and ledger.core.errors: the two charts of accounts and the error codes."""

from __future__ import annotations

import pytest

from ledger.core import errors
from ledger.core.chart import (
    CHARTS,
    ENTITIES,
    AccountType,
    EntityKind,
    Side,
    account,
    chart_of,
    entity,
)
from ledger.core.errors import LedgerError, UnknownAccount, UnknownEntity


def test_the_two_entities() -> None:
    assert sorted(ENTITIES) == ["foundation", "fund"]
    assert entity("fund").kind is EntityKind.MUTUAL_AID_FUND
    assert entity("foundation").kind is EntityKind.FOUNDATION


def test_unknown_entity() -> None:
    with pytest.raises(UnknownEntity) as caught:
        entity("bank")
    assert "unknown entity 'bank'" in caught.value.message
    assert "fund" in caught.value.message
    assert "foundation" in caught.value.message
    assert caught.value.field == "entity"


def test_unknown_account() -> None:
    with pytest.raises(UnknownAccount, match="entity 'fund' has no account '410101'") as caught:
        account("fund", "410101")
    assert caught.value.field == "account"


@pytest.mark.parametrize("kind", list(EntityKind))
def test_account_codes_are_unique_and_follow_the_type_prefix(kind: EntityKind) -> None:
    codes = [a.code for a in CHARTS[kind]]
    assert len(codes) == len(set(codes))
    prefix = {
        AccountType.ASSET: "1",
        AccountType.LIABILITY: "2",
        AccountType.NET_ASSETS_UNRESTRICTED: "3",
        AccountType.NET_ASSETS_RESTRICTED: "3",
        AccountType.INCOME: "4",
        AccountType.EXPENSE: "5",
    }
    for a in CHARTS[kind]:
        assert a.code.startswith(prefix[a.type]), a


@pytest.mark.parametrize(
    ("entity_code", "code", "side"),
    [
        ("fund", "1002", Side.DEBIT),
        ("fund", "5101", Side.DEBIT),
        ("fund", "2209", Side.CREDIT),
        ("fund", "3101", Side.CREDIT),
        ("fund", "3102", Side.CREDIT),
        ("fund", "420101", Side.CREDIT),
        ("foundation", "410102", Side.CREDIT),
        ("foundation", "5301", Side.DEBIT),
    ],
)
def test_normal_sides(entity_code: str, code: str, side: Side) -> None:
    assert account(entity_code, code).normal_side is side
    assert chart_of(entity_code)[code] == account(entity_code, code)


def test_side_opposite() -> None:
    assert Side.DEBIT.opposite is Side.CREDIT
    assert Side.CREDIT.opposite is Side.DEBIT


def test_restricted_income_accounts() -> None:
    restricted = {a.code for a in chart_of("foundation").values() if a.restricted}
    assert restricted == {"3102", "410102", "450102"}


def test_error_codes_are_unique_slugs() -> None:
    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, LedgerError)]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), codes
    for code in codes:
        assert code == code.lower()
        assert " " not in code
