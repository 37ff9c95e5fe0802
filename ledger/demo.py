"""Demo books: the scenario of the domain brief, built in an empty database through the same
use cases the API and the staff pages call (never a raw insert, never the journal directly).

2026, as of 22 November:

- **staff**: an admin, two fund managers (one records, the other approves: four eyes), three
  board members, an auditor, all with one demo password;
- **the chamber's mutual-aid fund**: six member enterprises; 嘉兴永耀纺织 deposits 350,000.00
  (105,000.00 operating / 245,000.00 to the foundation), the others other amounts; the 70 %
  transferred to the foundation in four batches; 永耀's 5,000,000.00 bank loan bridged and
  renewed, a 200,000.00 bridge advanced from the fund's bank and repaid, a 1,000,000.00 bridge
  still outstanding; rent, software, a briefing and bank charges paid from the operating share;
- **the community development foundation**: income from every source (welfare lottery, fiscal,
  an enterprise giving to the grant round, a social organisation giving for a purpose, two
  individuals, one anonymous); a 公益创投 round of four applications reviewed by the board (one
  member recused), voted by the residents' assembly: the elderly canteen paid in full after its
  acceptance evaluation, the after-school classes with one tranche paid, the rescue team's kit
  committed and unpaid, the hotline rejected; administrative costs by voucher;
- **the 俞范东路小区 hallway windows** (seed 001): 67,000.00 quoted, 60,000.00 from 蛟川街道,
  7,000.00 shared by 317 households (64 × 22.09 + 253 × 22.08); 315 pay through WeChat Pay in
  October (two exports imported), two vacant flats are unreachable and their 44.17 is covered
  by the subdistrict; the contractor is paid 67,000.00 in November and the campaign closed;
- **periods**: every month from January to October of both entities closed and signed off by
  the auditor (unqualified), so October's Merkle root proves the residents' payments.

Everything is deterministic (a seeded generator makes the roll and the payment exports), so
two loads give the same figures; only receipt codes, timestamps and hashes differ.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from moneyed import Money

from ledger import applications as applications_uc
from ledger import bridging, expenses, foundation, reviews, rounds, staff, vouchers
from ledger import campaign_completion as completion
from ledger import campaign_payments as payments
from ledger import campaigns as campaigns_uc
from ledger import grantees as grantees_uc
from ledger import grants as grants_uc
from ledger import mutual_aid as ma
from ledger import periods as periods_uc
from ledger.core.campaigns import (
    HouseholdStatus,
    HouseKey,
    LeftoverRule,
    MissRule,
    PaymentMethod,
    Source,
)
from ledger.core.credit_code import check_character
from ledger.core.entries import JournalEntry, Posting
from ledger.core.errors import Conflict
from ledger.core.grants import (
    BudgetLine,
    Choice,
    Criterion,
    EvaluationResult,
    IncomeSource,
    Majority,
    Registration,
    Restriction,
    Tranche,
)
from ledger.core.money import format_amount, parse_money
from ledger.core.mutual_aid import PaymentMethod as DepositMethod
from ledger.core.mutual_aid import ServiceStatus
from ledger.core.periods import Opinion
from ledger.core.staff import Actor, Role, check_password
from ledger.db import journal as journal_db
from ledger.db.chain import verify, verify_audit
from ledger.db.session import UnitOfWork

#: The password of every demo account, unless the caller gives another (it is printed).
DEMO_PASSWORD = "huzhu-demo-2026"
YEAR = 2026
SEED = 20261122
FUND, FOUNDATION = "fund", "foundation"
#: Months closed and signed off, in both entities.
SIGNED_MONTHS = tuple(f"{YEAR}-{m:02d}" for m in range(1, 11))


def cny(value: str) -> Money:
    """An amount in CNY from its decimal string."""
    return parse_money(value)


def on(month: int, day: int) -> date:
    """A day of the demo year."""
    return date(YEAR, month, day)


def credit_code(first17: str) -> str:
    """A unified social credit code: the first 17 characters and their check character."""
    return first17 + check_character(first17)


class NotEmpty(Conflict):
    """The demo is loaded only into a database without entries and staff accounts."""

    code = "not-empty"
    title = "The database is not empty"


# --- who ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StaffAccount:
    username: str
    display_name: str
    role: Role


STAFF: tuple[StaffAccount, ...] = (
    StaffAccount("admin", "王主任 (管理员)", Role.ADMIN),
    StaffAccount("fm1", "李会计", Role.FUND_MANAGER),
    StaffAccount("fm2", "陈出纳", Role.FUND_MANAGER),
    StaffAccount("board1", "张理事长", Role.BOARD_MEMBER),
    StaffAccount("board2", "刘理事", Role.BOARD_MEMBER),
    StaffAccount("board3", "赵理事", Role.BOARD_MEMBER),
    StaffAccount("auditor", "周审计师", Role.AUDITOR),
)
REVIEWERS = ("board1", "board2", "board3")


# --- the fund's members ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Enterprise:
    """A member enterprise (fictitious people, phones and codes; 永耀 is seed 000's)."""

    key: str
    name_zh: str
    name_en: str
    code17: str  # the credit code without its check character (秀洲区: 330411)
    legal_representative: str
    contact_name: str
    contact_phone: str
    joined_on: date
    deposit: str
    deposited_on: date


ENTERPRISES: tuple[Enterprise, ...] = (
    Enterprise("yongyao", "嘉兴永耀纺织有限公司", "Jiaxing Yongyao Textile Co., Ltd.",
               "91330411MA2BXK4L1", "沈建华", "沈会计", "0573-8312 0001", on(1, 6),
               "350000.00", on(1, 8)),
    Enterprise("silk", "嘉兴新塍丝绸有限公司", "Jiaxing Xincheng Silk Co., Ltd.",
               "91330411MA28C7QT3", "陆国平", "陆出纳", "0573-8312 0002", on(1, 12),
               "200000.00", on(1, 15)),
    Enterprise("hardware", "嘉兴秀洲五金制品有限公司", "Jiaxing Xiuzhou Hardware Co., Ltd.",
               "91330411MA2JD95R6", "顾志强", "顾会计", "0573-8312 0003", on(2, 2),
               "150000.00", on(2, 3)),
    Enterprise("food", "浙江新塍食品有限公司", "Zhejiang Xincheng Foods Co., Ltd.",
               "91330411MA2CN3HW8", "朱美琴", "朱会计", "0573-8312 0004", on(3, 9),
               "100000.00", on(3, 10)),
    Enterprise("logistics", "嘉兴恒达物流有限公司", "Jiaxing Hengda Logistics Co., Ltd.",
               "91330411MA2EL6PU0", "钱立新", "钱经理", "0573-8312 0005", on(5, 11),
               "250000.00", on(5, 12)),
    Enterprise("packaging", "嘉兴立信包装有限公司", "Jiaxing Lixin Packaging Co., Ltd.",
               "91330411MA2GK8FY5", "吴晓东", "吴会计", "0573-8312 0006", on(10, 10),
               "120000.00", on(10, 12)),
)
#: Transfers of the 70 % to the foundation: each pays every share owed on its day.
TRANSFERS = (on(1, 20), on(3, 20), on(5, 20), on(11, 5))
#: The fund's operating expenses: (day, category, amount, payee, memo).
FUND_EXPENSES = (
    (on(1, 30), "administration", "12000.00", "嘉兴市新塍商会", "办公室租金（上半年）"),
    (on(4, 28), "administration", "3600.00", "嘉兴易账通软件有限公司", "财务软件年费"),
    (on(6, 26), "programme", "8000.00", "新塍镇文化礼堂", "会员企业续贷政策宣讲会"),
    (on(7, 30), "administration", "12000.00", "嘉兴市新塍商会", "办公室租金（下半年）"),
    (on(9, 30), "other", "600.00", "嘉兴银行新塍支行", "银行手续费（一至三季度）"),
    (on(10, 30), "administration", "2400.00", "嘉兴市新塍商会", "十月份财务人员劳务费"),
)

# --- the foundation -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gift:
    """Income of the foundation from one source."""

    received_on: date
    source: IncomeSource
    donor: str
    amount: str
    restriction: Restriction = Restriction.NONE
    purpose: str | None = None
    anonymous: bool = False


CANTEEN_PURPOSE = "新塍镇长者食堂助餐服务"
INCOMES_BEFORE_ROUND = (
    Gift(on(2, 6), IncomeSource.WELFARE_LOTTERY, "嘉兴市民政局（福彩公益金）", "300000.00"),
    Gift(on(2, 26), IncomeSource.FISCAL, "秀洲区新塍镇人民政府", "400000.00"),
)
ROUND_GIFT = Gift(on(3, 12), IncomeSource.ENTERPRISE, "嘉兴永耀纺织有限公司", "100000.00",
                  Restriction.ROUND)
INCOMES_AFTER_ROUND = (
    Gift(on(4, 28), IncomeSource.SOCIAL_ORGANISATION, "嘉兴市慈善总会", "60000.00",
         Restriction.PURPOSE, CANTEEN_PURPOSE),
    Gift(on(6, 1), IncomeSource.INDIVIDUAL, "周建国", "10000.00"),
    Gift(on(9, 9), IncomeSource.INDIVIDUAL, "张女士", "5000.00", anonymous=True),
)
#: The foundation's administrative costs, by voucher: (day, amount, memo).
FOUNDATION_COSTS = (
    (on(6, 30), "6000.00", "基金会上半年办公经费 office costs, first half"),
    (on(10, 30), "4500.00", "基金会三季度审计与办公经费 audit and office costs, Q3"),
)


@dataclass(frozen=True, slots=True)
class Organisation:
    """A social organisation (社会组织) that applies for a grant."""

    key: str
    name_zh: str
    name_en: str
    code17: str
    registration: Registration
    contact_name: str
    contact_phone: str
    bank_account: str


ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation("elders", "嘉兴市秀洲区新塍镇长者服务中心", "Xincheng Elders' Service Centre",
                 "52330411MJ8A2B3C4", Registration.REGISTERED, "徐主任", "0573-8322 1001",
                 "6222 0211 0000 1001"),
    Organisation("youth", "秀洲区新塍青少年成长服务社", "Xincheng Youth Growth Service",
                 "52330411MJ8D5E6F7", Registration.REGISTERED, "孙社工", "0573-8322 1002",
                 "6222 0211 0000 1002"),
    Organisation("rescue", "新塍镇应急救援队", "Xincheng Emergency Rescue Team",
                 "51330411MJ8G9H2K3", Registration.FILED, "马队长", "0573-8322 1003",
                 "6222 0211 0000 1003"),
    Organisation("sunshine", "嘉兴市秀洲区阳光社工事务所", "Sunshine Social Work Office",
                 "52330411MJ8L4M5N6", Registration.REGISTERED, "何督导", "0573-8322 1004",
                 "6222 0211 0000 1004"),
)
CRITERIA = (Criterion("社区需求 community need", 40), Criterion("实施能力 capacity", 30),
            Criterion("预算合理 budget", 30))


