"""The bilingual deposit receipt (互助资金收据), as data and as a PDF.

The data is built from the ledger's own records (deposit, member, policy, posted entry), so the
receipt shows exactly what the books hold: the amount in figures and in capital numerals, its
exact split, the policy version, and the journal entry's number and hash to check it against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ledger.core.entries import PostedEntry
from ledger.core.money import format_amount, rmb_upper
from ledger.core.mutual_aid import PaymentMethod, SplitPolicy
from ledger.mutual_aid import Deposit, Member

from .pdf import render_pdf

METHODS = {
    PaymentMethod.BANK_TRANSFER: ("银行转账", "Bank transfer"),
    PaymentMethod.CASH: ("现金", "Cash"),
    PaymentMethod.WECHAT_PAY: ("微信支付", "WeChat Pay"),
    PaymentMethod.ALIPAY: ("支付宝", "Alipay"),
    PaymentMethod.CHEQUE: ("支票", "Cheque"),
}


@dataclass(frozen=True, slots=True)
class DepositReceipt:
    number: str
    fund_zh: str
    fund_en: str
    member_zh: str
    member_en: str | None
    credit_code: str
    received_on: str
    method_zh: str
    method_en: str
    reference: str
    amount: str
    amount_upper: str
    operating: str
    foundation: str
    operating_share: str
    foundation_share: str
    policy_version: int
    entry_seq: int
    entry_hash: str
    recorded_by: str
    reversed: bool
    issued_at: str


def _grouped(money_text: str) -> str:
    whole, _, cents = money_text.partition(".")
    return f"{int(whole):,}.{cents}"


def _percent(share: object) -> str:
    return f"{share * 100:.2f}".rstrip("0").rstrip(".") + " %"  # type: ignore[operator]


def deposit_receipt(deposit: Deposit, member: Member, policy: SplitPolicy, entry: PostedEntry,
                    *, fund_zh: str, fund_en: str, issued_at: datetime) -> DepositReceipt:
    method_zh, method_en = METHODS[deposit.method]
    return DepositReceipt(
        number=f"HZ-{deposit.received_on.year}-D{deposit.id:06d}",
        fund_zh=fund_zh, fund_en=fund_en, member_zh=member.name_zh, member_en=member.name_en,
        credit_code=member.credit_code, received_on=deposit.received_on.isoformat(),
        method_zh=method_zh, method_en=method_en, reference=deposit.reference,
        amount=_grouped(format_amount(deposit.amount)), amount_upper=rmb_upper(deposit.amount),
        operating=_grouped(format_amount(deposit.operating)),
        foundation=_grouped(format_amount(deposit.foundation)),
        operating_share=_percent(policy.operating_share),
        foundation_share=_percent(policy.foundation_share), policy_version=policy.version,
        entry_seq=entry.seq, entry_hash=entry.hash, recorded_by=deposit.created_by,
        reversed=deposit.reversal_seq is not None,
        issued_at=issued_at.strftime("%Y-%m-%d %H:%M"))


def deposit_receipt_pdf(receipt: DepositReceipt) -> bytes:
    return render_pdf("receipt.html", receipt=receipt,
                      title=f"{receipt.number} 互助资金收据 Deposit receipt")
