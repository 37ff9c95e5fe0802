"""Helpers of the repair-campaign API tests: the campaign routes as the foundation's staff use
them, the files they upload (a 317-household roll, payment exports), and raw reads of the
whole database that a refused request (or a preview) must leave untouched."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from ledger.db.models import Base

from ..http.helpers import Api

#: 丽园小区's roof: 50,000.00 quoted; 蛟川街道 subsidises 20,000.00, the foundation matches
#: 23,000.00, and the 317 households crowdfund the 7,000.00 gap: 64 pay 22.09, 253 pay 22.08.
COST, SUBSIDY, MATCH, GAP = "50000.00", "20000.00", "23000.00", "7000.00"
HOUSEHOLDS = 317
SPLIT = "64 × 22.09 + 253 × 22.08"
ROLL_HEADER = ("楼栋", "单元", "室", "联系人", "电话")
PAYMENT_HEADER = ("交易单号", "楼栋", "单元", "室", "金额(元)", "交易时间")
RECEIPT_CODE = r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$"
SUBDISTRICT = "蛟川街道办事处"

#: State columns that a refused request must not change either (beyond the row counts).
STATE_QUERIES = {
    "campaigns": "SELECT id, status FROM campaigns ORDER BY id",
    "households": "SELECT id, share, status, reason FROM campaign_households ORDER BY id",
}


def campaign_body(**changes: Any) -> dict[str, Any]:
    return {"community": "蛟川街道 丽园小区", "buildings": "1-8 幢",
            "title": "丽园小区屋面防水维修 / Liyuan roof waterproofing",
            "repair": "八幢住宅楼屋面防水层翻新，雨季前完工。",
            "contractor": "宁波镇海安居防水工程有限公司", "cost": COST, "subsidy": SUBSIDY,
            "subsidy_from": SUBDISTRICT, "match": MATCH, "deadline": "2026-06-30",
            "miss_rule": "keep_raised", "shortfall_source": "foundation",
            "leftover_rule": "refund", **changes}


def house_keys(count: int = HOUSEHOLDS) -> list[tuple[str, str, str]]:
    """(building, unit, room) of `count` households in roll order: buildings 1-8, units 1-2,
    rooms 101..604 (string order is the numeric order here)."""
    every = [(str(b), str(u), f"{floor}0{door}") for b in range(1, 9) for u in (1, 2)
             for floor in range(1, 7) for door in range(1, 5)]
    assert len(every) >= count
    return sorted(every)[:count]


def key_text(key: Sequence[str]) -> str:
    return "-".join(key)


def contact(index: int) -> tuple[str, str]:
    """The name and phone of the household at roll position `index` (1-based)."""
    return f"住户{index:03d}", f"138{index:08d}"


def table_csv(header: Sequence[str], rows: Iterable[Sequence[str]], *,
              encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def roll_rows(count: int = HOUSEHOLDS) -> list[tuple[str, ...]]:
    """The roll's rows, written in reverse order (the import sorts them)."""
    rows = [(*key, *contact(i)) for i, key in enumerate(house_keys(count), start=1)]
    return rows[::-1]


def roll_csv(count: int = HOUSEHOLDS, *, encoding: str = "utf-8") -> bytes:
    return table_csv(ROLL_HEADER, roll_rows(count), encoding=encoding)


def payments_csv(lines: Iterable[tuple[str, Sequence[str], str]], *,
                 paid_at: str = "2026-04-02 10:15:00", encoding: str = "utf-8") -> bytes:
    """A WeChat Pay-like export: (reference, (building, unit, room), amount) per line."""
    return table_csv(PAYMENT_HEADER, [(ref, *key, amount, paid_at) for ref, key, amount in lines],
                     encoding=encoding)


def multipart(content: bytes | None, filename: str = "file.csv", *,
              boundary: str = "huzhu-campaign-boundary", **fields: str) -> tuple[bytes, str]:
    """A multipart/form-data body with one file (unless None) and form fields, and its content
    type (encoded here: the test client spools large bodies to files it never closes)."""
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
             f"{value}\r\n".encode() for name, value in fields.items()]
    if content is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def snapshot(engine: Engine, *, ignore: Sequence[str] = ()) -> dict[str, Any]:
    """Row counts of every table (but those in `ignore`) and the state columns of
    STATE_QUERIES."""
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in sorted(Base.metadata.tables) if t not in ignore}
        states = {name: [tuple(r) for r in conn.execute(text(sql))]
                  for name, sql in STATE_QUERIES.items()}
    return {"counts": counts, "states": states}


def total(amounts: Iterable[str]) -> str:
    return f"{sum((Decimal(a) for a in amounts), Decimal(0)):.2f}"


