"""Households' payments to a campaign: by hand, or imported from a payment export (WeChat Pay,
Alipay, bank) and reconciled against the roll. Each payment gets a receipt with a code the
resident can later look up on the transparency page.

An import is atomic (every line it records, or none) and idempotent: a payment's reference is
unique within its campaign, so a line seen before is a duplicate and records nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from moneyed import Money
from sqlalchemy import select

from ledger.books import now, post_many
from ledger.campaigns import HouseholdNotFound, advance, get_row
from ledger.core.campaigns import (
    TAKING_PAYMENTS,
    BadFile,
    HouseholdStatus,
    HouseKey,
    Match,
    PaymentLine,
    PaymentMethod,
    Reconciliation,
    normal_receipt_code,
    parse_payments,
    payment_entry,
    receipt_code,
    reconcile,
)
from ledger.core.errors import AlreadyExists, InvalidInput, NotFound
from ledger.core.money import from_minor, to_minor
from ledger.core.staff import Actor
from ledger.db import campaigns as db
from ledger.db.models import CampaignImportRow, CampaignPaymentRow, CampaignRow, HouseholdRow
from ledger.db.session import Session, UnitOfWork
from ledger.recording import audit, text
from ledger.spreadsheets import table_of

#: Lines of an import posted together (the progress bar moves by this many).
IMPORT_BATCH = 50


class DuplicatePayment(AlreadyExists):
    code = "duplicate-payment"
    title = "A payment with this reference is recorded already"


class ReceiptNotFound(NotFound):
    code = "receipt-not-found"
    title = "No payment has this receipt code"


@dataclass(frozen=True, slots=True)
class Payment:
    id: int
    campaign_id: int
    household_id: int
    household: HouseKey
    amount: Money
    paid_on: date
    method: PaymentMethod
    reference: str
    receipt_code: str
    entry_seq: int
    refunded: Money
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a receipt shows: the campaign, the household's address (not its name), the amount,
    the date and the code; `entry_seq` is the posting in the foundation's book."""

    code: str
    campaign_id: int
    campaign_title: str
    community: str
    household: HouseKey
    amount: Money
    paid_on: date
    method: PaymentMethod
    entry_seq: int
    refunded: Money


@dataclass(frozen=True, slots=True)
class PaymentImport:
    """A payment file read and reconciled; `recorded` lines were written (none in a preview
    or when the file has problems)."""

    reconciliation: Reconciliation | None
    problems: tuple
    recorded: int
    import_id: int | None
    written: bool

    def report(self) -> dict[str, object]:
        """The import's report as plain data (what the pages, the API and the CLI show)."""
        rec = self.reconciliation
        return {
            "written": self.written, "recorded": self.recorded, "import_id": self.import_id,
            "counts": {m.value: (rec.counts[m] if rec else 0) for m in Match},
            "lines": [{"line": r.payment.line, "reference": r.payment.reference,
                       "household": str(r.payment.key), "amount": str(r.payment.amount.amount),
                       "paid_on": r.payment.paid_on.isoformat(), "match": r.match.value}
                      for r in (rec.lines if rec else ())],
            "problems": [{"line": p.line, "column": p.column, "message": p.message}
                         for p in self.problems]}


def _payment(row: CampaignPaymentRow, household: HouseholdRow, refunded: int) -> Payment:
    return Payment(id=row.id, campaign_id=row.campaign_id, household_id=row.household_id,
                   household=HouseKey(household.building, household.unit, household.room),
                   amount=from_minor(row.amount), paid_on=row.paid_on,
                   method=PaymentMethod(row.method), reference=row.reference,
                   receipt_code=row.receipt_code, entry_seq=row.entry_seq,
                   refunded=from_minor(refunded), created_at=row.created_at,
                   created_by=row.created_by)


