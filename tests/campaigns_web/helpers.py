"""Helpers of the campaigns' page tests: campaigns set up through the use cases (as the fund
manager would), roll and payment files as bytes, and counts of every table."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape
from typing import Any

from moneyed import Money
from sqlalchemy import Engine

from ledger import campaign_payments, campaigns, foundation, staff
from ledger.books import today
from ledger.core.campaigns import LeftoverRule, MissRule, PaymentMethod, Source
from ledger.core.grants import IncomeSource
from ledger.core.money import parse_money
from ledger.core.staff import Actor, Role
from ledger.db.session import UnitOfWork

from ..auth.helpers import row_counts
from ..conftest import Staff
from ..foundation_web.helpers import Browser
from ..foundation_web.helpers import flashes as escaped_flashes

__all__ = [
    "BUILDINGS",
    "Books",
    "Browser",
    "cny",
    "flashes",
    "households_by_building",
    "payments_csv",
    "roll_csv",
]

#: 317 households in 4 buildings (80, 80, 80 and 77), 2 units each.
HOUSEHOLDS = 317
BUILDINGS = ("1幢", "2幢", "3幢", "4幢")
CAMPAIGN = "/staff/campaigns"
ERRORS = re.compile(r'<ul class="errors"[^>]*>(.*?)</ul>', re.S)


def cny(text: str) -> Money:
    return parse_money(text, "CNY")


def flats(count: int = HOUSEHOLDS) -> list[tuple[str, str, str]]:
    """(building, unit, room) of `count` flats, 80 to a building, 40 to a unit."""
    found = []
    for i in range(count):
        within = i % 80
        floor, door = within % 40 // 2 + 1, within % 2 + 1
        found.append((BUILDINGS[i // 80], f"{within // 40 + 1}", f"{floor}{door:02d}"))
    return found


def households_by_building(count: int = HOUSEHOLDS) -> dict[str, int]:
    found: dict[str, int] = {}
    for building, _unit, _room in flats(count):
        found[building] = found.get(building, 0) + 1
    return found


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]],
              encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def roll_csv(count: int = HOUSEHOLDS, *, extra: Sequence[Sequence[str]] = ()) -> bytes:
    """A roll with Chinese headers, as a community office would keep it."""
    rows = [(b, u, r, f"住户{i + 1}", f"1380000{i:04d}")
            for i, (b, u, r) in enumerate(flats(count))]
    return csv_bytes(("楼栋", "单元", "室", "联系人", "电话"), [*rows, *extra])


def payments_csv(lines: Iterable[Sequence[object]]) -> bytes:
    """A WeChat-Pay-style export: reference, building, unit, room, amount, date."""
    return csv_bytes(("交易单号", "楼栋", "单元", "室", "金额(元)", "交易时间"), lines)


def errors_of(html: str) -> list[str]:
    """Every message shown next to a field, as text."""
    return [unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).strip())
            for m in ERRORS.findall(html)]


def value_of(html: str, field_id: str) -> str | None:
    """The value of the input with this id."""
    tag = re.search(rf'<input\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    found = re.search(r'\bvalue="([^"]*)"', tag.group(0)) if tag else None
    return unescape(found.group(1)) if found else None


def flashes(html: str) -> list[str]:
    """The success messages of a page, as text."""
    return [unescape(m) for m in escaped_flashes(html)]


@dataclass
class Books:
    """The campaigns' use cases as the fund manager runs them."""

    uow: UnitOfWork
    accounts: Staff
    engine: Engine

    def actor(self, username: str, role: str | None = None) -> Actor:
        user = staff.user(self.uow, username)
        return user.actor(Role(role) if role else min(user.roles))

    @property
    def fm(self) -> Actor:
        return self.actor("fm1", "fund_manager")

    def counts(self) -> dict[str, int]:
        return row_counts(self.engine)

    def income(self, amount: str = "500000.00") -> None:
        foundation.record_income(self.uow, self.fm, source=IncomeSource.FISCAL,
                                 donor="宁波市北仑区财政局", amount=cny(amount),
                                 received_on=today() - timedelta(days=30), reference="REF-1")

    def campaign(self, *, cost: str = "50000.00", subsidy: str = "30000.00",
                 match: str = "13000.00", miss_rule: MissRule = MissRule.KEEP_RAISED,
                 source: Source | None = Source.FOUNDATION,
                 leftover: LeftoverRule = LeftoverRule.REFUND) -> campaigns.Campaign:
        """Yufan's lift repair: 50,000 less 30,000 of subsidy and 13,000 of match leaves
        7,000 for the households."""
        return campaigns.create_campaign(
            self.uow, self.fm, community="蛟川街道裕帆社区", buildings="1–4 幢",
            title="裕帆小区电梯维修", repair="更换 1–4 幢电梯曳引机与钢丝绳。",
            contractor="宁波迅达电梯工程有限公司", cost=cny(cost), subsidy=cny(subsidy),
            subsidy_from="蛟川街道", match=cny(match) if match != "0" else Money(0, "CNY"),
            deadline=today() + timedelta(days=60), miss_rule=miss_rule,
            shortfall_source=source, leftover_rule=leftover)

    def with_roll(self, count: int = HOUSEHOLDS, **kwargs: Any) -> campaigns.Campaign:
        made = self.campaign(**kwargs)
        campaigns.import_roll(self.uow, self.fm, made.id, roll_csv(count), filename="roll.csv")
        return campaigns.campaign(self.uow, made.id)

    def opened(self, count: int = HOUSEHOLDS, **kwargs: Any) -> campaigns.Campaign:
        self.income()
        made = self.with_roll(count, **kwargs)
        return campaigns.open_campaign(self.uow, self.fm, made.id)

    def households(self, campaign_id: int, **kwargs: Any) -> list[campaigns.Household]:
        return campaigns.households(self.uow, campaign_id, **kwargs)

    def pay(self, campaign_id: int, household: campaigns.Household, amount: str | None = None,
            *, reference: str | None = None, method: PaymentMethod = PaymentMethod.WECHAT,
            paid_on: date | None = None) -> campaign_payments.Payment:
        return campaign_payments.record_payment(
            self.uow, self.fm, campaign_id, household_id=household.id,
            amount=cny(amount) if amount else household.owed, paid_on=paid_on or today(),
            method=method, reference=reference or f"WX-{household.id:06d}")

    def funded(self, count: int = 20, **kwargs: Any) -> campaigns.Campaign:
        """An open campaign whose households have all paid and whose subsidy arrived."""
        made = self.opened(count, **kwargs)
        for household in self.households(made.id):
            self.pay(made.id, household)
        campaigns.receive_subsidy(self.uow, self.fm, made.id, amount=made.subsidy,
                                  received_on=today(), reference="BT-1")
        return campaigns.campaign(self.uow, made.id)
