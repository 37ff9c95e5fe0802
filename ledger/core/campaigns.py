"""Repair crowdfunding (众筹) rules: the campaign's life, each household's exact share, the
household roll as imported, and the reconciliation of a payment export against the roll.

Shares: the crowdfunded gap is split equally over the households on the roll that are asked
to pay, exactly to the fen; the odd fen go one each to the first households in roll order
(building, unit, room). 7,000.00 over 317 households: 64 pay 22.09 and 253 pay 22.08.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import total_ordering

from moneyed import Money

from .entries import JournalEntry, Posting, SourceRef
from .errors import Conflict, InvalidAmount, InvalidInput
from .money import allocate, parse_money
from .states import check_move


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"  # households are asked to pay
    FUNDED = "funded"  # the target is met (or the shortfall is assigned)
    CONTRACTOR_PAID = "contractor_paid"
    CLOSED = "closed"  # leftovers handled; the restricted balance is zero
    CANCELLED = "cancelled"  # every payer refunded


CAMPAIGN_TRANSITIONS = {
    CampaignStatus.DRAFT: (CampaignStatus.OPEN, CampaignStatus.CANCELLED),
    CampaignStatus.OPEN: (CampaignStatus.FUNDED, CampaignStatus.CANCELLED),
    CampaignStatus.FUNDED: (CampaignStatus.CONTRACTOR_PAID, CampaignStatus.CANCELLED),
    CampaignStatus.CONTRACTOR_PAID: (CampaignStatus.CLOSED,),
}


class MissRule(StrEnum):
    """What happens if the households do not raise the whole gap by the deadline."""

    ALL_OR_NOTHING = "all_or_nothing"  # cancelled: every payer refunded
    KEEP_RAISED = "keep_raised"  # the shortfall is covered by a named source


class Source(StrEnum):
    SUBSIDY = "subsidy"  # e.g. the subdistrict's repair subsidy (蛟川街道修理补贴)
    FOUNDATION = "foundation"  # the foundation's match
    HOUSEHOLDS = "households"  # the crowdfunded gap


class LeftoverRule(StrEnum):
    """What happens to money left once the contractor is paid."""

    REFUND = "refund"  # refunded pro rata to everyone who paid restricted money in
    FOUNDATION = "foundation"  # released to the foundation, disclosed with a note


class PaymentMethod(StrEnum):
    CASH = "cash"
    WECHAT = "wechat"  # WeChat Pay
    ALIPAY = "alipay"
    BANK = "bank"  # bank transfer


#: Campaigns whose foundation match is held out of the foundation's available funds.
HOLDING = (CampaignStatus.OPEN, CampaignStatus.FUNDED)
#: Campaigns that take households' payments (after the contractor is paid they are leftovers).
TAKING_PAYMENTS = (CampaignStatus.OPEN, CampaignStatus.FUNDED, CampaignStatus.CONTRACTOR_PAID)


class HouseholdStatus(StrEnum):
    ASKED = "asked"  # on the roll, asked to pay its share
    VACANT = "vacant"
    UNREACHABLE = "unreachable"
    EXEMPT = "exempt"


class InvalidTransition(Conflict):
    code = "campaign-state"
    title = "The campaign is not at that stage"


def check_campaign_transition(current: CampaignStatus, new: CampaignStatus) -> None:
    check_move(CAMPAIGN_TRANSITIONS, current, new, what="campaign", error=InvalidTransition)


# --- shares -----------------------------------------------------------------------------------
SHARE_RULE = ("Equal shares, exact to the fen; the odd fen go one each to the first households "
              "in roll order (building, unit, room).")


def shares(gap: Money, households: int) -> list[Money]:
    """Each asked household's share, in roll order; they add up to the gap exactly."""
    if households < 1:
        raise InvalidInput("a campaign needs at least one household asked to pay",
                           field="households")
    return allocate(gap, [1] * households)


@dataclass(frozen=True, slots=True)
class ShareSummary:
    """How the gap splits: `higher_count` households pay `higher`, the rest `lower`."""

    households: int
    higher: Money
    higher_count: int
    lower: Money
    lower_count: int


def share_summary(gap: Money, households: int) -> ShareSummary:
    found = shares(gap, households)
    higher, lower = found[0], found[-1]
    if higher == lower:
        return ShareSummary(households, higher, households, lower, 0)
    higher_count = found.count(higher)
    return ShareSummary(households, higher, higher_count, lower, households - higher_count)