def _new_codes(session: Session, count: int) -> list[str]:
    """Fresh receipt codes: 60 random bits each, so a clash is astronomically rare; checked
    all the same."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {receipt_code() for _ in range(count - len(codes))} - codes
        taken = set(session.scalars(select(CampaignPaymentRow.receipt_code)
                                    .where(CampaignPaymentRow.receipt_code.in_(wanted))))
        codes |= wanted - taken
    return sorted(codes)


def _record(session: Session, uow: UnitOfWork, actor: Actor, campaign: CampaignRow,
            lines: Sequence[tuple[HouseholdRow, PaymentLine]], *, method: PaymentMethod,
            import_id: int | None = None) -> list[CampaignPaymentRow]:
    """Post and record payments, all in one go (one audit record of the entries)."""
    posted = post_many(uow, [payment_entry(
        campaign_id=campaign.id, amount=line.amount, on=line.paid_on,
        household=f"{household.building}-{household.unit}-{household.room}", method=method,
        actor=actor.username) for household, line in lines], by=actor)
    rows = [CampaignPaymentRow(campaign_id=campaign.id, household_id=household.id,
                               amount=to_minor(line.amount), paid_on=line.paid_on,
                               method=method.value, reference=line.reference,
                               receipt_code=code, import_id=import_id, entry_seq=entry.seq,
                               created_at=now(), created_by=actor.username)
            for (household, line), entry, code in zip(lines, posted,
                                                       _new_codes(session, len(lines)),
                                                       strict=True)]
    session.add_all(rows)
    session.flush()
    return rows


def _taking(row: CampaignRow) -> None:
    if row.status not in TAKING_PAYMENTS:
        raise InvalidInput(f"campaign #{row.id} is {row.status}; it takes payments while open, "
                           f"funded or until it closes", field="campaign_id")


def record_payment(uow: UnitOfWork, actor: Actor, campaign_id: int, *, household_id: int,
                   amount: Money, paid_on: date, method: PaymentMethod, reference: str
                   ) -> Payment:
    """A payment taken by hand (cash at the door, or a transfer with its reference)."""
    method = PaymentMethod(method)
    ref = text(reference, "reference", 64)

    def work(session: Session) -> Payment:
        campaign = get_row(session, campaign_id)
        _taking(campaign)
        household = session.get(HouseholdRow, household_id)
        if household is None or household.campaign_id != campaign.id:
            raise HouseholdNotFound(f"campaign #{campaign.id} has no household #{household_id}",
                                    field="household_id")
        if household.status != HouseholdStatus.ASKED:
            raise InvalidInput(f"household {household.building}-{household.unit}-"
                               f"{household.room} is marked {household.status}; mark it asked "
                               f"to take its payment", field="household_id")
        if ref in db.references(session, campaign.id):
            raise DuplicatePayment(f"reference {ref!r} is recorded already on campaign "
                                   f"#{campaign.id}", field="reference")
        line = PaymentLine(0, ref, HouseKey(household.building, household.unit, household.room),
                           amount, paid_on)
        row = _record(session, uow, actor, campaign, [(household, line)], method=method)[0]
        audit(session, actor, "campaign.payment_recorded", "campaign", campaign.id,
              payment_id=row.id, amount=str(amount.amount), reference=ref)
        advance(session, actor, campaign)
        return _payment(row, household, 0)

    return uow.write(work)


def import_payments(uow: UnitOfWork, actor: Actor, campaign_id: int, data: bytes, *,
                    method: PaymentMethod, filename: str = "payments.csv", commit: bool = True,
                    progress: Callable[[int], None] | None = None) -> PaymentImport:
    """Reconcile a payment export against the roll and, with `commit`, record every matched,
    partial or overpaid line in one transaction. Unmatched and duplicate lines are reported,
    never recorded. A file with problems writes nothing (a commit raises BadFile).
    `progress(n)` is called as lines are recorded (the CLI's progress bar)."""
    method = PaymentMethod(method)
    name = text(filename, "filename", 200)
    preview = parse_payments(table_of(data))
    lines: tuple[PaymentLine, ...] = preview.rows  # type: ignore[assignment]

    def work(session: Session) -> PaymentImport:
        campaign = get_row(session, campaign_id)
        if preview.problems:
            if commit:
                raise BadFile(preview.problems)
            return PaymentImport(None, preview.problems, 0, None, written=False)
        roll = {HouseKey(h.building, h.unit, h.room): h for h in db.roll(session, campaign.id)}
        paid = db.paid_by_household(session, campaign.id)
        owed = {key: from_minor(max(h.share - paid.get(h.id, 0), 0))
                for key, h in roll.items() if h.status == HouseholdStatus.ASKED}
        result = reconcile(lines, owed=owed, known_references=db.references(session,
                                                                             campaign.id))
        taken = [r for r in result.lines if r.match in (Match.MATCHED, Match.PARTIAL,
                                                          Match.OVERPAID)]
        if not commit or not taken:
            return PaymentImport(result, (), 0, None, written=False)
        _taking(campaign)
        report = PaymentImport(result, (), len(taken), None, written=True).report()
        log = CampaignImportRow(
            campaign_id=campaign.id, kind="payments", filename=name,
            sha256=hashlib.sha256(data).hexdigest(), created_at=now(),
            created_by=actor.username,
            report=json.dumps({"counts": report["counts"], "recorded": len(taken),
                               "lines": report["lines"]}, ensure_ascii=False))
        session.add(log)
        session.flush()
        outcome = PaymentImport(result, (), len(taken), log.id, written=True)
        for start in range(0, len(taken), IMPORT_BATCH):
            batch = [(roll[r.payment.key], r.payment) for r in taken[start:start + IMPORT_BATCH]]
            _record(session, uow, actor, campaign, batch, method=method,
                    import_id=outcome.import_id)
            if progress is not None:
                progress(start + len(batch))
        audit(session, actor, "campaign.payments_imported", "campaign", campaign.id,
              import_id=outcome.import_id, recorded=len(taken), filename=name,
              **{m.value: result.counts[m] for m in Match})
        advance(session, actor, campaign)
        return outcome

    return uow.write(work)


def payments(uow: UnitOfWork, campaign_id: int) -> list[Payment]:
    def work(session: Session) -> list[Payment]:
        get_row(session, campaign_id)
        refunded = db.refunded_by_payment(session, campaign_id)
        roll = {h.id: h for h in db.roll(session, campaign_id)}
        return [_payment(r, roll[r.household_id], refunded.get(r.id, 0))
                for r in db.payments(session, campaign_id)]

    return uow.read(work)


def imports(uow: UnitOfWork, campaign_id: int) -> list[dict[str, object]]:
    """The files imported into a campaign that wrote something, newest first, with reports."""

    def work(session: Session) -> list[dict[str, object]]:
        get_row(session, campaign_id)
        rows = session.scalars(select(CampaignImportRow)
                               .where(CampaignImportRow.campaign_id == campaign_id)
                               .order_by(CampaignImportRow.id.desc()))
        return [{"id": r.id, "kind": r.kind, "filename": r.filename, "sha256": r.sha256,
                 "created_at": r.created_at, "created_by": r.created_by,
                 "report": json.loads(r.report)} for r in rows]

    return uow.read(work)


def receipt(uow: UnitOfWork, code: str) -> Receipt:
    """The receipt with this code (as a resident types it: case and dashes do not matter)."""
    found = normal_receipt_code(code)

    def work(session: Session) -> Receipt:
        row = session.scalar(select(CampaignPaymentRow)
                             .where(CampaignPaymentRow.receipt_code == found))
        if row is None:
            raise ReceiptNotFound(f"no payment has receipt code {found}", field="code")
        campaign = session.get(CampaignRow, row.campaign_id)
        household = session.get(HouseholdRow, row.household_id)
        assert campaign is not None
        assert household is not None
        refunded = db.refunded_by_payment(session, campaign.id).get(row.id, 0)
        return Receipt(code=row.receipt_code, campaign_id=campaign.id,
                       campaign_title=campaign.title, community=campaign.community,
                       household=HouseKey(household.building, household.unit, household.room),
                       amount=from_minor(row.amount), paid_on=row.paid_on,
                       method=PaymentMethod(row.method), entry_seq=row.entry_seq,
                       refunded=from_minor(refunded))

    return uow.read(work)

