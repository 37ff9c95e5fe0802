"""Verify my payment (issue 8), without logging in, through the Flask test client on SQLite and
PostgreSQL: a receipt code shows the payment, the periods that hold it and, for the closed
month, the inclusion proof (in the page as a JSON island, and as a JSON download that the
offline command and `ledger.core.merkle.verify` accept); a tampered proof, another code and a
code that is not in the books fail; an unknown code is a 404, a malformed one a 400, never a
500; every answer about a code is `no-store`; no page, proof or error shows anybody's name or
phone number."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from ledger import campaign_completion as completion
from ledger.core import merkle
from ledger.core.money import to_minor
from ledger.receipt_checks import check_receipt

from ..periods.helpers import Books
from .helpers import MONTH, NOT_ISSUED, Paid, pay_october, text_of

PAGE = "/transparency/receipts"
ISLAND = re.compile(r'<script type="application/json" id="proof-data-([0-9-]+)">(.*?)</script>',
                    re.S)


def check(client: Any, code: str, lang: str = "en", status: int = 200) -> str:
    response = client.get(f"{PAGE}?code={quote(code)}&lang={lang}")
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def proof_url(code: str, label: str = MONTH) -> str:
    return f"{PAGE}/{code}/proof-{label}.json"


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    return body


def test_the_form_asks_for_the_code_with_a_label(client: Any) -> None:
    response = client.get(PAGE + "?lang=zh")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert '<label for="code">收据码</label>' in html
    assert '<input id="code" name="code" type="text" value=""' in html
    assert '<form class="lookup" method="get" action="/transparency/receipts"' in html
    assert "verify.js" not in html  # nothing to check yet


def test_a_receipt_code_shows_the_payment_its_periods_and_a_proof_that_holds(
        client: Any, bk: Books, paid: Paid) -> None:
    october = bk.state("foundation", MONTH)
    assert october.close is not None
    for code, amount, seq in zip(paid.codes, paid.amounts, paid.seqs, strict=True):
        found = check_receipt(bk.uow, code)
        html = check(client, code.lower().replace("-", " "))  # as a resident may type it
        text = text_of(html)
        household = found.receipt.household
        for fact in (f"Receipt code {code}", "Campaign 俞范东路小区楼道窗户维修",
                     "Community 俞范东路小区",
                     f"Household Building {household.building}, unit {household.unit}, "
                     f"room {household.room}",
                     f"Amount {amount.amount} CNY", "Date of payment 2026-10-",
                     "Paid by WeChat Pay", f"Journal entry Entry no. {seq} {found.entry_hash}",
                     "2026-10 (monthly) Closed Audited See below",
                     "2026 (annual) Open Unaudited draft Not yet: the period is not closed.",
                     f"Signed Merkle root {october.close.root}", "Refunded"):
            if fact == "Refunded":
                assert fact not in text  # nothing was refunded
            else:
                assert fact in text, fact
        assert (f"python3 -m ledger.core.merkle proof-{MONTH}.json --root "
                f"{october.close.root} --code {code} --amount {amount.amount}") in text
        assert f'href="{proof_url(code)}" download' in html
        assert html.count('src="/static/verify.js"') == 1
        # the island holds the proof the page's script checks, and it holds
        islands = dict(ISLAND.findall(html))
        assert set(islands) == {MONTH}
        island = json.loads(islands[MONTH])
        assert found.periods[0].proof is not None
        assert island == {"proof": found.periods[0].proof.as_dict(), "root": october.close.root,
                          "code": code, "amount_fen": to_minor(amount)}
        proof = merkle.Proof.from_dict(island["proof"])
        assert merkle.verify(proof, root_hex=island["root"], code=code,
                             amount_fen=island["amount_fen"]).ok


def test_the_page_speaks_chinese(client: Any, bk: Books, paid: Paid) -> None:
    found = check_receipt(bk.uow, paid.codes[0])
    household = found.receipt.household
    text = text_of(check(client, paid.codes[0], "zh"))
    for fact in ("您的缴费", f"{household.building} 幢 {household.unit} 单元 {household.room} 室",
                 "微信支付", "2026-10 (月度) 已结账 已审计", "2026 (年度) 未结账 未经审计草稿",
                 "已签署的默克尔根", "尚未核验。"):
        assert fact in text, fact
    messages = json.loads(re.search(r'id="verify-messages">(.*?)</script>',
                                    check(client, paid.codes[0], "zh")).group(1))
    assert messages["verified"].startswith("✓ 已验证")
    assert messages["mismatch"].startswith("✗ 不一致")


def test_the_downloaded_proof_verifies_offline_and_fails_when_tampered(
        client: Any, bk: Books, paid: Paid, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    october = bk.state("foundation", MONTH)
    assert october.close is not None
    code, amount = paid.codes[1], paid.amounts[1]
    response = client.get(proof_url(code))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == f'attachment; filename="proof-{MONTH}.json"'
    document = response.get_json()
    proof = merkle.Proof.from_dict(document)
    assert proof.root == october.close.root
    assert proof.leaf.seq == paid.seqs[1]
    assert merkle.verify(proof, root_hex=october.close.root, code=code,
                         amount_fen=to_minor(amount)).ok
    # the documented command, on the downloaded file
    path = tmp_path / f"proof-{MONTH}.json"
    path.write_bytes(response.data)
    assert merkle.main([str(path), "--root", october.close.root, "--code", code,
                        "--amount", str(amount.amount)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
    # a tampered amount, another code, another root: each fails
    account, currency, debit, credit = proof.leaf.postings[0]
    tampered = replace(proof, leaf=replace(proof.leaf, postings=(
        (account, currency, debit + 1, credit), *proof.leaf.postings[1:])))
    assert not merkle.verify(tampered, root_hex=october.close.root).ok
    assert not merkle.verify(proof, root_hex=october.close.root, code=paid.codes[2]).ok
    assert not merkle.verify(proof, root_hex=october.close.root, code=NOT_ISSUED).ok
    assert not merkle.verify(proof, amount_fen=to_minor(amount) + 1).ok
    document["leaf"]["postings"][0][2] += 100
    path.write_text(json.dumps(document), encoding="utf-8")
    assert merkle.main([str(path), "--root", october.close.root]) == 1
    assert capsys.readouterr().out.startswith("FAILED: ")


def test_an_unknown_code_is_a_404_with_a_clear_message(client: Any, paid: Paid) -> None:
    assert NOT_ISSUED not in paid.codes
    html = check(client, NOT_ISSUED, status=404)
    assert "No payment in the books has this receipt code." in text_of(html)
    assert 'role="alert"' in html
    assert f'value="{NOT_ISSUED}"' in html  # the form again, to correct it
    assert "verify.js" not in html
    assert "账簿中没有使用此收据码的缴费。" in text_of(check(client, NOT_ISSUED, "zh", 404))
    body = problem(client.get(proof_url(NOT_ISSUED)), 404)
    assert body["type"] == "/problems/receipt-not-found"


@pytest.mark.parametrize("typed", ["", "   ", "abc", "7K3Q-M9XD", "7K3Q-M9XD-2TPA-7K3Q",
                                   "<script>alert(1)</script>", "x" * 5000, "住户1"])
def test_a_malformed_code_is_a_400_form_error(client: Any, typed: str) -> None:
    html = check(client, typed, status=400)
    assert 'aria-invalid="true"' in html
    assert 'id="code-error" role="alert"' in html
    assert "<script>alert(1)</script>" not in html
    assert len(html) < 20_000


@pytest.mark.parametrize("code", ["abc", "7K3Q-M9XD", "x" * 200])
def test_a_malformed_code_has_no_proof_400(client: Any, code: str) -> None:
    problem(client.get(proof_url(code)), 400)


def test_a_payment_in_an_open_month_has_no_proof_yet(client: Any, paid: Paid) -> None:
    html = check(client, paid.november)
    text = text_of(html)
    assert "2026-11 (monthly) Open Unaudited draft Not yet: the period is not closed." in text
    assert "2026 (annual) Open Unaudited draft Not yet" in text
    assert ISLAND.search(html) is None
    assert "verify.js" not in html
    body = problem(client.get(proof_url(paid.november, "2026-11")), 404)
    assert "no inclusion proof" in body["detail"]
    # nor in a period that does not hold it
    problem(client.get(proof_url(paid.codes[0], "2026-11")), 404)
    problem(client.get(proof_url(paid.codes[0], "2026")), 404)


def test_a_refund_is_shown_with_the_payment(client: Any, bk: Books, paid: Paid) -> None:
    campaign_id = check_receipt(bk.uow, paid.codes[0]).receipt.campaign_id
    completion.cancel_campaign(bk.uow, bk.fm, campaign_id, on=date(2026, 11, 20),
                               reason="业主大会否决 the owners voted it down")
    text = text_of(check(client, paid.codes[0]))
    assert f"Amount {paid.amounts[0].amount} CNY" in text
    assert f"Refunded {paid.amounts[0].amount} CNY" in text
    assert "Signed Merkle root" in text  # October's books still hold the payment


def test_a_closed_month_not_yet_signed_shows_its_root_as_not_signed(client: Any, bk: Books
                                                                     ) -> None:
    found = pay_october(bk, sign=False)
    text = text_of(check(client, found.codes[0]))
    assert "2026-10 (monthly) Closed Unaudited draft See below" in text
    assert "Merkle root (recorded at the close, not yet signed off)" in text
    assert "Signed Merkle root" not in text
    assert client.get(proof_url(found.codes[0])).status_code == 200


def test_no_public_answer_shows_a_name_or_a_phone(client: Any, bk: Books, paid: Paid) -> None:
    member = bk.member()  # a member enterprise with its contact person and phone
    private = [*paid.private, member.contact_name, member.contact_phone, "ADMIN1", "AUD1",
               "沈会计", "0573-8300"]
    urls = ["/transparency/fund/periods", "/transparency/foundation/periods",
            f"/transparency/foundation/periods/{MONTH}", "/transparency/foundation/periods/2026",
            PAGE, f"{PAGE}?code={NOT_ISSUED}", f"{PAGE}?code=nonsense",
            f"{PAGE}?code={paid.november}", proof_url(NOT_ISSUED), proof_url("bad"),
            proof_url(paid.november, "2026-11")]
    for code in paid.codes:
        urls += [f"{PAGE}?code={code}", proof_url(code)]
    seen = 0
    for lang in ("zh", "en"):
        for url in urls:
            response = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
            assert response.status_code < 500, url
            body = response.get_data(as_text=True)
            for secret in private:
                assert secret not in body, (secret, url)
            seen += 1
    assert seen == 2 * len(urls)
