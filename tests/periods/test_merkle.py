"""The Merkle tree a close records, and residents' inclusion proofs of their payments (issue 8),
on SQLite and on PostgreSQL: the root is over exactly the entries dated in the period, a
proof leads from a payment to the signed root, and it fails for a tampered amount, for another
receipt code, and for a code that is not in the books."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.campaign_payments import ReceiptNotFound
from ledger.core import merkle
from ledger.core.periods import PeriodStatus
from ledger.db import merkle as merkle_db
from ledger.receipt_checks import ReceiptCheck, check_receipt

from .helpers import Books

NOT_ISSUED = "0000-0000-0000"


@dataclass
class Paid:
    codes: list[str]
    amounts: list[int]
    seqs: list[int]


@pytest.fixture
def paid(bk: Books) -> Paid:
    """Five households of a campaign pay in October 2026 (one more in November); the
    foundation's October is closed and signed off, with an income entry beside the payments."""
    campaign = bk.campaign("1000.00", "900.00", 6)
    bk.income("5000.00", date(2026, 10, 2))
    roll = bk.roll(campaign.id)
    payments = [bk.pay(campaign.id, household, date(2026, 10, 5 + n))
                for n, household in enumerate(roll[:5])]
    bk.pay(campaign.id, roll[5], date(2026, 11, 2))
    bk.close("foundation", "2026-10")
    bk.sign("foundation", "2026-10")
    return Paid([p.receipt_code for p in payments], [int(p.amount.amount * 100) for p in payments],
                [p.entry_seq for p in payments])


def _october(found: ReceiptCheck) -> merkle.Proof:
    month = found.periods[0]
    assert month.state.period.label == "2026-10"
    assert month.signed
    assert month.proof is not None
    return month.proof


def test_every_payment_of_a_signed_month_is_proven_against_its_root(bk: Books, paid: Paid
                                                                      ) -> None:
    state = bk.state("foundation", "2026-10")
    assert state.close is not None
    assert state.close.root is not None
    # the tree holds every foundation entry dated in October, and nothing else
    october = bk.uow.read(lambda s: [leaf.seq for leaf in merkle_db.leaves(
        s, "foundation", state.period)])
    assert state.close.size == len(october) == 6  # the income and five payments
    assert set(paid.seqs) <= set(october)
    for code, amount, seq in zip(paid.codes, paid.amounts, paid.seqs, strict=True):
        found = check_receipt(bk.uow, code.lower().replace("-", " "))  # as a resident types it
        proof = _october(found)
        assert proof.root == state.close.root
        assert proof.leaf.seq == seq
        assert proof.leaf.receipt == merkle.code_digest(code)
        assert merkle.verify(proof, root_hex=state.close.root, code=code, amount_fen=amount).ok
        # the same proof as JSON, read back (what the page offers for download)
        again = merkle.Proof.from_dict(json.loads(json.dumps(proof.as_dict())))
        assert merkle.verify(again, root_hex=state.close.root, code=code).ok
        # the year is not closed: no proof there yet
        assert found.periods[1].state.status is PeriodStatus.OPEN
        assert found.periods[1].proof is None


def test_a_proof_fails_for_a_tampered_amount_another_code_or_another_root(bk: Books,
                                                                           paid: Paid) -> None:
    proof = _october(check_receipt(bk.uow, paid.codes[0]))
    account, currency, debit, credit = proof.leaf.postings[0]
    tampered = replace(proof, leaf=replace(proof.leaf, postings=(
        (account, currency, debit + 1, credit), *proof.leaf.postings[1:])))
    assert not merkle.verify(tampered).ok
    assert "not to the signed root" in merkle.verify(tampered).reason
    assert not merkle.verify(proof, amount_fen=paid.amounts[0] + 1).ok
    assert not merkle.verify(proof, code=paid.codes[1]).ok
    assert not merkle.verify(proof, code=NOT_ISSUED).ok
    assert not merkle.verify(proof, root_hex="0" * 64).ok
    assert merkle.verify(proof).ok


def test_a_code_not_in_the_books_has_no_receipt_and_no_proof(bk: Books, paid: Paid) -> None:
    assert NOT_ISSUED not in paid.codes
    with pytest.raises(ReceiptNotFound):
        check_receipt(bk.uow, NOT_ISSUED)


def test_a_payment_in_an_open_month_has_no_proof_yet(bk: Books, paid: Paid) -> None:
    november = next(p for p in bk.uow.read(lambda s: s.execute(text(
        "SELECT receipt_code FROM campaign_payments WHERE paid_on >= :d"),
        {"d": date(2026, 11, 1)}).scalars().all()))
    found = check_receipt(bk.uow, november)
    assert [p.state.period.label for p in found.periods] == ["2026-11", "2026"]
    assert all(p.proof is None and not p.signed for p in found.periods)


def test_the_offline_command_checks_a_downloaded_proof(bk: Books, paid: Paid, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    proof = _october(check_receipt(bk.uow, paid.codes[2]))
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof.as_dict()), encoding="utf-8")
    amount = f"{paid.amounts[2] // 100}.{paid.amounts[2] % 100:02d}"
    assert merkle.main([str(path), "--root", proof.root, "--code", paid.codes[2],
                        "--amount", amount]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
    assert merkle.main([str(path), "--code", paid.codes[3]]) == 1
    assert "not for that receipt code" in capsys.readouterr().out
    document = proof.as_dict()
    document["leaf"]["postings"][0][2] += 100  # type: ignore[index]
    path.write_text(json.dumps(document), encoding="utf-8")
    assert merkle.main([str(path), "--root", proof.root]) == 1
    assert capsys.readouterr().out.startswith("FAILED: ")


def test_verification_recomputes_the_root(bk: Books, paid: Paid) -> None:
    from ledger import periods as uc

    assert uc.verify_period(bk.uow, "foundation", "2026-10").root_ok
    state = bk.state("foundation", "2026-10")
    assert state.close is not None
    tree = bk.uow.read(lambda s: merkle_db.compute(s, "foundation", state.period))
    assert tree[1][-1][0].hex() == state.close.root