class Campaigns:
    """The campaign routes: writes as fund manager fm1, reads as auditor aud1 by default;
    every POST with a new Idempotency-Key unless one is given."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.client = api.client
        self.engine = api.engine
        self._keys = itertools.count(1)

    # --- requests -----------------------------------------------------------------------------
    def key(self) -> str:
        return f"campaign-key-{next(self._keys)}"

    def headers(self, actor: str | None, key: str | None) -> dict[str, str]:
        found = {"Idempotency-Key": key or self.key()}
        if actor is not None:
            found.update(self.api.bearer(actor))
        return found

    def _client(self, actor: str | None) -> Any:
        return self.client if actor is not None else self.api.anonymous

    def post(self, path: str, body: Any = None, *, actor: str | None = "fm1",
             key: str | None = None) -> Any:
        headers = self.headers(actor, key)
        if body is None:
            return self._client(actor).post(path, headers=headers)
        return self._client(actor).post(path, json=body, headers=headers)

    def upload(self, path: str, content: bytes | None, filename: str = "file.csv", *,
               actor: str | None = "fm1", key: str | None = None,
               query: dict[str, str] | None = None, boundary: str = "huzhu-campaign-boundary",
               **fields: str) -> Any:
        """POST a file (multipart/form-data field `file`) with form fields."""
        body, content_type = multipart(content, filename, boundary=boundary, **fields)
        return self._client(actor).post(path, data=body, content_type=content_type,
                                        query_string=query or {},
                                        headers=self.headers(actor, key))

    def get(self, path: str, *, actor: str = "aud1", **query: Any) -> Any:
        response = self.client.get(path, query_string=query, headers=self.api.bearer(actor))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    @staticmethod
    def ok(response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    def refused(self, response_of: Callable[[], Any], status: int, type_: str | None = None
                ) -> dict[str, Any]:
        """Send a request (a callable) that must be refused as a problem and write nothing."""
        before = snapshot(self.engine)
        response = response_of()
        try:
            body = Api.problem(response, status, type_)
        finally:
            response.close()
        assert snapshot(self.engine) == before, "a refused request wrote something"
        return body

    def entry_count(self) -> int:
        return self.api.row_counts()["journal_entries"]

    # --- the foundation and a campaign --------------------------------------------------------
    def income(self, amount: str = "100000.00", received_on: str = "2026-03-01") -> None:
        self.ok(self.post("/api/incomes", {
            "source": "welfare_lottery", "donor": "宁波市福利彩票发行中心", "amount": amount,
            "received_on": received_on}), 201)

    def create(self, **changes: Any) -> dict[str, Any]:
        return self.ok(self.post("/api/campaigns", campaign_body(**changes)), 201)

    def roll(self, campaign_id: int, content: bytes | None = None, *,
             filename: str = "roll.csv", **kwargs: Any) -> Any:
        return self.upload(f"/api/campaigns/{campaign_id}/roll",
                           roll_csv() if content is None else content, filename, **kwargs)

    def pay_import(self, campaign_id: int, content: bytes, method: str = "wechat", *,
                   filename: str = "wechat-export.csv", **kwargs: Any) -> Any:
        return self.upload(f"/api/campaigns/{campaign_id}/payments/import", content,
                           filename, method=method, **kwargs)

    def campaign(self, campaign_id: int) -> dict[str, Any]:
        return self.get(f"/api/campaigns/{campaign_id}")

    def households(self, campaign_id: int, **query: Any) -> list[dict[str, Any]]:
        return self.get(f"/api/campaigns/{campaign_id}/households", **query)

    def move(self, campaign_id: int, action: str, body: Any = None, *, status: int = 200
             ) -> dict[str, Any]:
        return self.ok(self.post(f"/api/campaigns/{campaign_id}/{action}", body), status)

    def pay(self, campaign_id: int, household_id: int, amount: str, reference: str, *,
            method: str = "cash", paid_on: str = "2026-04-01", **kwargs: Any) -> Any:
        return self.post(f"/api/campaigns/{campaign_id}/payments", {
            "household_id": household_id, "amount": amount, "paid_on": paid_on,
            "method": method, "reference": reference}, **kwargs)

    def opened(self, count: int = HOUSEHOLDS, *, income: str = "100000.00", **changes: Any
               ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """An open campaign with its roll imported (and the foundation's money to match it);
        the subsidy is not received yet."""
        self.income(income)
        found = self.create(**changes)
        self.ok(self.roll(found["id"], roll_csv(count)), 201)
        opened = self.move(found["id"], "open")
        assert opened["status"] == "open", opened
        return opened, self.households(found["id"])
