"""Helpers of the bridging-service and expense tests: the API as the fund's staff use it, and
raw reads of the tables a refused request must leave untouched."""

from __future__ import annotations

import itertools
import json
from typing import Any

from sqlalchemy import Engine, text

from ledger.core.credit_code import check_character

from ..http.helpers import Api

DEPOSIT = "350000.00"
#: 嘉兴永耀纺织 (seed 000): 350,000.00 deposited gives 5,000,000.00 of bridging service.
CAP = "5000000.00"
#: The fund's operating share of that deposit (30 %).
OPERATING = "105000.00"

#: Tables a refused request must not touch (their row counts, and the services' rows as well).
TABLES = ("members", "deposits", "bridging_services", "expenses", "journal_entries",
          "postings", "audit_log", "idempotency_keys")
SERVICE_COLUMNS = ("id", "status", "approved_by", "approved_at", "advance_entry_seq",
                   "settle_entry_seq", "ended_on")

_codes = itertools.count(1)


def credit_code(number: int) -> str:
    """A valid unified social credit code (GB 32100-2015), a different one for each number."""
    first17 = f"91330400MA{number:07d}"
    return first17 + check_character(first17)


def member_body(number: int) -> dict[str, Any]:
    return {
        "name_zh": f"嘉兴永耀纺织有限公司 {number}",
        "name_en": f"Jiaxing Yongyao Textiles Co., Ltd. {number}",
        "credit_code": credit_code(number),
        "legal_representative": "沈永耀",
        "contact_name": "沈会计",
        "contact_phone": "0573-8300 1234",
        "joined_on": "2025-11-01",
    }


def snapshot(engine: Engine) -> dict[str, Any]:
    """Row counts of TABLES and every bridging service's state: equal before and after a
    refused request."""
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in TABLES}
        services = [tuple(row) for row in conn.execute(text(
            f"SELECT {', '.join(SERVICE_COLUMNS)} FROM bridging_services ORDER BY id"))]
    return {"counts": counts, "services": services}


def audit_head(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM audit_log"))
                   .scalar_one())