@dataclass(frozen=True, slots=True)
class Proposal:
    """An application to the round, and how the board and the residents' assembly decide it:
    `votes` maps each reviewer to a choice, or to None when they declare a conflict."""

    organisation: str
    title: str
    need: str
    submitted_on: date
    budget: tuple[tuple[str, str], ...]
    tranches: tuple[tuple[date, str], ...]
    votes: dict[str, Choice | None]
    scores: dict[str, tuple[int, int, int]]
    assembly: tuple[int, int, int]  # for, against, abstain

    @property
    def requested(self) -> Money:
        return sum((cny(a) for _, a in self.budget[1:]), cny(self.budget[0][1]))


FOR, AGAINST, ABSTAIN = Choice.FOR, Choice.AGAINST, Choice.ABSTAIN
PROPOSALS: tuple[Proposal, ...] = (
    Proposal("elders", "长者食堂助餐服务 elderly canteen",
             "镇区独居和高龄老人约120人，午餐无人照应",
             on(3, 5), (("食材与燃料", "90000.00"), ("厨师与送餐人员", "70000.00"),
                        ("餐具与保温设备", "20000.00")),
             ((on(5, 1), "60000.00"), (on(7, 1), "60000.00"), (on(9, 30), "60000.00")),
             {"board1": FOR, "board2": FOR, "board3": FOR},
             {"board1": (92, 85, 88), "board2": (90, 88, 80), "board3": (95, 82, 86)},
             (41, 1, 0)),
    Proposal("youth", "四点半课堂 after-school classes",
             "双职工家庭的小学生放学后无人看护，约60名",
             on(3, 9), (("辅导老师劳务", "100000.00"), ("教材与活动", "50000.00")),
             ((on(5, 1), "75000.00"), (on(11, 30), "75000.00")),
             {"board1": FOR, "board2": FOR, "board3": ABSTAIN},
             {"board1": (85, 80, 78), "board2": (82, 84, 75), "board3": (70, 75, 72)},
             (38, 2, 2)),
    Proposal("rescue", "应急救援队装备 rescue-team kit",
             "280名志愿救援队员缺少统一的救生与通讯装备",
             on(3, 16), (("救生衣与头盔", "48000.00"), ("对讲机与通讯设备", "42000.00"),
                         ("急救培训", "30000.00")),
             ((on(12, 1), "60000.00"), (date(YEAR + 1, 3, 1), "60000.00")),
             {"board1": FOR, "board2": None, "board3": FOR},
             {"board1": (88, 80, 82), "board3": (86, 78, 85)},
             (40, 0, 2)),
    Proposal("sunshine", "社区心理咨询热线 counselling hotline",
             "居民心理咨询需求，已有市级热线覆盖",
             on(3, 27), (("咨询师劳务", "70000.00"), ("宣传与场地", "20000.00")),
             ((on(6, 1), "90000.00"),),
             {"board1": AGAINST, "board2": AGAINST, "board3": FOR},
             {"board1": (55, 70, 60), "board2": (50, 72, 58), "board3": (68, 70, 65)},
             (12, 25, 5)),
)
CONFLICT_NOTE = "本人为该救援队队员 I am a member of the team"

