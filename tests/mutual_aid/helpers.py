"""Helpers of the mutual-aid fund tests: the fund's API as fund managers use it, and raw reads
of the tables a refused request must leave untouched."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from sqlalchemy import Engine, text

from ..http.helpers import Api

#: 嘉兴永耀纺织 (seed 000): joins and pays 350,000.00, entitled to 5,000,000.00 of bridging.
YONGYAO: dict[str, Any] = {
    "name_zh": "嘉兴永耀纺织有限公司",
    "name_en": "Jiaxing Yongyao Textiles Co., Ltd.",
    "credit_code": "91350100M000100Y43",
    "legal_representative": "沈永耀",
    "contact_name": "沈会计",
    "contact_phone": "0573-8300 1234",
    "joined_on": "2025-11-01",
}
#: A second real, valid code (a second member enterprise).
OTHER_CODE = "91110000600037341L"
#: The same first 17 characters as YONGYAO's code with a wrong check character.
WRONG_CHECK = "91350100M000100Y44"

#: Tables a refused request must not touch.
TABLES = ("members", "deposits", "transfers", "journal_entries", "postings", "audit_log")


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def audit_actions(engine: Engine) -> list[tuple[int, str, str | None, str | None]]:
    """(seq, action, object_type, object_id) of every audit record, oldest first."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT seq, action, object_type, object_id FROM audit_log ORDER BY seq"))]


class Fund:
    """The mutual-aid routes of the API, as fund manager fm1 by default."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.client = api.client
        self.engine = api.engine
        self._keys = itertools.count(1)

    # --- requests -----------------------------------------------------------------------------
    def post(self, path: str, body: Any, *, actor: str = "fm1", key: str | None = None) -> Any:
        key = key or f"ma-key-{next(self._keys)}"
        return self.client.post(path, json=body,
                                headers={"Idempotency-Key": key, **self.api.bearer(actor)})

    def get(self, path: str, *, actor: str = "aud1", **query: Any) -> Any:
        response = self.client.get(path, query_string=query, headers=self.api.bearer(actor))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    @staticmethod
    def created(response: Any, status: int = 201) -> dict[str, Any]:
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    # --- members ------------------------------------------------------------------------------
    def register(self, actor: str = "fm1", **changes: Any) -> dict[str, Any]:
        return self.created(self.post("/api/members", {**copy.deepcopy(YONGYAO), **changes},
                                      actor=actor))

    def set_status(self, member_id: int, status: str, actor: str = "fm1") -> dict[str, Any]:
        return self.created(self.post(f"/api/members/{member_id}/status", {"status": status},
                                      actor=actor), 200)

    def member(self, member_id: int) -> dict[str, Any]:
        return self.get(f"/api/members/{member_id}")

    # --- deposits -----------------------------------------------------------------------------
    @staticmethod
    def deposit_body(member_id: int, amount: Any = "350000.00", received_on: str = "2025-11-03",
                     method: str = "bank_transfer", reference: str = "ABC-0001") -> dict[str, Any]:
        return {"member_id": member_id, "amount": amount, "received_on": received_on,
                "method": method, "reference": reference}

    def post_deposit(self, member_id: int, amount: Any = "350000.00", *, actor: str = "fm1",
                     key: str | None = None, **fields: Any) -> Any:
        return self.post("/api/deposits", self.deposit_body(member_id, amount, **fields),
                         actor=actor, key=key)

    def deposit(self, member_id: int, amount: Any = "350000.00", **fields: Any
                ) -> dict[str, Any]:
        return self.created(self.post_deposit(member_id, amount, **fields))

    def reverse(self, deposit_id: int, *, reason: str = "recorded twice / 重复录入",
                effective_date: str | None = "2025-11-20", actor: str = "fm1") -> Any:
        body: dict[str, Any] = {"reason": reason}
        if effective_date is not None:
            body["effective_date"] = effective_date
        return self.post(f"/api/deposits/{deposit_id}/reversal", body, actor=actor)

    # --- transfers ----------------------------------------------------------------------------
    def post_transfer(self, made_on: str = "2025-11-10", deposit_ids: list[int] | None = None,
                      *, actor: str = "fm2") -> Any:
        body: dict[str, Any] = {"made_on": made_on}
        if deposit_ids is not None:
            body["deposit_ids"] = deposit_ids
        return self.post("/api/transfers", body, actor=actor)

    def transfer(self, made_on: str = "2025-11-10", deposit_ids: list[int] | None = None,
                 *, actor: str = "fm2") -> dict[str, Any]:
        return self.created(self.post_transfer(made_on, deposit_ids, actor=actor))

    # --- the books ----------------------------------------------------------------------------
    def trial_balance(self, entity: str, as_of: str) -> dict[str, tuple[str, str]]:
        """account -> (debit column, credit column); accounts never used are absent."""
        tb = self.get(f"/api/entities/{entity}/trial-balance", as_of=as_of)
        assert tb["balanced"] is True, tb
        return {line["account"]: (line["debit"], line["credit"]) for line in tb["lines"]}

    def column(self, entity: str, as_of: str, account: str) -> tuple[str, str]:
        """(debit, credit) of one account in the trial balance; ("0.00", "0.00") if unused."""
        return self.trial_balance(entity, as_of).get(account, ("0.00", "0.00"))

    def counts(self) -> dict[str, int]:
        return row_counts(self.engine)
