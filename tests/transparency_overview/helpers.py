"""Books for the public overview's tests (issue 8), built through the use cases with the
builders of tests/periods/helpers.py, with private data seeded on purpose: the legal
representatives and contact phones of member enterprises, the contact names and phones of the
households on a campaign's roll, an anonymous donor's real name, a grantee's contact and bank
account. None of it may ever appear on a public page or in open data."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from html import unescape

from ledger import campaigns as campaigns_uc
from ledger import foundation, grantees, staff
from ledger import grants as grants_uc
from ledger import mutual_aid as ma
from ledger.core.campaigns import HouseholdStatus, LeftoverRule, MissRule, Source
from ledger.core.grants import EvaluationResult, IncomeSource, Restriction
from ledger.core.staff import Actor
from ledger.db.session import UnitOfWork

from ..periods.helpers import PASSWORD, STAFF, Books, People, credit_code, yuan

YEAR = 2026
MONTH = "2026-10"  # the foundation's month closed and signed off
SECRET_DONOR = "隐名捐赠人钱秘密"
#: Names that would run as spreadsheet formulas (donors who did not ask to be anonymous).
FORMULA_DONORS = ('=HYPERLINK("http://evil.example","点我")', "+86 公式捐赠", "@SUM(A1:A9)",
                  "-2+3 捐赠")
CONTRACTOR = "=宁波镇海明窗门窗有限公司"  # a contractor's name that looks like a formula


@dataclass
class Seeded:
    """What `seed` recorded, and every private string it recorded."""

    campaign_id: int
    grant_id: int
    codes: list[str] = field(default_factory=list)  # receipt codes of households' payments
    private: list[str] = field(default_factory=list)


def people_for(uow: UnitOfWork, users: dict[str, staff.StaffUser]) -> People:
    """tests/periods' People from the test's staff accounts, adding the board members its
    grant builder needs (board2, board3)."""
    found = dict(users)
    creator = Actor.system("test-setup")
    for name, role in STAFF.items():
        if name not in found:
            found[name] = staff.create_user(uow, creator, username=name,
                                            display_name=name.upper(), password=PASSWORD,
                                            roles=[role.value])
    return People(found)


def _member(bk: Books, number: int, private: list[str]) -> ma.Member:
    legal, contact, phone = f"法人秘密{number}", f"联系人秘密{number}", f"0573-8999 77{number:02d}"
    private += [legal, contact, phone, phone.replace(" ", "").replace("-", "")]
    return ma.register_member(bk.uow, bk.fm, name_zh=f"嘉兴永耀纺织有限公司 {number}",
                              credit_code=credit_code(9000 + number), legal_representative=legal,
                              contact_name=contact, contact_phone=phone,
                              joined_on=date(2025, 1, 2))


def _campaign(bk: Books, private: list[str]) -> int:
    """A window repair over two buildings: six flats, one unreachable (its share covered by
    the foundation), a subsidy from the subdistrict; opened."""
    found = campaigns_uc.create_campaign(
        bk.uow, bk.fm, community="俞范东路小区", buildings="1-2幢",
        title="俞范东路小区楼道窗户维修",
        repair="楼道窗户关不上，更换窗扇与五金", contractor=CONTRACTOR, cost=yuan("1000.00"),
        subsidy=yuan("400.00"), subsidy_from="蛟川街道办事处", match=yuan("0.00"),
        deadline=date(YEAR, 11, 30), miss_rule=MissRule.KEEP_RAISED,
        shortfall_source=Source.FOUNDATION, leftover_rule=LeftoverRule.REFUND)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("building", "unit", "room", "contact", "phone"))
    for n in range(1, 7):
        contact, phone = f"住户秘密{n}", f"1399999{n:04d}"
        private += [contact, phone]
        writer.writerow((str(1 + (n > 4)), "1", f"{100 + n}", contact, phone))
    campaigns_uc.import_roll(bk.uow, bk.fm, found.id, out.getvalue().encode())
    return campaigns_uc.open_campaign(bk.uow, bk.fm, found.id).id


def _grant(bk: Books, private: list[str]) -> int:
    grant = bk.grant("80000.00", "50000.00", "30000.00", committed_on=date(YEAR, 4, 15))
    bk.tranche(grant.id, 1, date(YEAR, 5, 2))
    grants_uc.evaluate(bk.uow, bk.fm, grant.id, evaluated_on=date(YEAR, 9, 1),
                       evaluators="评估组 evaluation panel", result=EvaluationResult.PASSED)
    for found in grantees.grantees(bk.uow):
        private += [found.contact_name, found.contact_phone, found.bank_account]
    return grant.id


def seed(bk: Books) -> Seeded:
    """Two years of both books. 2025: a deposit of 100,000.00, its 70 % transferred, 200,000.00
    of welfare-lottery money. 2026: deposits of 350,000.00 and 100,000.00 (two members), the
    transfer, income from four sources (one donor anonymous, four with formula-like names), a
    grant of 80,000.00 (first tranche 50,000.00 paid, evaluated "passed"), an administrative
    expense of 1,200.00, and a repair campaign whose five asked households pay in October; the
    foundation's October closed and signed off."""
    private: list[str] = [SECRET_DONOR]
    first, second = _member(bk, 1, private), _member(bk, 2, private)
    bk.deposit(first.id, "100000.00", date(YEAR - 1, 11, 20))
    bk.transfer(date(YEAR - 1, 12, 10))
    bk.income("200000.00", date(YEAR - 1, 6, 1), source=IncomeSource.WELFARE_LOTTERY)
    bk.deposit(first.id, "350000.00", date(YEAR, 1, 10))
    bk.deposit(second.id, "100000.00", date(YEAR, 2, 10))
    bk.transfer(date(YEAR, 2, 20))
    bk.income("50000.00", date(YEAR, 3, 2), source=IncomeSource.ENTERPRISE)
    foundation.record_income(bk.uow, bk.fm, source=IncomeSource.INDIVIDUAL, donor=SECRET_DONOR,
                             anonymous=True, amount=yuan("888.00"), received_on=date(YEAR, 3, 3),
                             restriction=Restriction.NONE, reference="ANON-1")
    for n, donor in enumerate(FORMULA_DONORS, 1):
        foundation.record_income(bk.uow, bk.fm, source=IncomeSource.INDIVIDUAL, donor=donor,
                                 amount=yuan(f"{n}0.00"), received_on=date(YEAR, 3, 4),
                                 restriction=Restriction.NONE, reference=f"F-{n}")
    grant_id = _grant(bk, private)
    bk.manual("foundation", date(YEAR, 7, 1), ("5201", "debit", "1200.00"),
              ("1002", "credit", "1200.00"))
    campaign_id = _campaign(bk, private)
    seeded = Seeded(campaign_id, grant_id, private=private)
    pay_roll(bk, seeded)
    return seeded