# --- the household roll -----------------------------------------------------------------------
MAX_ROLL_ROWS = 5_000
MAX_PAYMENT_ROWS = 20_000
ROLL_COLUMNS = {  # our field -> the headers accepted for it
    "building": ("building", "楼栋", "幢", "楼号"),
    "unit": ("unit", "单元"),
    "room": ("room", "室", "房号", "门牌"),
    "contact": ("contact", "联系人", "户主"),
    "phone": ("phone", "电话", "联系电话", "手机"),
}
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that reads numbers as numbers: room 101 < 201 < 1002, 2幢 < 10幢."""
    return tuple((0, int(part)) if part.isascii() and part.isdigit() else (1, part)
                 for part in re.split(r"([0-9]+)", text) if part)


@total_ordering
@dataclass(frozen=True, slots=True)
class HouseKey:
    """Where a household lives; unique on a campaign's roll. Roll order is building, unit,
    room, each compared with its numbers as numbers (a roll is walked floor by floor)."""

    building: str
    unit: str
    room: str

    def __str__(self) -> str:
        return f"{self.building}-{self.unit}-{self.room}"

    @property
    def order(self) -> tuple[tuple[tuple[int, int | str], ...], ...]:
        return _natural(self.building), _natural(self.unit), _natural(self.room)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, HouseKey):
            return NotImplemented
        return (self.order, str(self)) < (other.order, str(other))


@dataclass(frozen=True, slots=True)
class RollLine:
    key: HouseKey
    contact: str
    phone: str


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A bad row of an imported file: its line number (the header is line 1), the column,
    and what is wrong."""

    line: int
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class Preview:
    """What an import would write, and every problem; nothing is written unless it is clean."""

    rows: tuple[object, ...]
    problems: tuple[RowProblem, ...]

    @property
    def clean(self) -> bool:
        return not self.problems


class BadFile(InvalidInput):
    """An imported file with problems: nothing of it was written."""

    code = "bad-file"
    title = "The file has problems; nothing was imported"
    #: Problems listed in an answer; the count says how many there were in all.
    LISTED = 200

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        first = problems[0]
        super().__init__(f"{len(problems)} problem(s); the first, line {first.line}"
                         f"{' ' + first.column if first.column else ''}: {first.message}",
                         field="file")
        self.problems = tuple(problems)

    def extensions(self) -> dict[str, object]:
        return {"problem_count": len(self.problems),
                "rows": [{"line": p.line, "column": p.column, "message": p.message}
                         for p in self.problems[:self.LISTED]]}


def decode(data: bytes) -> str:
    """CSV text from UTF-8 (with or without a byte-order mark) or GB18030 (what Excel in
    Chinese saves); anything else is refused."""
    if b"\x00" in data:
        raise InvalidInput("the file is not a CSV text file (it holds binary data)",
                           field="file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file is neither UTF-8 nor GB18030 text", field="file")


Table = Iterable[Sequence[str]]


def csv_rows(data: bytes) -> Table:
    """The rows of a CSV file (see `decode` for the encodings accepted)."""
    return csv.reader(io.StringIO(decode(data), newline=""))


def _table(data: bytes | Table) -> Table:
    return csv_rows(data) if isinstance(data, bytes | bytearray) else data


def read_table(table: Table, columns: Mapping[str, Sequence[str]], *, max_rows: int
               ) -> tuple[list[tuple[int, dict[str, str]]], list[RowProblem]]:
    """Rows of a table (CSV or a spreadsheet's first sheet) as {field: value} with their line
    numbers, mapping the accepted headers to our fields; a missing column or too many rows is
    a problem of line 1 and stops the reading."""
    reader = iter(table)
    number = 0  # the last line read: an error while reading is on the line after it
    try:
        header = next(reader, None)
        if header is None:
            return [], [RowProblem(1, "", "the file is empty")]
        names = [str(h).strip().lower() for h in header]
        where: dict[str, int] = {}
        for name, accepted in columns.items():
            found = [i for i, h in enumerate(names) if h in {a.lower() for a in accepted}]
            if found:
                where[name] = found[0]
        missing = [n for n in columns if n not in where]
        if missing:
            return [], [RowProblem(1, n, f"no column {n!r} (accepted headers: "
                                         f"{', '.join(columns[n])})") for n in missing]
        rows, problems = [], []
        for number, raw in enumerate(reader, start=2):
            if not any(str(cell).strip() for cell in raw):
                continue  # blank lines are ignored
            if len(rows) + len(problems) >= max_rows:
                return [], [RowProblem(number, "", f"more than {max_rows:,} rows; split the "
                                                   f"file")]
            if len(raw) < len(header):
                problems.append(RowProblem(number, "", f"{len(raw)} cells where the header "
                                                       f"has {len(header)}"))
                continue
            rows.append((number, {n: str(raw[i]).strip() for n, i in where.items()}))
    except csv.Error as error:
        return [], [RowProblem(number + 1, "", f"the file is not well-formed CSV ({error})")]
    return rows, problems


