"""The bilingual deposit receipt: a real PDF, read back with poppler's pdftotext and pdffonts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ARTIFACTS, Staff

YONGYAO = {"name_zh": "嘉兴永耀纺织有限公司", "name_en": "Jiaxing Yongyao Textile Co., Ltd.",
           "credit_code": "91350100M000100Y43", "legal_representative": "张三",
           "contact_name": "李四", "contact_phone": "13800000000", "joined_on": "2017-02-01"}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (Debian's poppler-utils) is needed: make test installs it")
    return path


def _post(client: Any, path: str, body: dict[str, Any], headers: dict[str, str], key: str
          ) -> dict[str, Any]:
    response = client.post(path, json=body, headers={**headers, "Idempotency-Key": key})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_the_receipt_shows_what_the_books_hold(client: Any, staff_accounts: Staff,
                                               backend: str, tmp_path: Path) -> None:
    fm1 = staff_accounts.bearer("fm1")
    member = _post(client, "/api/members", YONGYAO, fm1, "m")
    deposit = _post(client, "/api/deposits", {
        "member_id": member["id"], "amount": "350000.00", "received_on": "2017-02-10",
        "method": "bank_transfer", "reference": "ICBC-20170210-0001"}, fm1, "d")
    entry = client.get(f"/api/entries/{deposit['entry_seq']}", headers=fm1).get_json()

    response = client.get(f"/api/deposits/{deposit['id']}/receipt.pdf",
                          headers=staff_accounts.bearer("aud1"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "HZ-2017-D000001.pdf" in response.headers["Content-Disposition"]
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(response.data)

    text = subprocess.run([_tool("pdftotext"), "-raw", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    for expected in ("互助资金收据", "Mutual-aid deposit receipt", "HZ-2017-D000001",
                     "嘉兴永耀纺织有限公司", "91350100M000100Y43", "2017-02-10",
                     "ICBC-20170210-0001", "350,000.00", "人民币叁拾伍万元整",
                     "105,000.00", "245,000.00", "(policy v1)", entry["hash"]):
        assert expected in text.replace("\n", ""), expected
    fonts = subprocess.run([_tool("pdffonts"), str(pdf)], check=True, capture_output=True,
                           text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(" yes yes " in line for line in cjk), fonts  # embedded and subset

    if backend == "sqlite":  # one page image for people to look at
        out = ARTIFACTS / "receipts"
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([_tool("pdftoppm"), "-r", "80", "-png", "-singlefile", str(pdf),
                        str(out / "deposit-receipt")], check=True)
        assert (out / "deposit-receipt.png").stat().st_size > 10_000


def test_a_reversed_deposit_says_so_and_unknown_ones_are_404(client: Any, staff_accounts: Staff,
                                                             tmp_path: Path) -> None:
    fm1 = staff_accounts.bearer("fm1")
    member = _post(client, "/api/members", YONGYAO, fm1, "m")
    deposit = _post(client, "/api/deposits", {
        "member_id": member["id"], "amount": "1000.05", "received_on": "2017-02-10",
        "method": "cash", "reference": "R-1"}, fm1, "d")
    reversed_ = client.post(f"/api/deposits/{deposit['id']}/reversal",
                            json={"reason": "录入错误", "effective_date": "2017-02-11"},
                            headers={**fm1, "Idempotency-Key": "r"})
    assert reversed_.status_code == 200, reversed_.get_data(as_text=True)
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(client.get(f"/api/deposits/{deposit['id']}/receipt.pdf", headers=fm1).data)
    text = subprocess.run([_tool("pdftotext"), "-raw", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "已冲销 REVERSED" in text
    assert "人民币壹仟元零伍分" in text
    assert client.get("/api/deposits/999/receipt.pdf", headers=fm1).status_code == 404
    assert client.get(f"/api/deposits/{deposit['id']}/receipt.pdf").status_code == 401