# --- the 俞范 campaign ----------------------------------------------------------------------------
COMMUNITY = "俞范东路小区"
HOUSEHOLDS = 317
SUBSIDY_FROM = "蛟川街道办事处"
CONTRACTOR = "宁波镇海明窗门窗有限公司"
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田"
            "董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊")
#: Payments arrive from this day to PAID_UNTIL; the first export covers up to SPLIT_AFTER.
PAID_FROM, PAID_UNTIL, SPLIT_AFTER = on(10, 3), on(10, 25), on(10, 14)


def flats(seed: int = SEED) -> list[HouseKey]:
    """The 317 flats of 俞范东路小区 in roll order: twelve buildings of two units, seven floors
    and two flats a floor (336), less 19 ground-floor rooms that are shops or storage."""
    every = [HouseKey(str(b), str(u), f"{f}{d:02d}")
             for b in range(1, 13) for u in (1, 2) for f in range(1, 8) for d in (1, 2)]
    ground = [k for k in every if k.room.startswith("1")]
    dropped = set(random.Random(seed).sample(ground, len(every) - HOUSEHOLDS))
    return [k for k in every if k not in dropped]


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode()  # UTF-8 with BOM, as Excel saves it


def roll_csv(keys: Sequence[HouseKey], seed: int = SEED) -> bytes:
    """The volunteers' roll: Chinese headers, a contact (a surname and 先生/女士) and an
    obviously fictitious phone number per flat, in the order the volunteers walked it."""
    rng = random.Random(seed + 1)
    rows = [(k.building, k.unit, k.room, f"{rng.choice(SURNAMES)}{rng.choice(('先生', '女士'))}",
             f"135-0000-{n:04d}") for n, k in enumerate(keys, start=1)]
    rng.shuffle(rows)
    return _csv(("楼栋", "单元", "室", "户主", "联系电话"), rows)


