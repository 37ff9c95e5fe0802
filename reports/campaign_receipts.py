"""A household's payment receipt for a repair campaign (众筹收据), as a bilingual PDF.

The data is built from the ledger's own records (the payment's receipt and its posted entry in
the foundation's book), so the receipt shows exactly what the books hold: the amount in figures
and in capital numerals, the date and method, the receipt code the resident can check on the
transparency page, and the journal entry's number and hash. It names the household by its
address only: the contact's name and phone on the roll are never printed.
`campaign_receipt` is pure; `campaign_receipt_pdf` reads the records and renders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ledger.books import entry, now
from ledger.campaign_payments import Receipt, receipt
from ledger.core.campaigns import PaymentMethod
from ledger.core.chart import FOUNDATION
from ledger.core.entries import PostedEntry
from ledger.core.money import format_amount, rmb_upper
from ledger.db.session import UnitOfWork

from .pdf import render_pdf

METHODS = {
    PaymentMethod.CASH: ("现金", "Cash"),
    PaymentMethod.WECHAT: ("微信支付", "WeChat Pay"),
    PaymentMethod.ALIPAY: ("支付宝", "Alipay"),
    PaymentMethod.BANK: ("银行转账", "Bank transfer"),
}
#: How many hex digits of the entry's hash the short form shows (the full hash is printed too).
SHORT_HASH = 12


@dataclass(frozen=True, slots=True)
class CampaignReceipt:
    code: str
    foundation_zh: str
    foundation_en: str
    campaign_title: str
    community: str
    address: str  # building-unit-room
    building: str
    unit: str
    room: str
    amount: str  # grouped figures: 1,234.56
    amount_upper: str  # 壹仟贰佰叁拾肆元伍角陆分
    paid_on: str
    method_zh: str
    method_en: str
    entry_seq: int
    entry_hash: str
    entry_hash_short: str
    refunded: str | None  # grouped figures, None when nothing was refunded
    refunded_upper: str | None
    fully_refunded: bool
    issued_at: str


def _grouped(money_text: str) -> str:
    whole, _, cents = money_text.partition(".")
    return f"{int(whole):,}.{cents}"


def campaign_receipt(found: Receipt, posted: PostedEntry, *, issued_at: datetime
                     ) -> CampaignReceipt:
    """The receipt as it is printed, from the payment's receipt and its posted entry."""
    if posted.seq != found.entry_seq or posted.entity != FOUNDATION.code:
        raise ValueError(f"entry #{posted.seq} ({posted.entity}) is not the posting of receipt "
                         f"{found.code} (entry #{found.entry_seq} in the foundation's book)")
    method_zh, method_en = METHODS[PaymentMethod(found.method)]
    refunded = found.refunded.amount > 0
    return CampaignReceipt(
        code=found.code, foundation_zh=FOUNDATION.name_zh, foundation_en=FOUNDATION.name_en,
        campaign_title=found.campaign_title, community=found.community,
        address=str(found.household), building=found.household.building,
        unit=found.household.unit, room=found.household.room,
        amount=_grouped(format_amount(found.amount)), amount_upper=rmb_upper(found.amount),
        paid_on=found.paid_on.isoformat(), method_zh=method_zh, method_en=method_en,
        entry_seq=posted.seq, entry_hash=posted.hash, entry_hash_short=posted.hash[:SHORT_HASH],
        refunded=_grouped(format_amount(found.refunded)) if refunded else None,
        refunded_upper=rmb_upper(found.refunded) if refunded else None,
        fully_refunded=refunded and found.refunded >= found.amount,
        issued_at=issued_at.strftime("%Y-%m-%d %H:%M"))


def render_campaign_receipt(document: CampaignReceipt) -> bytes:
    return render_pdf("campaign_receipt.html", receipt=document,
                      title=f"{document.code} 众筹缴款收据 Repair crowdfunding receipt")


def campaign_receipt_pdf(uow: UnitOfWork, code: str) -> bytes:
    """The receipt of the payment with this receipt code, as a PDF (zh-Hans and English).

    The code is taken as a resident types it (case, spaces and dashes do not matter); a code
    of the wrong form is InvalidInput, an unknown one ReceiptNotFound."""
    found = receipt(uow, code)
    return render_campaign_receipt(campaign_receipt(found, entry(uow, found.entry_seq),
                                                    issued_at=now()))
