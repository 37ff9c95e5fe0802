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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from moneyed import Money

from .errors import InvalidAmount, InvalidInput
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


class HouseholdStatus(StrEnum):
    ASKED = "asked"  # on the roll, asked to pay its share
    VACANT = "vacant"
    UNREACHABLE = "unreachable"
    EXEMPT = "exempt"


class InvalidTransition(InvalidInput):
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
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")


@dataclass(frozen=True, slots=True, order=True)
class HouseKey:
    """Where a household lives; unique on a campaign's roll."""

    building: str
    unit: str
    room: str

    def __str__(self) -> str:
        return f"{self.building}-{self.unit}-{self.room}"


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


def read_table(text: str, columns: Mapping[str, Sequence[str]], *, max_rows: int
               ) -> tuple[list[tuple[int, dict[str, str]]], list[RowProblem]]:
    """Rows of a CSV text as {field: value} with their line numbers, mapping the accepted
    headers to our fields; a missing column or too many rows is a problem of line 1."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return [], [RowProblem(1, "", "the file is empty")]
    names = [h.strip().lower() for h in header]
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
        if not any(cell.strip() for cell in raw):
            continue  # blank lines are ignored
        if len(rows) == max_rows:
            return [], [RowProblem(number, "", f"more than {max_rows:,} rows; split the file")]
        if len(raw) < len(header):
            problems.append(RowProblem(number, "", f"{len(raw)} cells where the header has "
                                                   f"{len(header)}"))
            continue
        rows.append((number, {n: raw[i].strip() for n, i in where.items()}))
    return rows, problems


def parse_roll(data: bytes) -> Preview:
    """The households of a roll file, or every problem it has (bad rows, duplicates)."""
    rows, problems = read_table(decode(data), ROLL_COLUMNS, max_rows=MAX_ROLL_ROWS)
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


def parse_payments(data: bytes) -> Preview:
    """The payments of an export file (WeChat Pay, Alipay, bank), or its problems."""
    rows, problems = read_table(decode(data), PAYMENT_COLUMNS, max_rows=MAX_PAYMENT_ROWS)
    lines = []
    for number, row in rows:
        bad = []
        if not row["reference"] or len(row["reference"]) > 64:
            bad.append(RowProblem(number, "reference", "is 1 to 64 characters"))
        try:
            amount = parse_money(row["amount"])
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