WECHAT_HEADER = ("交易时间", "交易单号", "楼栋", "单元", "室", "金额(元)", "备注")


@dataclass(frozen=True, slots=True)
class WechatLine:
    """One line of a WeChat Pay export: a household paying its share."""

    paid_at: str  # "2026-10-05 19:42:13"
    reference: str  # 28 digits
    key: HouseKey
    amount: str

    @property
    def day(self) -> date:
        return date.fromisoformat(self.paid_at[:10])


def wechat_lines(payers: Sequence[campaigns_uc.Household], seed: int = SEED
                 ) -> list[WechatLine]:
    """A WeChat Pay transaction per paying household, on a day of October between PAID_FROM
    and PAID_UNTIL, in the order they were paid."""
    rng = random.Random(seed + 2)
    span = (PAID_UNTIL - PAID_FROM).days
    found = []
    for n, household in enumerate(payers, start=1):
        day = PAID_FROM + timedelta(days=rng.randint(0, span))
        at = f"{day.isoformat()} {rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}:" \
             f"{rng.randint(0, 59):02d}"
        reference = f"420000{2000 + n:04d}{day:%Y%m%d}{rng.randrange(10**10):010d}"
        found.append(WechatLine(at, reference, household.key, format_amount(household.share)))
    return sorted(found, key=lambda line: (line.paid_at, line.reference))


def wechat_csv(lines: Sequence[WechatLine]) -> bytes:
    """A WeChat-Pay-style export: Chinese headers, ¥ amounts, times of day."""
    return _csv(WECHAT_HEADER, [(line.paid_at, line.reference, line.key.building,
                                 line.key.unit, line.key.room, f"¥{line.amount}", "楼道窗户维修")
                                for line in lines])


