"""The flow chart sends the fund's 70 % into the foundation in the year it is transferred, as
the foundation's income counts it: a December deposit transferred in January shows as due to
the foundation in the first year and flows into it in the next. What flows into the
foundation is its income of the year, in both years."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from ledger import transparency as public

from ..periods.helpers import Books
from .helpers import YEAR


def into_foundation(overview: public.Overview) -> int:
    found: dict[str, int] = defaultdict(int)
    for flow in overview.flows:
        found[flow.target] += round(flow.amount.amount * 100)
    return found["foundation"]


def test_the_flows_into_the_foundation_equal_its_income_when_a_transfer_crosses_the_year(
        bk: Books) -> None:
    member = bk.member()
    bk.deposit(member.id, "100000.00", date(YEAR, 12, 20))
    bk.transfer(date(YEAR + 1, 1, 5))
    first, second = public.overview(bk.uow, YEAR), public.overview(bk.uow, YEAR + 1)
    assert first.deposits.transferred.amount == 0  # nothing reached the foundation in YEAR
    assert round(second.deposits.transferred.amount) == 70000
    for overview in (first, second):
        assert into_foundation(overview) == round(overview.income_total.amount * 100), \
            overview.year