def parse_roll(data: bytes | Table) -> Preview:
    """The households of a roll (CSV bytes or a table's rows), or every problem it has (bad
    rows, duplicates)."""
    rows, problems = read_table(_table(data), ROLL_COLUMNS, max_rows=MAX_ROLL_ROWS)
    seen: dict[HouseKey, int] = {}
    lines = []
    for number, row in rows:
        bad = [RowProblem(number, n, "is empty") for n in ("building", "unit", "room", "contact")
               if not row[n]]
        bad += [RowProblem(number, n, f"is longer than {limit} characters")
                for n, limit in (("building", 20), ("unit", 20), ("room", 20), ("contact", 100))
                if len(row[n]) > limit]
        if row["phone"] and not _PHONE.match(row["phone"]):
            bad.append(RowProblem(number, "phone", f"{row['phone']!r} is not a phone number"))
        key = HouseKey(row["building"], row["unit"], row["room"])
        if not bad and key in seen:
            bad.append(RowProblem(number, "room", f"{key} is on the roll already (line "
                                                  f"{seen[key]})"))
        if bad:
            problems += bad
            continue
        seen[key] = number
        lines.append(RollLine(key, row["contact"], row["phone"]))
    if not lines and not problems:
        problems.append(RowProblem(1, "", "the file has no households"))
    return Preview(rows=tuple(sorted(lines, key=lambda r: r.key)), problems=tuple(problems))


# --- payments ---------------------------------------------------------------------------------
PAYMENT_COLUMNS = {
    "reference": ("reference", "交易单号", "流水号", "订单号"),
    "building": ROLL_COLUMNS["building"],
    "unit": ROLL_COLUMNS["unit"],
    "room": ROLL_COLUMNS["room"],
    "amount": ("amount", "金额", "金额(元)"),
    "paid_on": ("paid_on", "date", "日期", "交易时间"),
}


@dataclass(frozen=True, slots=True)
class PaymentLine:
    line: int
    reference: str
    key: HouseKey
    amount: Money
    paid_on: date


def parse_payments(data: bytes | Table) -> Preview:
    """The payments of an export file (WeChat Pay, Alipay, bank), or its problems."""
    rows, problems = read_table(_table(data), PAYMENT_COLUMNS, max_rows=MAX_PAYMENT_ROWS)
    lines = []
    for number, row in rows:
        bad = []
        if not row["reference"] or len(row["reference"]) > 64:
            bad.append(RowProblem(number, "reference", "is 1 to 64 characters"))
        try:
            typed = row["amount"].lstrip("¥￥")
            if "," in typed and not _GROUPED.match(typed):
                raise InvalidAmount(f"{row['amount']!r} is not an amount: commas only group "
                                    f"thousands (1,234.56)")
            amount = parse_money(typed.replace(",", ""))
        except InvalidAmount as error:
            bad.append(RowProblem(number, "amount", error.message))
        try:
            paid_on = date.fromisoformat(row["paid_on"][:10])
        except ValueError:
            bad.append(RowProblem(number, "paid_on", f"{row['paid_on']!r} is not a date "
                                                     f"(YYYY-MM-DD)"))
        if bad:
            problems += bad
            continue
        lines.append(PaymentLine(number, row["reference"],
                                 HouseKey(row["building"], row["unit"], row["room"]),
                                 amount, paid_on))
    if not lines and not problems:
        problems.append(RowProblem(1, "", "the file has no payments"))
    return Preview(rows=tuple(lines), problems=tuple(problems))


class Match(StrEnum):
    MATCHED = "matched"  # pays the household's share exactly (or completes it)
    PARTIAL = "partial"  # less than what the household still owes
    OVERPAID = "overpaid"  # more than what it still owes (the excess is kept for refund)
    UNMATCHED = "unmatched"  # no such household on the roll, or one not asked to pay
    DUPLICATE = "duplicate"  # this reference was recorded already, or is repeated in the file


@dataclass(frozen=True, slots=True)
class Reconciled:
    payment: PaymentLine
    match: Match


@dataclass(frozen=True, slots=True)
class Reconciliation:
    lines: tuple[Reconciled, ...]
    counts: dict[Match, int]

    def of(self, match: Match) -> list[Reconciled]:
        return [r for r in self.lines if r.match is match]