def audit_after(engine: Engine, seq: int) -> list[dict[str, Any]]:
    """The audit records numbered above `seq`, oldest first, read from the table."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT seq, action, object_type, object_id, user_id, username, role, details"
            " FROM audit_log WHERE seq > :seq ORDER BY seq"), {"seq": seq})
        return [{**row._mapping, "details": json.loads(row.details)} for row in rows]


class Desk:
    """The fund's bridging and expense routes: writes as fm1, reads as auditor aud1 by
    default. Every POST has a new Idempotency-Key unless one is given."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.client = api.client
        self.engine = api.engine
        self._keys = itertools.count(1)

    def user_id(self, username: str) -> int:
        return self.api.staff.users[username].id

    # --- requests -----------------------------------------------------------------------------
    def post(self, path: str, body: Any = None, *, actor: str = "fm1",
             key: str | None = None) -> Any:
        headers = {"Idempotency-Key": key or f"br-key-{next(self._keys)}",
                   **self.api.bearer(actor)}
        if body is None:
            return self.client.post(path, headers=headers)
        return self.client.post(path, json=body, headers=headers)

    def get(self, path: str, *, actor: str = "aud1", **query: Any) -> Any:
        response = self.client.get(path, query_string=query, headers=self.api.bearer(actor))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    @staticmethod
    def ok(response: Any, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    def refused(self, response_of: Any, status: int, type_: str | None = None
                ) -> dict[str, Any]:
        """Send a request (a callable) that must be refused as a problem and write nothing."""
        before = snapshot(self.engine)
        body = Api.problem(response_of(), status, type_)
        assert snapshot(self.engine) == before
        return body

    # --- members and deposits -----------------------------------------------------------------
    def member(self, deposit: str | None = DEPOSIT, *, actor: str = "fm1") -> int:
        """A new member enterprise (its own credit code), with one deposit if given."""
        member = self.ok(self.post("/api/members", member_body(next(_codes)), actor=actor),
                         201)
        if deposit is not None:
            self.ok(self.post("/api/deposits", {
                "member_id": member["id"], "amount": deposit, "received_on": "2025-11-03",
                "method": "bank_transfer", "reference": f"DEP-{member['id']}"}, actor=actor),
                201)
        return int(member["id"])

    # --- services -----------------------------------------------------------------------------
    @staticmethod
    def service_body(member_id: int, amount: str) -> dict[str, Any]:
        return {"member_id": member_id, "bank": "嘉兴银行", "loan_amount": amount,
                "bridge_from": "2025-11-10", "bridge_to": "2025-12-10"}

    def post_request(self, member_id: int, amount: str, *, actor: str = "fm1") -> Any:
        return self.post("/api/services", self.service_body(member_id, amount), actor=actor)

    def request(self, member_id: int, amount: str, *, actor: str = "fm1") -> dict[str, Any]:
        return self.ok(self.post_request(member_id, amount, actor=actor), 201)

    def approve(self, service_id: int, *, actor: str = "fm2") -> Any:
        return self.post(f"/api/services/{service_id}/approve", actor=actor)

    def reject(self, service_id: int, *, actor: str = "fm2") -> Any:
        return self.post(f"/api/services/{service_id}/reject", actor=actor)

    def activate(self, service_id: int, *, advance: bool, on: str = "2025-11-10",
                 actor: str = "fm1") -> Any:
        return self.post(f"/api/services/{service_id}/activate",
                         {"advance": advance, "on": on}, actor=actor)

    def end(self, service_id: int, status: str, *, on: str = "2025-12-10",
            actor: str = "fm1") -> Any:
        return self.post(f"/api/services/{service_id}/end", {"status": status, "on": on},
                         actor=actor)

    def approved(self, member_id: int, amount: str) -> dict[str, Any]:
        """A service requested by fm1 and approved by fm2."""
        service = self.request(member_id, amount)
        return self.ok(self.approve(service["id"]))

    def service(self, service_id: int) -> dict[str, Any]:
        return self.get(f"/api/services/{service_id}")

    def exposure(self, member_id: int) -> dict[str, Any]:
        return self.get(f"/api/members/{member_id}/exposure")

    # --- expenses -----------------------------------------------------------------------------
    @staticmethod
    def expense_body(amount: Any = "1000.00", category: str = "administration",
                     **changes: Any) -> dict[str, Any]:
        return {"category": category, "amount": amount, "spent_on": "2025-11-05",
                "payee": "嘉兴市秀洲印刷厂", "memo": "会员手册印刷 / member handbooks",
                **changes}

    def post_expense(self, amount: Any = "1000.00", category: str = "administration", *,
                     actor: str = "fm1", **changes: Any) -> Any:
        return self.post("/api/expenses", self.expense_body(amount, category, **changes),
                         actor=actor)

    def position(self) -> dict[str, Any]:
        return self.get("/api/fund/position")

    # --- the books ----------------------------------------------------------------------------
    def trial_balance(self, as_of: str = "2025-12-31") -> dict[str, tuple[str, str]]:
        """The fund's trial balance: account -> (debit, credit), zero lines left out."""
        tb = self.get("/api/entities/fund/trial-balance", as_of=as_of)
        assert tb["balanced"] is True, tb
        return {line["account"]: (line["debit"], line["credit"]) for line in tb["lines"]
                if (line["debit"], line["credit"]) != ("0.00", "0.00")}

    def entries(self, **query: Any) -> list[dict[str, Any]]:
        return self.api.entries(**query)

    @staticmethod
    def lines(entry: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
        """(account, debit, credit) of each posting of an entry."""
        return [(p["account"], p["debit"], p["credit"]) for p in entry["postings"]]
