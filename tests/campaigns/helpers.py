"""Helpers of the repair-campaign tests (issue 6): the fund manager as a use-case actor, roll
and payment files as bytes, builders that set campaigns up through the use cases, the
foundation's books and funds as plain strings, and raw reads of every table a refused use case
must leave untouched."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

import pytest
from moneyed import Money
from sqlalchemy import Engine, inspect, text

from ledger import books, foundation, staff
from ledger import campaign_completion as completion
from ledger import campaign_payments as pay_uc
from ledger import campaigns as uc
from ledger.core.campaigns import (
    HouseholdStatus,
    HouseKey,
    LeftoverRule,
    MissRule,
    PaymentMethod,
    Source,
)
from ledger.core.grants import IncomeSource
from ledger.core.money import format_amount, from_minor, parse_money
from ledger.core.staff import Actor, Role
from ledger.db.session import UnitOfWork

PASSWORD = "a long test password 甲乙丙"
CREATED, OPENED, DEADLINE = date(2026, 9, 1), date(2026, 9, 5), date(2026, 11, 30)
PAID_ON = date(2026, 10, 2)
ROLL_HEADER = ("building", "unit", "room", "contact", "phone")
PAYMENT_HEADER = ("reference", "building", "unit", "room", "amount", "paid_on")
#: A WeChat-Pay-style export: Chinese headers, columns in its own order, extra columns.
WECHAT_HEADER = ("交易时间", "交易单号", "楼栋", "单元", "室", "金额(元)", "备注")
#: Tables whose rows a use case changes in place: a refusal leaves their rows as they were.
MUTABLE = {"campaigns": "id", "campaign_households": "id"}
#: Every table of migration 0007.
CAMPAIGN_TABLES = ("campaigns", "campaign_households", "campaign_imports",
                   "campaign_subsidies", "campaign_payments", "campaign_refunds",
                   "campaign_shortfalls", "campaign_contractor_payments", "campaign_leftovers")

_references = itertools.count(1)


def yuan(value: str) -> Money:
    """An amount in CNY, zero allowed (for figures that must come to nothing)."""
    return parse_money(value, allow_zero=True)


def s(value: Money) -> str:
    """An amount as its canonical string: '105000.00'."""
    return format_amount(value)


def fen(value: Money) -> int:
    return int(value.amount * 100)


# --- files ------------------------------------------------------------------------------------
def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], *,
              encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def flats(buildings: int, units: int, floors: int, per_floor: int) -> list[HouseKey]:
    """Flats in roll order: building, unit, room (floor and door: 101, 102, ... 704)."""
    return [HouseKey(str(b), str(u), f"{f}{d:02d}")
            for b in range(1, buildings + 1) for u in range(1, units + 1)
            for f in range(1, floors + 1) for d in range(1, per_floor + 1)]


def roll_csv(keys: Sequence[HouseKey], *, header: Sequence[str] = ROLL_HEADER,
             encoding: str = "utf-8") -> bytes:
    """A roll file, one household per flat; contact and phone made up from the flat."""
    return csv_bytes(header, ([k.building, k.unit, k.room, f"住户{k}",
                               f"138{int(k.building):02d}{int(k.unit):02d}{int(k.room):04d}"]
                              for k in keys), encoding=encoding)


def payments_csv(rows: Iterable[tuple[str, HouseKey, str, str]]) -> bytes:
    """A payment export: (reference, flat, amount, date) per line, English headers."""
    return csv_bytes(PAYMENT_HEADER, ([ref, k.building, k.unit, k.room, amount, on]
                                      for ref, k, amount, on in rows))


def wechat_csv(rows: Iterable[tuple[str, HouseKey, str, str]]) -> bytes:
    """The same, as a WeChat-style export: Chinese headers, ¥ amounts, times of day."""
    return csv_bytes(WECHAT_HEADER, ([f"{on} 14:33:05", ref, k.building, k.unit, k.room,
                                      f"¥{amount}", "楼道窗户维修"]
                                     for ref, k, amount, on in rows))


def wechat_reference(n: int) -> str:
    """A 28-digit WeChat Pay transaction number."""
    return f"420000{n:022d}"


# --- the foundation's people and books --------------------------------------------------------
def fund_manager(uow: UnitOfWork, username: str = "fm1") -> Actor:
    user = staff.create_user(uow, Actor.system("test-setup"), username=username,
                             display_name=username.upper(), password=PASSWORD,
                             roles=["fund_manager"])
    return user.actor(Role.FUND_MANAGER)


class Books:
    """Repair campaigns at use-case level, as fund manager fm1."""

    def __init__(self, uow: UnitOfWork, engine: Engine, fm: Actor) -> None:
        self.uow, self.engine, self.fm = uow, engine, fm

    # --- the foundation's own money ------------------------------------------------------------
    def income(self, amount: str, on: date = date(2026, 1, 5)) -> foundation.Income:
        """Unrestricted welfare-lottery money (450101)."""
        return foundation.record_income(self.uow, self.fm, source=IncomeSource.WELFARE_LOTTERY,
                                        donor="浙江省福利彩票发行中心", amount=yuan(amount),
                                        received_on=on)

    # --- campaigns -----------------------------------------------------------------------------
    def create(self, cost: str, subsidy: str = "0.00", match: str = "0.00", *,
               miss_rule: MissRule = MissRule.KEEP_RAISED,
               source: Source | None = Source.SUBSIDY,
               leftover: LeftoverRule = LeftoverRule.REFUND,
               community: str = "俞范东路小区", subsidy_from: str = "蛟川街道办事处"
               ) -> uc.Campaign:
        return uc.create_campaign(
            self.uow, self.fm, community=community, buildings="1-6幢",
            title=f"{community}楼道窗户维修", repair="楼道窗户关不上，更换窗扇与五金",
            contractor="宁波镇海明窗门窗有限公司", cost=yuan(cost), subsidy=yuan(subsidy),
            subsidy_from=subsidy_from if yuan(subsidy).amount > 0 else "", match=yuan(match),
            deadline=DEADLINE, miss_rule=miss_rule, shortfall_source=source,
            leftover_rule=leftover)

    def campaign(self, cost: str, subsidy: str = "0.00", match: str = "0.00", *,
                 households: int | Sequence[HouseKey] = 4, open_it: bool = True,
                 **options: Any) -> uc.Campaign:
        """A campaign with a roll (`households` flats of building 1, or these), opened."""
        found = self.create(cost, subsidy, match, **options)
        keys = flats(1, 1, 9, 9)[:households] if isinstance(households, int) else households
        uc.import_roll(self.uow, self.fm, found.id, roll_csv(keys))
        return uc.open_campaign(self.uow, self.fm, found.id) if open_it else self.get(found.id)

    def get(self, campaign_id: int) -> uc.Campaign:
        return uc.campaign(self.uow, campaign_id)

    def roll(self, campaign_id: int) -> list[uc.Household]:
        return uc.households(self.uow, campaign_id)

    def pay(self, campaign_id: int, household: uc.Household, amount: str | None = None, *,
            method: PaymentMethod = PaymentMethod.WECHAT, reference: str | None = None,
            on: date = PAID_ON) -> pay_uc.Payment:
        """A payment by hand: the household's share unless `amount` says otherwise."""
        return pay_uc.record_payment(
            self.uow, self.fm, campaign_id, household_id=household.id,
            amount=household.share if amount is None else yuan(amount), paid_on=on,
            method=method, reference=reference or f"REF-{next(_references):06d}")

    def pay_all(self, campaign_id: int, *, on: date = PAID_ON) -> None:
        for household in self.roll(campaign_id):
            if household.status is HouseholdStatus.ASKED and household.owed.amount > 0:
                self.pay(campaign_id, household, s(household.owed), on=on)

    def subsidy(self, campaign_id: int, amount: str, on: date = date(2026, 9, 20)
                ) -> uc.Campaign:
        return uc.receive_subsidy(self.uow, self.fm, campaign_id, amount=yuan(amount),
                                  received_on=on, reference=f"SUB-{amount}")

    def mark(self, campaign_id: int, household: uc.Household,
             status: HouseholdStatus = HouseholdStatus.UNREACHABLE,
             reason: str = "空置房，联系不上业主") -> uc.Household:
        return uc.mark_household(self.uow, self.fm, campaign_id, household.id, status=status,
                                 reason=reason)

    def contractor(self, campaign_id: int, amount: str, on: date = date(2026, 11, 10)
                   ) -> uc.Campaign:
        return completion.pay_contractor(self.uow, self.fm, campaign_id, amount=yuan(amount),
                                         paid_on=on, reference=f"CON-{amount}")

    def close(self, campaign_id: int, on: date = date(2026, 11, 20), disclosure: str = ""
              ) -> uc.Campaign:
        return completion.close_campaign(self.uow, self.fm, campaign_id, on=on,
                                         disclosure=disclosure)

    def cancel(self, campaign_id: int, on: date = date(2026, 11, 20),
               reason: str = "未达目标 target missed") -> uc.Campaign:
        return completion.cancel_campaign(self.uow, self.fm, campaign_id, on=on, reason=reason)

    def funded(self, cost: str = "1000.00", subsidy: str = "400.00", match: str = "0.00",
               **options: Any) -> uc.Campaign:
        """A funded campaign: subsidy received, every household paid its share."""
        found = self.campaign(cost, subsidy, match, **options)
        if yuan(subsidy).amount > 0:
            self.subsidy(found.id, subsidy)
        self.pay_all(found.id)
        done = self.get(found.id)
        assert done.status == "funded", done.status
        return done

    # --- the books and the funds ----------------------------------------------------------------
    def trial_balance(self, as_of: date = date(2026, 12, 31)) -> dict[str, tuple[str, str]]:
        """The foundation's trial balance: account -> (debit column, credit column) of every
        account with postings; it must balance."""
        tb = books.trial_balance(self.uow, "foundation", as_of)
        assert tb.balanced, tb.totals()
        return {line.account.code: (s(from_minor(line.debit_column)),
                                    s(from_minor(line.credit_column)))
                for line in tb.lines}

    def balance(self, code: str) -> str:
        """An account's balance, debit positive, all dates."""
        debit, credit = self.trial_balance().get(code, ("0.00", "0.00"))
        return s(yuan(debit) - yuan(credit)) if yuan(debit) >= yuan(credit) else \
            "-" + s(yuan(credit) - yuan(debit))

    def funds(self) -> dict[str, str]:
        found = foundation.funds(self.uow)
        return {"balance": s(found.balance), "committed": s(found.committed),
                "reserved": s(found.reserved), "restricted": s(found.restricted),
                "available": s(found.available)}

    def entry_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM journal_entries")).scalar_one()