def reconcile(payments: Iterable[PaymentLine], *, owed: Mapping[HouseKey, Money],
              known_references: Iterable[str]) -> Reconciliation:
    """Match each payment to the roll. `owed` is what each asked household still owes;
    `known_references` are the references already recorded (importing a file twice records
    nothing new: every line is then a duplicate)."""
    left = dict(owed)
    seen = set(known_references)
    found = []
    for payment in payments:
        if payment.reference in seen:
            match = Match.DUPLICATE
        elif payment.key not in left:
            match = Match.UNMATCHED
        else:
            due = left[payment.key]
            match = (Match.MATCHED if payment.amount == due else
                     Match.PARTIAL if payment.amount < due else Match.OVERPAID)
            left[payment.key] = max(due - payment.amount, Money(0, due.currency))
        seen.add(payment.reference)
        found.append(Reconciled(payment, match))
    counts = {m: sum(1 for r in found if r.match is m) for m in Match}
    return Reconciliation(lines=tuple(found), counts=counts)


def pro_rata(total: Money, paid: Sequence[Money]) -> list[Money]:
    """Refund `total` to payers in proportion to what each paid, exact to the fen (largest
    remainder, ties to the earlier payer)."""
    if not paid or sum(p.amount for p in paid) <= 0:
        raise InvalidInput("nobody paid anything to refund", field="payments")
    return allocate(total, [Decimal(p.amount) for p in paid])


def overpaid_back(leftover: Money, excesses: Sequence[Money]) -> list[Money]:
    """What goes back to each household that paid more than its share, when the campaign
    closes: its whole excess, or, if the leftover is smaller than all the excesses (the
    restricted money was spent), the leftover shared pro rata to the excesses."""
    total = sum((e for e in excesses), leftover - leftover)
    if total <= leftover:
        return list(excesses)
    return pro_rata(leftover, excesses)


def latest_first(amount: Money, payments: Sequence[Money]) -> list[Money]:
    """`amount` taken back from a household's payments (in the order paid), latest first,
    never more than a payment."""
    left, found = amount, []
    for paid in reversed(payments):
        part = min(left, paid)
        found.append(part)
        left -= part
    if left.amount > 0:
        raise InvalidInput(f"{amount.amount} is more than the payments", field="amount")
    return found[::-1]


# --- the campaign's money ---------------------------------------------------------------------
class NotFunded(Conflict):
    code = "campaign-not-funded"
    title = "The campaign does not have the money yet"


class ShortfallUnassigned(Conflict):
    code = "shortfall-unassigned"
    title = "The shortfall has not been assigned to a source"


@dataclass(frozen=True, slots=True)
class Figures:
    """A campaign's money in one place (all Money, the campaign's currency).

    restricted = subsidy received + households' payments - refunds - releases: the money
    restricted to the campaign in the foundation's book, zero once it is closed or cancelled.
    The foundation's match (with any shortfall it took on) is unrestricted money it holds for
    the campaign; the contractor is paid from the restricted money first."""

    cost: Money
    subsidy: Money  # pledged: the campaign's subsidy plus shortfall assigned to it
    match: Money  # pledged by the foundation: its match plus shortfall assigned to it
    gap: Money  # the households' part, split into shares
    subsidy_received: Money  # net of money returned
    households_paid: Money  # net of refunds
    spent: Money  # paid to the contractor in all
    spent_restricted: Money  # the part of it paid from restricted money (released)
    leftover_released: Money  # leftover restricted money released to the foundation
    shortfall: Money  # the shares of households not asked to pay
    assigned: Money  # shortfall assigned to a source

    @property
    def restricted(self) -> Money:
        return (self.subsidy_received + self.households_paid - self.spent_restricted
                - self.leftover_released)

    @property
    def foundation_spent(self) -> Money:
        """The part of the contractor's payments the foundation paid from its own money."""
        return self.spent - self.spent_restricted

    @property
    def match_left(self) -> Money:
        return max(self.match - self.foundation_spent, self.cost - self.cost)

    @property
    def unassigned(self) -> Money:
        return self.shortfall - self.assigned

    @property
    def to_pay(self) -> Money:
        """What the contractor is still owed."""
        return self.cost - self.spent

    @property
    def covered(self) -> bool:
        """The money in hand (restricted) and the foundation's match cover what is still owed
        to the contractor."""
        return self.restricted + self.match_left >= self.to_pay


def contractor_split(amount: Money, *, restricted: Money, match_left: Money
                     ) -> tuple[Money, Money]:
    """(from restricted money, from the foundation's match) of a payment to the contractor:
    the restricted money is spent first."""
    first = min(amount, restricted)
    rest = amount - first
    if rest > match_left:
        raise NotFunded(f"{amount.amount} is more than the campaign's money ({restricted.amount}"
                        f" restricted, {match_left.amount} of the foundation's match left)",
                        field="amount")
    return first, rest


