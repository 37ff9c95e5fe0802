"""Helpers of the periods API tests: the period routes as the staff use them, a little of
the fund's and the foundation's business in September and October 2026, and raw reads of the
tables a refused request must leave untouched."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Engine, text

from ..http.helpers import Api, entry_body

#: The tables a period's close, reopening and sign-off write (and the audit log).
TABLES = ("periods", "period_closes", "period_reopens", "signoffs", "statement_files",
          "journal_entries", "audit_log")
MONTH, PREVIOUS, YEAR = "2026-10", "2026-09", "2026"
#: 嘉兴永耀纺织: a member enterprise of the fund.
MEMBER: dict[str, Any] = {
    "name_zh": "嘉兴永耀纺织有限公司", "name_en": "Jiaxing Yongyao Textiles Co., Ltd.",
    "credit_code": "91350100M000100Y43", "legal_representative": "沈永耀",
    "contact_name": "沈会计", "contact_phone": "0573-8300 1234", "joined_on": "2025-11-01"}


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def audit_actions(engine: Engine, prefix: str = "period.") -> list[tuple[str, str, str]]:
    """(action, username, object_id) of the audit records of periods, oldest first."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT action, username, object_id FROM audit_log WHERE action LIKE :p "
            "ORDER BY seq"), {"p": prefix + "%"})]


def path(entity: str = "fund", label: str = MONTH, tail: str = "") -> str:
    return f"/api/entities/{entity}/periods/{label}" + (f"/{tail}" if tail else "")


class Books:
    """The period routes: writes as fund manager fm1 by default (sign-off as auditor aud1,
    reopening as admin1), reads as board member board1; every POST with a new
    Idempotency-Key unless one is given."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.client = api.client
        self.engine = api.engine
        self._keys = itertools.count(1)

    # --- requests ---------------------------------------------------------------------------
    def headers(self, actor: str | None, key: str | None = None) -> dict[str, str]:
        headers = {"Idempotency-Key": key or f"period-key-{next(self._keys)}"}
        if actor is not None:
            headers.update(self.api.bearer(actor))
        return headers

    def post(self, url: str, body: Any = None, *, actor: str | None = "fm1",
             key: str | None = None) -> Any:
        client = self.client if actor is not None else self.api.anonymous
        if body is None:
            return client.post(url, headers=self.headers(actor, key))
        return client.post(url, json=body, headers=self.headers(actor, key))

    def get(self, url: str, *, actor: str | None = "board1", **query: Any) -> Any:
        client = self.client if actor is not None else self.api.anonymous
        headers = self.api.bearer(actor) if actor is not None else {}
        return client.get(url, query_string=query, headers=headers)

    @staticmethod
    def ok(response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    problem = staticmethod(Api.problem)

    # --- the period routes ------------------------------------------------------------------
    def state(self, entity: str = "fund", label: str = MONTH) -> dict[str, Any]:
        return self.ok(self.get(path(entity, label)))

    def listed(self, entity: str = "fund") -> list[dict[str, Any]]:
        return self.ok(self.get(f"/api/entities/{entity}/periods"))

    def start_closing(self, entity: str = "fund", label: str = MONTH, *, actor: str = "fm1",
                      key: str | None = None) -> Any:
        return self.post(path(entity, label, "closing"), actor=actor, key=key)

    def close(self, entity: str = "fund", label: str = MONTH, *, actor: str = "fm1",
              key: str | None = None) -> Any:
        return self.post(path(entity, label, "close"), actor=actor, key=key)

    def closed(self, entity: str = "fund", label: str = MONTH) -> dict[str, Any]:
        """Start closing and close the period; its state."""
        self.ok(self.start_closing(entity, label))
        return self.ok(self.close(entity, label))

    def reopen(self, entity: str = "fund", label: str = MONTH, reason: Any = "审计调整",
               *, actor: str = "admin1", key: str | None = None) -> Any:
        body = {} if reason is None else {"reason": reason}
        return self.post(path(entity, label, "reopen"), body, actor=actor, key=key)

    def sign_off(self, entity: str = "fund", label: str = MONTH, opinion: str = "unqualified",
                 notes: str = "账实相符。", *, actor: str = "aud1", key: str | None = None
                 ) -> Any:
        return self.post(path(entity, label, "sign-off"), {"opinion": opinion, "notes": notes},
                         actor=actor, key=key)

    def signed(self, entity: str = "fund", label: str = MONTH, **kwargs: Any
               ) -> dict[str, Any]:
        """Close the period and sign it off; its state."""
        self.closed(entity, label)
        return self.ok(self.sign_off(entity, label, **kwargs))

    def verification(self, entity: str = "fund", label: str = MONTH, *,
                     actor: str = "aud1") -> Any:
        return self.get(path(entity, label, "verification"), actor=actor)

    def pdf(self, entity: str = "fund", label: str = MONTH, *, actor: str = "board1",
            **query: Any) -> Any:
        return self.get(path(entity, label, "statements.pdf"), actor=actor, **query)

    # --- business in the books --------------------------------------------------------------
    def entry(self, day: str, entity: str = "fund", amount: str = "100.00", **kwargs: Any
              ) -> Any:
        """An admin's direct entry (an adjusting entry): Dr bank / Cr income."""
        return self.post("/api/entries", entry_body(entity, day, amount, **kwargs),
                         actor="admin1")

    def seed(self) -> None:
        """Income of the fund and the foundation in September and October 2026, and a
        member enterprise of the fund."""
        for entity in ("fund", "foundation"):
            for day, amount in (("2026-09-15", "1200.00"), ("2026-10-10", "3000.00"),
                                ("2026-10-31", "45.50")):
                self.ok(self.entry(day, entity, amount, memo=f"{entity} {day}"), 201)
        self.member_id = self.ok(self.post("/api/members", MEMBER), 201)["id"]

    def deposit(self, day: str, *, reference: str = "YY-0001") -> Any:
        return self.post("/api/deposits", {
            "member_id": self.member_id, "amount": "350000.00", "received_on": day,
            "method": "bank_transfer", "reference": reference})

    def voucher(self, day: str, amount: str = "20.00") -> Any:
        """A voucher prepared by fm1 (Dr 5201 admin expenses / Cr 1002 bank)."""
        return self.post("/api/vouchers", {
            "entity": "fund", "effective_date": day, "memo": "银行手续费 / bank charge",
            "postings": [{"account": "5201", "debit": amount},
                         {"account": "1002", "credit": amount}]})

    def counts(self) -> dict[str, int]:
        return row_counts(self.engine)