def funds(balance: str, reserved: str, restricted: str, available: str,
          committed: str = "0.00") -> dict[str, str]:
    return {"balance": balance, "committed": committed, "reserved": reserved,
            "restricted": restricted, "available": available}


# --- refusals ---------------------------------------------------------------------------------
def snapshot(engine: Engine) -> dict[str, Any]:
    """Row counts of every table, and every row of the campaign tables."""
    with engine.connect() as conn:
        tables = sorted(inspect(conn).get_table_names())
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                  for t in tables}
        rows = {t: sorted(tuple(str(v) for v in row)
                          for row in conn.execute(text(f"SELECT * FROM {t}")))
                for t in CAMPAIGN_TABLES}
    return {"counts": counts, "rows": rows}


def refused(engine: Engine, error: type[Exception], work: Callable[[], Any]) -> Exception:
    """`work` raises exactly `error` (not a subclass or a parent) and writes nothing."""
    before = snapshot(engine)
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the exact class is checked below
        work()
    assert type(caught.value) is error, f"{type(caught.value).__name__}: {caught.value}"
    assert snapshot(engine) == before, "a refused use case wrote something"
    return caught.value


def posted(uow: UnitOfWork, seq: int) -> list[tuple[str, str, str]]:
    """(account, side, amount) of each posting of entry `seq`, which must be the
    foundation's."""
    entry = books.entry(uow, seq)
    assert entry.entity == "foundation"
    return [(p.account, p.side.value, s(p.amount)) for p in entry.postings]