def shortfall_topups(amount: Money, households: int) -> list[Money]:
    """Shortfall assigned to the households: split over the households asked to pay, by the
    same rule as the shares."""
    if households < 1:
        raise InvalidInput("no household is asked to pay; assign the shortfall to the subsidy "
                           "or the foundation", field="source")
    return allocate(amount, [1] * households)


# --- receipts ---------------------------------------------------------------------------------
#: Crockford's base32 without I, L, O, U: no letters that read as digits.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECEIPT_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def receipt_code(choose: Callable[[str], str] = secrets.choice) -> str:
    """A receipt code such as 7K3Q-M9XD-2TPA: 60 random bits, so nobody guesses another
    household's code."""
    chars = "".join(choose(RECEIPT_ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def normal_receipt_code(text: str) -> str:
    """A code as typed by a resident (lower case, spaces, O for 0...), or InvalidInput."""
    typed = unicodedata.normalize("NFKC", text or "")  # full-width letters, digits and dashes
    found = re.sub(r"[\s\-\u2010-\u2015\u2212]", "", typed).upper().translate(
        str.maketrans("OIL", "011"))
    code = f"{found[:4]}-{found[4:8]}-{found[8:]}"
    if not _RECEIPT_CODE.match(code):
        raise InvalidInput("a receipt code has 12 letters and digits, such as 7K3Q-M9XD-2TPA",
                           field="code")
    return code


# --- entries (in the foundation's book) -------------------------------------------------------
FOUNDATION = "foundation"
CASH, BANK = "1001", "1002"
HOUSEHOLD_DONATIONS = "410102"  # 捐赠收入（限定性）
SUBSIDY_INCOME = "450102"  # 政府补助收入（限定性）
PROGRAMME_COSTS = "5101"
UNRESTRICTED_NET_ASSETS, RESTRICTED_NET_ASSETS = "3101", "3102"


def money_account(method: PaymentMethod) -> str:
    """Cash is counted in hand; WeChat Pay, Alipay and transfers settle to the bank."""
    return CASH if PaymentMethod(method) is PaymentMethod.CASH else BANK


def _entry(campaign_id: int, on: date, actor: str, memo: str, *postings: Posting
           ) -> JournalEntry:
    return JournalEntry(entity=FOUNDATION, effective_date=on, actor=actor, memo=memo[:500],
                        postings=postings, source=SourceRef("campaign", str(campaign_id)))


def subsidy_entry(*, campaign_id: int, amount: Money, on: date, payer: str, actor: str
                  ) -> JournalEntry:
    """The subsidy arrives, restricted to the campaign (政府补助收入, 限定性)."""
    return _entry(campaign_id, on, actor, f"众筹补贴 {payer} / repair subsidy received",
                  Posting.debit(BANK, amount), Posting.credit(SUBSIDY_INCOME, amount))


def payment_entry(*, campaign_id: int, amount: Money, on: date, household: str,
                  method: PaymentMethod, actor: str) -> JournalEntry:
    """A household's share arrives, restricted to the campaign (捐赠收入, 限定性)."""
    return _entry(campaign_id, on, actor, f"众筹款 {household} / household payment",
                  Posting.debit(money_account(method), amount),
                  Posting.credit(HOUSEHOLD_DONATIONS, amount))


def refund_entry(*, campaign_id: int, amount: Money, on: date, income_account: str,
                 paid_from: str, whom: str, reason: str, actor: str) -> JournalEntry:
    """Money paid in goes back: the restricted income is reduced by the refund."""
    return _entry(campaign_id, on, actor, f"众筹退款 {whom} / refund: {reason}",
                  Posting.debit(income_account, amount), Posting.credit(paid_from, amount))


def contractor_entry(*, campaign_id: int, amount: Money, on: date, contractor: str,
                     actor: str) -> JournalEntry:
    return _entry(campaign_id, on, actor, f"维修款 {contractor} / contractor paid",
                  Posting.debit(PROGRAMME_COSTS, amount), Posting.credit(BANK, amount))


def campaign_release_entry(*, campaign_id: int, amount: Money, on: date, reason: str,
                           actor: str) -> JournalEntry:
    """Restricted money whose purpose is met (spent on the repair, or leftover given to the
    foundation with disclosure) becomes unrestricted."""
    return _entry(campaign_id, on, actor, f"限定解除 / restriction released: {reason}",
                  Posting.debit(RESTRICTED_NET_ASSETS, amount),
                  Posting.credit(UNRESTRICTED_NET_ASSETS, amount))
