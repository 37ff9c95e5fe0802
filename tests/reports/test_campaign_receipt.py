"""The bilingual receipt of a household's payment to a repair campaign (众筹缴款收据): a campaign
set up, opened and paid into through the use cases, the PDF read back with poppler's pdftotext
and pdffonts."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from moneyed import Money

from ledger.books import entry
from ledger.campaign_completion import cancel_campaign
from ledger.campaign_payments import Payment, Receipt, ReceiptNotFound, record_payment
from ledger.campaigns import create_campaign, households, import_roll, open_campaign
from ledger.core.campaigns import HouseKey, MissRule, PaymentMethod
from ledger.core.entries import PostedEntry, Posting
from ledger.core.errors import InvalidInput
from ledger.core.staff import Actor
from ledger.db.session import UnitOfWork
from reports.campaign_receipts import (
    CampaignReceipt,
    campaign_receipt,
    campaign_receipt_pdf,
)
from reports.pdf import render_html
from tests.conftest import ARTIFACTS

TITLE = "翠苑小区3幢加装电梯"
COMMUNITY = "翠苑社区"
#: The roll: the contacts' names and phones must never reach a receipt.
CONTACT, PHONE = "王秀英", "13912345678"
ROLL = ("building,unit,room,contact,phone\n"
        f"3,2,501,{CONTACT},{PHONE}\n"
        "3,2,502,李建国,13700001111\n"
        "3,2,601,赵敏,0574-8600 1234\n").encode()
#: Cost 70,000.00 less a 63,000.00 subsidy: the households' gap of 7,000.00 over 3 households
#: is 2,333.34 for 3-2-501 and 2,333.33 for the others.
SHARE = Money("2333.34", "CNY")
PAID_ON = date(2026, 10, 2)
METHODS = {PaymentMethod.CASH: ("现金", "Cash"), PaymentMethod.WECHAT: ("微信支付", "WeChat Pay"),
           PaymentMethod.ALIPAY: ("支付宝", "Alipay"),
           PaymentMethod.BANK: ("银行转账", "Bank transfer")}
MANAGER = Actor.system("fm1")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (Debian's poppler-utils) is needed: make test installs it")
    return path


def _flat(text: str) -> str:
    return "".join(text.split())


def _read(pdf: bytes, tmp_path: Path, name: str = "receipt.pdf") -> tuple[Path, str]:
    """The PDF written out, and its text with all whitespace removed (table cells wrap)."""
    path = tmp_path / name
    path.write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    text = subprocess.run([_tool("pdftotext"), "-raw", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return path, _flat(text)


def _pages(path: Path) -> int:
    info = subprocess.run([_tool("pdfinfo"), str(path)], check=True, capture_output=True,
                          text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _assert_shows(text: str, *expected: str) -> None:
    for item in expected:
        assert _flat(item) in text, item


def _assert_hides(text: str, *unexpected: str) -> None:
    for item in unexpected:
        assert _flat(item) not in text, item


def _assert_cjk_embedded(path: Path) -> None:
    fonts = subprocess.run([_tool("pdffonts"), str(path)], check=True, capture_output=True,
                           text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(" yes yes " in line for line in cjk), fonts  # embedded and subset


def _campaign(uow: UnitOfWork) -> int:
    """An open campaign with ROLL as its roll (no foundation match: nothing to hold)."""
    found = create_campaign(
        uow, MANAGER, community=COMMUNITY, buildings="3幢", title=TITLE,
        repair="加装电梯一部 / one lift added", contractor="宁波某电梯工程有限公司",
        cost=Money("70000.00", "CNY"), subsidy=Money("63000.00", "CNY"),
        subsidy_from="蛟川街道修理补贴", match=Money("0.00", "CNY"), deadline=date(2026, 12, 31),
        miss_rule=MissRule.ALL_OR_NOTHING)
    import_roll(uow, MANAGER, found.id, ROLL)
    open_campaign(uow, MANAGER, found.id)
    return found.id


def _pay(uow: UnitOfWork, campaign_id: int, key: HouseKey, *, amount: Money = SHARE,
         method: PaymentMethod = PaymentMethod.WECHAT, reference: str = "4200001234"
         ) -> Payment:
    household = next(h for h in households(uow, campaign_id) if h.key == key)
    return record_payment(uow, MANAGER, campaign_id, household_id=household.id, amount=amount,
                          paid_on=PAID_ON, method=method, reference=reference)


def test_the_receipt_shows_the_payment_as_the_books_hold_it(uow: UnitOfWork, backend: str,
                                                            tmp_path: Path) -> None:
    campaign_id = _campaign(uow)
    other = _pay(uow, campaign_id, HouseKey("3", "2", "502"), amount=Money("2333.33", "CNY"),
                 method=PaymentMethod.BANK, reference="ICBC-0001")
    payment = _pay(uow, campaign_id, HouseKey("3", "2", "501"))
    posted = entry(uow, payment.entry_seq)
    assert posted.seq > other.entry_seq

    path, text = _read(campaign_receipt_pdf(uow, payment.receipt_code), tmp_path)
    _assert_shows(text, "众筹缴款收据", "Repair crowdfunding receipt",
                  "社区发展基金会", "Community Development Foundation", TITLE, COMMUNITY,
                  payment.receipt_code, "透明公示页", "transparency page",
                  "3-2-501", "2026-10-02", "¥ 2,333.34", "人民币贰仟叁佰叁拾叁元叁角肆分",
                  "楼栋 Building 3 · 单元 Unit 2 · 室 Room 501", "微信支付 · WeChat Pay",
                  f"记账凭证 Journal entry #{posted.seq} · 哈希 Hash {posted.hash[:12]}",
                  f"Entry hash (SHA-256): {posted.hash}")
    _assert_hides(text, "已退款", "REFUNDED")
    _assert_hides(text, other.receipt_code, "3-2-502", "2,333.33")  # not the other payment
    _assert_hides(text, CONTACT, PHONE, "李建国", "13700001111")  # nobody's name or phone
    assert _pages(path) == 1
    _assert_cjk_embedded(path)

    if backend == "sqlite":  # one page image for people to look at
        out = ARTIFACTS / "receipts"
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([_tool("pdftoppm"), "-r", "80", "-png", "-singlefile", str(path),
                        str(out / "campaign-receipt")], check=True)
        assert (out / "campaign-receipt.png").stat().st_size > 10_000


@pytest.mark.parametrize("method", list(PaymentMethod))
def test_each_method_is_named_in_both_languages(method: PaymentMethod) -> None:
    found = campaign_receipt(_receipt(method=method), _posted(), issued_at=ISSUED)
    assert (found.method_zh, found.method_en) == METHODS[method]


def test_the_code_as_a_resident_types_it_finds_the_receipt(uow: UnitOfWork, tmp_path: Path
                                                           ) -> None:
    campaign_id = _campaign(uow)
    payment = _pay(uow, campaign_id, HouseKey("3", "2", "502"), amount=Money("2333.33", "CNY"),
                   method=PaymentMethod.CASH, reference="现金-001")
    typed = " ".join(payment.receipt_code.replace("-", "").lower()[i:i + 4]
                     for i in (0, 4, 8))  # "7k3q m9xd 2tpa"
    _, text = _read(campaign_receipt_pdf(uow, typed), tmp_path)
    _assert_shows(text, payment.receipt_code, "3-2-502", "现金 · Cash", "¥ 2,333.33",
                  "人民币贰仟叁佰叁拾叁元叁角叁分")
    _assert_hides(text, "李建国", "13700001111")


def test_a_refunded_payment_says_so(uow: UnitOfWork, backend: str, tmp_path: Path) -> None:
    campaign_id = _campaign(uow)
    payment = _pay(uow, campaign_id, HouseKey("3", "2", "601"), amount=Money("1000.05", "CNY"),
                   method=PaymentMethod.ALIPAY, reference="2026100222001")
    cancel_campaign(uow, MANAGER, campaign_id, on=date(2026, 12, 31), reason="未达目标")

    path, text = _read(campaign_receipt_pdf(uow, payment.receipt_code), tmp_path)
    _assert_shows(text, "已退款 REFUNDED ¥ 1,000.05", "全额", "人民币壹仟元零伍分",
                  "支付宝 · Alipay", "3-2-601", payment.receipt_code)
    assert _pages(path) == 1
    if backend == "sqlite":
        out = ARTIFACTS / "receipts"
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([_tool("pdftoppm"), "-r", "80", "-png", "-singlefile", str(path),
                        str(out / "campaign-receipt-refunded")], check=True)


def test_unknown_and_malformed_codes(uow: UnitOfWork) -> None:
    campaign_id = _campaign(uow)
    payment = _pay(uow, campaign_id, HouseKey("3", "2", "501"))
    unknown = next(c for c in ("0000-0000-0000", "1111-1111-1111")
                   if c != payment.receipt_code)
    with pytest.raises(ReceiptNotFound):
        campaign_receipt_pdf(uow, unknown)
    for bad in ("", "7K3Q-M9XD", "7K3Q-M9XD-2TPA-1", "7K3Q-M9XD-2TP!", "UUUU-UUUU-UUUU"):
        with pytest.raises(InvalidInput):
            campaign_receipt_pdf(uow, bad)


# --- the pure builder -------------------------------------------------------------------------
ISSUED = datetime(2026, 10, 3, 8, 30, tzinfo=UTC)
HASH = "ab" * 32


def _receipt(**changes: object) -> Receipt:
    found = Receipt(code="7K3Q-M9XD-2TPA", campaign_id=1, campaign_title=TITLE,
                    community=COMMUNITY, household=HouseKey("3", "2", "501"),
                    amount=Money("1234567.89", "CNY"), paid_on=PAID_ON,
                    method=PaymentMethod.BANK, entry_seq=42,
                    refunded=Money("0.00", "CNY"))
    return replace(found, **changes)  # type: ignore[arg-type]


def _posted(seq: int = 42, entity: str = "foundation") -> PostedEntry:
    amount = Money("1234567.89", "CNY")
    return PostedEntry(entity=entity, effective_date=PAID_ON, actor="fm1", memo="众筹款",
                       postings=(Posting.debit("1002", amount),
                                 Posting.credit("410102", amount)),
                       seq=seq, recorded_at=ISSUED, prev_hash="00" * 32, hash=HASH)


def test_the_builder_is_exact() -> None:
    found = campaign_receipt(_receipt(), _posted(), issued_at=ISSUED)
    assert found == CampaignReceipt(
        code="7K3Q-M9XD-2TPA", foundation_zh="社区发展基金会",
        foundation_en="Community Development Foundation", campaign_title=TITLE,
        community=COMMUNITY, address="3-2-501", building="3", unit="2", room="501",
        amount="1,234,567.89", amount_upper="壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分",
        paid_on="2026-10-02", method_zh="银行转账", method_en="Bank transfer", entry_seq=42,
        entry_hash=HASH, entry_hash_short=HASH[:12], refunded=None, refunded_upper=None,
        fully_refunded=False, issued_at="2026-10-03 08:30")


def test_a_part_refund_shows_what_went_back() -> None:
    found = campaign_receipt(_receipt(refunded=Money("100.50", "CNY")), _posted(),
                             issued_at=ISSUED)
    assert (found.refunded, found.refunded_upper, found.fully_refunded) == (
        "100.50", "壹佰元伍角", False)
    html = _flat(render_html("campaign_receipt.html", receipt=found, title="t"))
    assert "已退款REFUNDED¥100.50" in html
    assert "全额" not in html


def test_the_builder_refuses_an_entry_that_is_not_the_payments() -> None:
    with pytest.raises(ValueError, match="not the posting"):
        campaign_receipt(_receipt(), _posted(seq=41), issued_at=ISSUED)
    with pytest.raises(ValueError, match="not the posting"):
        campaign_receipt(_receipt(), _posted(entity="fund"), issued_at=ISSUED)