# --- the builder ----------------------------------------------------------------------------------
def is_empty(uow: UnitOfWork) -> bool:
    """No journal entry and no staff account: the demo may be loaded."""
    entries = uow.read(lambda session: journal_db.head(session)[0])
    return entries == 0 and not staff.users(uow)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the demo: its title (for a progress bar) and what it does."""

    title: str
    run: Callable[[], None]


@dataclass(frozen=True, slots=True)
class Summary:
    """What the demo holds, for the command to print."""

    entries: int
    audit_records: int
    members: int
    deposits: int
    deposited: Money
    services: int
    incomes: int
    applications: int
    grants: int
    households: int
    paid: int
    unreachable: int
    campaign_status: str
    signed: tuple[str, ...]  # "foundation 2026-10: unqualified, Merkle root 3f2a..."
    receipt_codes: tuple[str, ...]  # of households paid in a signed month
    usernames: tuple[str, ...]
    password: str
    chain_ok: bool
    chain_detail: str
    audit_ok: bool


@dataclass
class DemoBooks:
    """Builds the demo step by step (see `steps`); each step is one or more use cases, so a
    progress bar can follow them. `password` is every account's."""

    uow: UnitOfWork
    password: str = DEMO_PASSWORD
    users: dict[str, staff.StaffUser] = field(default_factory=dict)
    members: dict[str, ma.Member] = field(default_factory=dict)
    grantees: dict[str, grantees_uc.Grantee] = field(default_factory=dict)
    applications: dict[str, applications_uc.Application] = field(default_factory=dict)
    grants: dict[str, grants_uc.Grant] = field(default_factory=dict)
    incomes: dict[str, foundation.Income] = field(default_factory=dict)
    round_id: int | None = None
    campaign_id: int | None = None

    def __post_init__(self) -> None:
        for account in STAFF:
            check_password(self.password, username=account.username)

    # --- people -----------------------------------------------------------------------------------
    def actor(self, username: str) -> Actor:
        """The account acting in its (one) role, as from the staff pages."""
        role = next(a.role for a in STAFF if a.username == username)
        return self.users[username].actor(role, "demo")

    @property
    def fm(self) -> Actor:
        """The fund manager who records."""
        return self.actor("fm1")

    @property
    def checker(self) -> Actor:
        """The second fund manager, who approves (four eyes)."""
        return self.actor("fm2")

    def steps(self) -> tuple[Step, ...]:
        """The demo in order; run each step's `run` once, then `summary()`."""
        return (
            Step("staff accounts", self.create_staff),
            Step("member enterprises", self.register_members),
            Step("deposits and transfers", self.record_deposits),
            Step("bridging services", self.bridge_loans),
            Step("operating expenses", self.pay_fund_expenses),
            Step("foundation income", self.receive_income),
            Step("公益创投 round", self.open_round),
            Step("board review", self.review_round),
            Step("grant tranches", self.pay_tranches),
            Step("俞范 campaign and roll", self.start_campaign),
            Step("WeChat Pay exports", self.import_payments),
            Step("unreachable flats", self.cover_unreachable),
            Step("foundation vouchers", self.record_costs),
            Step("close and sign periods", self.close_periods),
            Step("November", self.november),
        )

    # --- staff ------------------------------------------------------------------------------------
    def create_staff(self) -> None:
        """The admin first (by the loading process), then the admin creates everyone else."""
        first, *others = STAFF
        self.users[first.username] = staff.create_user(
            self.uow, Actor.system("demo-load"), username=first.username,
            display_name=first.display_name, password=self.password, roles=[first.role.value])
        admin = self.actor(first.username)
        for account in others:
            self.users[account.username] = staff.create_user(
                self.uow, admin, username=account.username, display_name=account.display_name,
                password=self.password, roles=[account.role.value])

    # --- the fund ---------------------------------------------------------------------------------
    def register_members(self) -> None:
        """The six member enterprises, each with its unified social credit code."""
        for firm in ENTERPRISES:
            self.members[firm.key] = ma.register_member(
                self.uow, self.fm, name_zh=firm.name_zh, name_en=firm.name_en,
                credit_code=credit_code(firm.code17),
                legal_representative=firm.legal_representative, contact_name=firm.contact_name,
                contact_phone=firm.contact_phone, joined_on=firm.joined_on)

    def record_deposits(self) -> None:
        """Each member's deposit by bank transfer, split 30/70; every transfer date pays the
        foundation what is owed then (the last one, in November, comes after the close)."""
        transfers = [d for d in TRANSFERS if d <= on(10, 31)]
        for firm in sorted(ENTERPRISES, key=lambda f: f.deposited_on):
            while transfers and transfers[0] < firm.deposited_on:
                ma.transfer_to_foundation(self.uow, self.fm, made_on=transfers.pop(0))
            ma.record_deposit(self.uow, self.fm, member_id=self.members[firm.key].id,
                              amount=cny(firm.deposit), received_on=firm.deposited_on,
                              method=DepositMethod.BANK_TRANSFER,
                              reference=f"JXB{firm.deposited_on:%Y%m%d}{firm.code17[-4:]}")
        for made_on in transfers:
            ma.transfer_to_foundation(self.uow, self.fm, made_on=made_on)

    def service(self, member: str, bank: str, loan: str, start: date, end: date, *,
                advance: bool) -> bridging.Service:
        """A bridging service requested by one fund manager, approved by the other, active."""
        found = bridging.request_service(self.uow, self.fm, member_id=self.members[member].id,
                                         bank=bank, loan_amount=cny(loan), bridge_from=start,
                                         bridge_to=end)
        bridging.approve_service(self.uow, self.checker, found.id)
        return bridging.activate_service(self.uow, self.fm, found.id, advance=advance, on=start)

    def bridge_loans(self) -> None:
        """永耀's 5,000,000.00 loan falls due and the fund arranges its renewal (the whole
        entitlement, no money advanced: the fund's bank holds far less); 新塍丝绸's 200,000.00
        is bridged with the fund's own money for two weeks and repaid."""
        renewal = self.service("yongyao", "嘉兴银行新塍支行", "5000000.00", on(3, 25), on(4, 8),
                               advance=False)
        bridging.end_service(self.uow, self.fm, renewal.id, status=ServiceStatus.REPAID,
                             on=on(4, 8))
        bridge = self.service("silk", "浙江农商银行新塍支行", "200000.00", on(7, 6), on(7, 20),
                              advance=True)
        bridging.end_service(self.uow, self.fm, bridge.id, status=ServiceStatus.REPAID,
                             on=on(7, 20))

    def pay_fund_expenses(self) -> None:
        """Rent, software, a briefing for members and bank charges, from the 30 % share."""
        for day, category, amount, payee, memo in FUND_EXPENSES:
            expenses.record_expense(self.uow, self.fm, category=category, amount=cny(amount),
                                    spent_on=day, payee=payee, memo=memo)

    # --- the foundation ---------------------------------------------------------------------------
    def gift(self, gift: Gift, round_id: int | None = None) -> foundation.Income:
        """Record a gift as the foundation's income (a grant round's, with `round_id`)."""
        return foundation.record_income(
            self.uow, self.fm, source=gift.source, donor=gift.donor, amount=cny(gift.amount),
            received_on=gift.received_on, restriction=gift.restriction, purpose=gift.purpose,
            round_id=round_id, anonymous=gift.anonymous,
            reference=f"INC{gift.received_on:%Y%m%d}")

    def receive_income(self) -> None:
        """Public money before the round opens (the round's budget must be available)."""
        for gift in INCOMES_BEFORE_ROUND:
            self.incomes[gift.source.value] = self.gift(gift)

    def open_round(self) -> None:
        """The 2026 open call: 600,000.00 reserved from the funds; an enterprise gives
        100,000.00 for the round; four social organisations apply."""
        found = rounds.create_round(
            self.uow, self.fm, title="2026年新塍社区公益创投 Xincheng venture philanthropy 2026",
            description="面向新塍镇社区的为老、青少年、应急与心理服务项目，公开征集、评审立项、"
                        "对接资源、实施运行、验收评估。",
            eligibility="在秀洲区登记或备案的社会组织 social organisations registered or filed "
                        "in Xiuzhou", budget=cny("600000.00"), opens_on=on(3, 2),
            closes_on=on(3, 31), quorum=2, majority=Majority.SIMPLE, criteria=CRITERIA,
            reviewers=REVIEWERS, assembly_required=True)
        rounds.open_round(self.uow, self.fm, found.id)
        self.round_id = found.id
        self.incomes["round"] = self.gift(ROUND_GIFT, round_id=found.id)
        for org in ORGANISATIONS:
            self.grantees[org.key] = grantees_uc.register_grantee(
                self.uow, self.fm, name_zh=org.name_zh, name_en=org.name_en,
                credit_code=credit_code(org.code17), registration=org.registration,
                contact_name=org.contact_name, contact_phone=org.contact_phone,
                bank_name="嘉兴银行新塍支行", bank_account=org.bank_account)
        for proposal in PROPOSALS:
            self.applications[proposal.organisation] = applications_uc.submit_application(
                self.uow, self.fm, round_id=found.id,
                grantee_id=self.grantees[proposal.organisation].id, title=proposal.title,
                need=proposal.need, requested=proposal.requested,
                budget=[BudgetLine(item, cny(amount)) for item, amount in proposal.budget],
                tranches=[Tranche(n, due, cny(amount))
                          for n, (due, amount) in enumerate(proposal.tranches, start=1)],
                submitted_on=proposal.submitted_on)

    def review_round(self) -> None:
        """Declarations, scores and votes of the three board members (one recused), the
        residents' assembly, then the resolutions of 15 April: three grants committed, one
        application rejected; the round closes and what it did not commit is free again."""
        assert self.round_id is not None
        rounds.start_review(self.uow, self.fm, self.round_id)
        for proposal in PROPOSALS:
            application = self.applications[proposal.organisation].id
            for name, choice in proposal.votes.items():
                reviewer = self.actor(name)
                reviews.declare(self.uow, reviewer, application, conflicted=choice is None,
                                note=CONFLICT_NOTE if choice is None else "")
                if choice is None:
                    continue
                reviews.score(self.uow, reviewer, application,
                              {c.name: s for c, s in zip(CRITERIA, proposal.scores[name],
                                                         strict=True)})
                reviews.vote(self.uow, reviewer, application, choice)
            votes_for, against, abstain = proposal.assembly
            reviews.record_assembly_vote(self.uow, self.fm, application, held_on=on(4, 10),
                                         votes_for=votes_for, against=against, abstain=abstain)
            resolution = reviews.resolve(self.uow, self.actor("board1"), application,
                                         on=on(4, 15))
            if resolution.grant_id is not None:
                self.grants[proposal.organisation] = grants_uc.get_grant(self.uow,
                                                                         resolution.grant_id)
        rounds.close_round(self.uow, self.fm, self.round_id)

    def pay_tranches(self) -> None:
        """The canteen: three tranches, the last after its acceptance evaluation (and the
        charity federation's money for it released); the after-school classes: the first of
        two; the rescue team's kit: committed, nothing paid yet. Individuals give too."""
        canteen, classes = self.grants["elders"].id, self.grants["youth"].id
        self.incomes["canteen"] = self.gift(INCOMES_AFTER_ROUND[0])
        grants_uc.pay_tranche(self.uow, self.fm, canteen, number=1, on=on(5, 6))
        grants_uc.pay_tranche(self.uow, self.fm, classes, number=1, on=on(5, 6))
        for gift in INCOMES_AFTER_ROUND[1:]:
            self.incomes[gift.donor] = self.gift(gift)
        grants_uc.pay_tranche(self.uow, self.fm, canteen, number=2, on=on(7, 6))
        grants_uc.evaluate(self.uow, self.fm, canteen, evaluated_on=on(9, 18),
                           evaluators="新塍镇社会事务办、居民代表、第三方评估机构",
                           result=EvaluationResult.PASSED,
                           notes="服务老人126名，供餐2.1万份，满意度96%")
        grants_uc.pay_tranche(self.uow, self.fm, canteen, number=3, on=on(9, 30))
        foundation.release_restriction(self.uow, self.fm, self.incomes["canteen"].id,
                                       amount=cny(INCOMES_AFTER_ROUND[0].amount), on=on(9, 30),
                                       reason="长者食堂项目验收通过，用途已实现 purpose met")

    # --- the campaign -----------------------------------------------------------------------------
    def start_campaign(self) -> None:
        """The campaign, its roll of 317 flats (exact shares), opened; the subsidy arrives."""
        found = campaigns_uc.create_campaign(
            self.uow, self.fm, community=COMMUNITY, buildings="1-12幢",
            title=f"{COMMUNITY}楼道窗户维修 hallway windows",
            repair="楼道窗户关不上，入冬前更换窗扇与五金 windows that do not close, before winter",
            contractor=CONTRACTOR, cost=cny("67000.00"), subsidy=cny("60000.00"),
            subsidy_from=SUBSIDY_FROM, match=parse_money("0.00", allow_zero=True),
            deadline=on(10, 31), miss_rule=MissRule.KEEP_RAISED,
            shortfall_source=Source.SUBSIDY, leftover_rule=LeftoverRule.REFUND)
        self.campaign_id = found.id
        campaigns_uc.import_roll(self.uow, self.fm, found.id, roll_csv(flats()),
                                 filename=f"{COMMUNITY}住户名册.csv")
        campaigns_uc.open_campaign(self.uow, self.fm, found.id)
        campaigns_uc.receive_subsidy(self.uow, self.fm, found.id, amount=cny("60000.00"),
                                     received_on=on(9, 22), reference="JC-2026-0922")

    def unreachable(self) -> list[campaigns_uc.Household]:
        """The two vacant flats: one of the households paying 22.09, one paying 22.08."""
        assert self.campaign_id is not None
        roll = campaigns_uc.households(self.uow, self.campaign_id)
        rng = random.Random(SEED + 3)
        higher = [h for h in roll if h.share == roll[0].share]
        lower = [h for h in roll if h.share != roll[0].share]
        return [rng.choice(higher), rng.choice(lower)]

    def import_payments(self) -> None:
        """315 households pay through WeChat Pay in October: two exports, imported and
        reconciled against the roll."""
        assert self.campaign_id is not None
        vacant = {h.id for h in self.unreachable()}
        lines = wechat_lines([h for h in campaigns_uc.households(self.uow, self.campaign_id)
                              if h.id not in vacant])
        first = [line for line in lines if line.day <= SPLIT_AFTER]
        second = [line for line in lines if line.day > SPLIT_AFTER]
        for part, (start, end) in ((first, (PAID_FROM, SPLIT_AFTER)),
                                   (second, (SPLIT_AFTER + timedelta(days=1), PAID_UNTIL))):
            payments.import_payments(self.uow, self.fm, self.campaign_id, wechat_csv(part),
                                     method=PaymentMethod.WECHAT,
                                     filename=f"微信支付账单({start:%Y%m%d}-{end:%Y%m%d}).csv")

    def cover_unreachable(self) -> None:
        """The volunteers mark the two vacant flats unreachable; the subdistrict covers their
        shares (the campaign's named source) and pays them: the campaign is funded."""
        assert self.campaign_id is not None
        for household in self.unreachable():
            campaigns_uc.mark_household(self.uow, self.fm, self.campaign_id, household.id,
                                        status=HouseholdStatus.UNREACHABLE,
                                        reason="空置房，多次上门无人应答 vacant, nobody answers")
        found = campaigns_uc.assign_shortfall(self.uow, self.fm, self.campaign_id,
                                              note="蛟川街道同意补足两户空置房份额")
        campaigns_uc.receive_subsidy(self.uow, self.fm, self.campaign_id,
                                     amount=found.figures.assigned, received_on=on(10, 28),
                                     reference="JC-2026-1028")

    # --- adjusting entries and periods ------------------------------------------------------------
    def record_costs(self) -> None:
        """The foundation's administrative costs: vouchers prepared by one fund manager and
        approved (posted) by the other."""
        for day, amount, memo in FOUNDATION_COSTS:
            entry = JournalEntry(entity=FOUNDATION, effective_date=day, memo=memo,
                                 actor="fm1", postings=(Posting.debit("5201", cny(amount)),
                                                        Posting.credit("1002", cny(amount))))
            voucher = vouchers.submit(self.uow, self.fm, entry)
            vouchers.approve(self.uow, self.checker, voucher.id)

    def close_periods(self) -> None:
        """January to October of both books: closed by a fund manager, verified and signed
        off by the auditor with an unqualified opinion."""
        auditor = self.actor("auditor")
        for label in SIGNED_MONTHS:
            for entity in (FUND, FOUNDATION):
                periods_uc.start_closing(self.uow, self.checker, entity, label)
                periods_uc.close_period(self.uow, self.checker, entity, label)
                periods_uc.sign_off(self.uow, auditor, entity, label, opinion=Opinion.UNQUALIFIED,
                                    notes="账务处理符合《民间非营利组织会计制度》，未发现重大错报。")

    def november(self) -> None:
        """After the close: the fund transfers October's share; 恒达's 1,000,000.00 loan is
        bridged (outstanding); the contractor is paid 67,000.00 and the campaign closed."""
        assert self.campaign_id is not None
        for made_on in (d for d in TRANSFERS if d > on(10, 31)):
            ma.transfer_to_foundation(self.uow, self.fm, made_on=made_on)
        self.service("logistics", "嘉兴银行新塍支行", "1000000.00", on(11, 16), on(12, 15),
                     advance=False)
        completion.pay_contractor(self.uow, self.fm, self.campaign_id, amount=cny("67000.00"),
                                  paid_on=on(11, 12), reference="NB20261112-0042")
        completion.close_campaign(self.uow, self.fm, self.campaign_id, on=on(11, 18))

    # --- what it holds ----------------------------------------------------------------------------
    def summary(self, codes: int = 5) -> Summary:
        """Counts, a few receipt codes paid in a signed month, and the chains' verification."""
        assert self.campaign_id is not None
        campaign = campaigns_uc.campaign(self.uow, self.campaign_id)
        roll = campaigns_uc.households(self.uow, self.campaign_id)
        paid = payments.payments(self.uow, self.campaign_id)
        signed = []
        for entity in (FUND, FOUNDATION):
            state = periods_uc.period_state(self.uow, entity, SIGNED_MONTHS[-1])
            if state.signoff is not None and state.close is not None:
                signed.append(f"{entity} {state.period.label}: {state.signoff.opinion.value}, "
                              f"Merkle root {state.close.root}")
        journal = self.uow.read(verify)
        audit = self.uow.read(verify_audit)
        deposits = ma.deposits(self.uow)
        return Summary(
            entries=journal.checked, audit_records=audit.checked,
            members=len(ma.members(self.uow)), deposits=len(deposits),
            deposited=sum((d.amount for d in deposits[1:]), deposits[0].amount),
            services=len(bridging.services(self.uow)),
            incomes=len(foundation.incomes(self.uow)),
            applications=len(applications_uc.applications(self.uow)),
            grants=len(grants_uc.grants(self.uow)), households=campaign.households,
            paid=campaign.paid_up,
            unreachable=sum(h.status is HouseholdStatus.UNREACHABLE for h in roll),
            campaign_status=campaign.status.value, signed=tuple(signed),
            receipt_codes=tuple(p.receipt_code for p in paid
                                if p.paid_on.strftime("%Y-%m") in SIGNED_MONTHS)[:codes],
            usernames=tuple(a.username for a in STAFF), password=self.password,
            chain_ok=journal.ok and audit.ok,
            chain_detail=journal.reason or f"{journal.checked} entries verify, head "
                                           f"#{journal.head_seq} {journal.head_hash}",
            audit_ok=audit.ok)


def load(uow: UnitOfWork, *, password: str = DEMO_PASSWORD,
         progress: Callable[[str], None] | None = None) -> Summary:
    """Build the demo books in an empty database (NotEmpty otherwise, having written
    nothing); `progress(title)` is called before each step."""
    if not is_empty(uow):
        raise NotEmpty("the database already has journal entries or staff accounts; the demo "
                       "is loaded only into an empty one")
    books = DemoBooks(uow, password)
    for step in books.steps():
        if progress is not None:
            progress(step.title)
        step.run()
    return books.summary()
