"""Receipts by code: the JSON (staff only for now, the address without name or phone) and the
bilingual PDF."""

from __future__ import annotations

from .helpers import Campaigns, contact


def test_a_receipt_as_json_and_as_pdf(campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(3)
    paid = c.ok(c.pay(opened["id"], households[1]["id"], "2333.34", "现金 007",
                      method="cash"), 201)
    code = paid["receipt_code"]
    receipt = c.get(f"/api/receipts/{code}", actor="board1")
    assert (receipt["household"], receipt["amount"], receipt["method"]) == (
        "1-1-102", "2333.34", "cash")
    assert set(receipt) == {"code", "campaign_id", "campaign_title", "community",
                            "household", "amount", "paid_on", "method", "entry_seq",
                            "refunded"}
    response = c.client.get(f"/api/receipts/{code.lower()}/pdf", headers=c.api.bearer("aud1"))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == f'inline; filename="receipt-{code}.pdf"'
    assert response.headers["Cache-Control"] == "private, no-store"
    name, phone = contact(2)
    assert name.encode() not in response.data
    assert phone.encode() not in response.data