def pay_roll(bk: Books, seeded: Seeded) -> None:
    """The subsidy arrives, one flat is unreachable (the foundation covers its share), the
    other five pay in October; October is closed and signed off."""
    roll = bk.roll(seeded.campaign_id)
    bk.subsidy(seeded.campaign_id, "400.00", date(YEAR, 9, 20))
    campaigns_uc.mark_household(bk.uow, bk.fm, seeded.campaign_id, roll[-1].id,
                                status=HouseholdStatus.UNREACHABLE, reason="空置，联系不上")
    campaigns_uc.assign_shortfall(bk.uow, bk.fm, seeded.campaign_id, source=Source.FOUNDATION)
    seeded.codes = [bk.pay(seeded.campaign_id, household, date(YEAR, 10, 5 + n)).receipt_code
                    for n, household in enumerate(roll[:-1])]
    bk.close("foundation", MONTH)
    bk.sign("foundation", MONTH)


def text_of(html: str) -> str:
    """A page's text: scripts, styles and tags dropped, spaces collapsed."""
    html = re.sub(r"<(script|style|svg)\b[^>]*>.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def row_text(html: str, table_id: str, key: str) -> str:
    """The text of the row with data-key=`key` in the table with id `table_id`."""
    table = re.search(rf'<table[^>]*id="{re.escape(table_id)}".*?</table>', html, re.S)
    assert table is not None, f"no table #{table_id}"
    row = re.search(rf'<tr data-key="{re.escape(key)}">(.*?)</tr>', table.group(0), re.S)
    assert row is not None, f"no row {key!r} in #{table_id}"
    return text_of(row.group(1))
