"""Books for the statement-pack tests, built through the use cases: the mutual-aid fund with
deposits split 30/70 (one in the previous year), a transfer of the foundation's share and a
bridging service with an advance; the foundation with income in both years (restricted and
unrestricted), a venture-philanthropy grant with one tranche paid, and a repair campaign
funded, its contractor paid and closed (which releases restricted money)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from moneyed import Money
from sqlalchemy import Engine

from ledger import bridging, mutual_aid, rounds, staff
from ledger import grants as grants_uc
from ledger.core.grants import IncomeSource, Restriction
from ledger.core.mutual_aid import PaymentMethod
from ledger.core.staff import Actor, Role
from ledger.db.session import UnitOfWork
from tests.campaigns.helpers import Books
from tests.grants.helpers import PASSWORD, Programme, create_people

YEAR, PREVIOUS = "2026", "2025"


@dataclass
class Built:
    """The actors and the objects the tests look for in the statements."""

    fm: Actor
    fm2: Actor
    admin: Actor
    auditor: Actor
    member_id: int
    grant_id: int
    campaign_id: int


def _yuan(amount: str) -> Money:
    return Money(amount, "CNY")


def _staff(uow: UnitOfWork, username: str, role: Role) -> Actor:
    user = staff.create_user(uow, Actor.system("test-setup"), username=username,
                             display_name=username.upper(), password=PASSWORD,
                             roles=[role.value])
    return user.actor(role)


def build_books(uow: UnitOfWork, engine: Engine) -> Built:
    people = create_people(uow)  # fm1, admin1, board1..board6
    prog = Programme(uow, engine, people)
    fm, admin = prog.fm, people.actor("admin1")
    fm2 = _staff(uow, "fm2", Role.FUND_MANAGER)
    auditor = _staff(uow, "aud1", Role.AUDITOR)

    # --- the fund: 嘉兴永耀纺织 joins in 2025 and pays its deposit; a second one in 2026 --------
    member = mutual_aid.register_member(
        uow, fm, name_zh="嘉兴永耀纺织有限公司", name_en="Jiaxing Yongyao Textiles Co., Ltd.",
        credit_code="91350100M000100Y43", legal_representative="沈永耀",
        contact_name="沈会计", contact_phone="0573-8300 1234", joined_on=date(2025, 11, 1))
    other = mutual_aid.register_member(
        uow, fm, name_zh="新塍镇五金制品厂", credit_code="91110000600037341L",
        legal_representative="王五金", contact_name="王会计", contact_phone="0573-8300 5678",
        joined_on=date(2026, 1, 2))
    mutual_aid.record_deposit(uow, fm, member_id=member.id, amount=_yuan("350000.00"),
                              received_on=date(2025, 11, 3),
                              method=PaymentMethod.BANK_TRANSFER, reference="ABC-0001")
    mutual_aid.record_deposit(uow, fm, member_id=other.id, amount=_yuan("100000.01"),
                              received_on=date(2026, 1, 6),
                              method=PaymentMethod.BANK_TRANSFER, reference="ABC-0002")
    mutual_aid.transfer_to_foundation(uow, fm2, made_on=date(2026, 1, 8))
    service = bridging.request_service(uow, fm, member_id=member.id, bank="嘉兴银行",
                                       loan_amount=_yuan("2000000.00"),
                                       bridge_from=date(2026, 3, 1),
                                       bridge_to=date(2026, 3, 10))
    bridging.approve_service(uow, fm2, service.id)
    bridging.activate_service(uow, fm, service.id, advance=False, on=date(2026, 3, 1))

    # --- the foundation: income in both years, a grant with a tranche paid -------------------
    prog.income("300000.00", on=date(2025, 6, 1))
    prog.income("800000.00", on=date(2026, 1, 5))
    prog.income("50000.00", source=IncomeSource.ENTERPRISE, on=date(2026, 1, 12),
                restriction=Restriction.PURPOSE, purpose="应急救援队装备 rescue-team kit",
                donor="嘉兴永耀纺织有限公司")
    found = prog.round("500000.00")
    application = prog.apply(found.id, "240000.00", "80000.00", "160000.00")
    rounds.start_review(uow, fm, found.id)
    prog.pass_votes(application.id)
    grant_id = prog.resolve(application.id).grant_id
    assert grant_id is not None
    grants_uc.pay_tranche(uow, fm, grant_id, number=1, on=date(2026, 4, 1))

    # --- a repair campaign, funded, its contractor paid, closed ------------------------------
    books = Books(uow, engine, fm)
    campaign = books.funded("1000.00", "400.00", households=4)
    books.contractor(campaign.id, "1000.00")
    books.close(campaign.id)
    return Built(fm=fm, fm2=fm2, admin=admin, auditor=auditor, member_id=member.id,
                 grant_id=grant_id, campaign_id=campaign.id)
