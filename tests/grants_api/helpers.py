"""Helpers of the grant-programme API tests: the foundation's and the grant routes as its staff
use them, the programme set up step by step, and raw reads of the whole database that a
refused request must leave untouched."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Engine, text

from ledger.core.credit_code import check_character
from ledger.db.models import Base

from ..http.helpers import Api

#: A small but real PDF (the content, not the name, makes it a PDF).
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: The round's board reviewers; board2 and board3 are created by the fixture. board1 and
#: multi1 are the standard accounts with the board_member role (multi1 reviews nothing).
REVIEWERS = ("board1", "board2", "board3")
CRITERIA = [{"name": "社区需求 / need", "weight": 40},
            {"name": "可行性 / feasibility", "weight": 35},
            {"name": "居民参与 / participation", "weight": 25}]
NEED, FEASIBILITY, PARTICIPATION = (c["name"] for c in CRITERIA)

#: State columns that a refused request must not change either (beyond the row counts).
STATE_QUERIES = {
    "rounds": "SELECT id, status FROM grant_rounds ORDER BY id",
    "applications": "SELECT id, status FROM applications ORDER BY id",
    "grants": "SELECT id, status, ended_on, unspent_entry_seq FROM grants ORDER BY id",
    "tranches": "SELECT grant_id, number, paid_on, entry_seq FROM grant_tranches "
                "ORDER BY grant_id, number",
}


def credit_code(number: int) -> str:
    """A valid unified social credit code of a social organisation (52: civil affairs,
    private non-enterprise unit; 330411: 秀洲区, 嘉兴)."""
    first17 = f"52330411MJ{number:07d}"
    return first17 + check_character(first17)


def grantee_body(number: int, **changes: Any) -> dict[str, Any]:
    return {"name_zh": f"秀洲区新塍镇社会工作服务中心 {number}",
            "name_en": f"Xincheng Social Work Service Centre {number}",
            "credit_code": credit_code(number), "registration": "registered",
            "contact_name": "陈社工", "contact_phone": "0573-8301 2345",
            "bank_name": "嘉兴银行新塍支行", "bank_account": f"6228 4800 0000 {number:04d}",
            **changes}


def round_body(**changes: Any) -> dict[str, Any]:
    return {"title": "2026 年度新塍社区公益创投 / 2026 community venture philanthropy",
            "description": "居民提需求、社区设计项目、社会组织提供人手。",
            "eligibility": "在秀洲区登记或备案的社会组织",
            "budget": "300000.00", "opens_on": "2026-02-01", "closes_on": "2026-03-31",
            "quorum": 2, "majority": "simple", "criteria": CRITERIA,
            "reviewers": list(REVIEWERS), **changes}


def application_body(round_id: int, grantee_id: int, requested: str,
                     budget: list[tuple[str, str]], tranches: list[tuple[str, str]],
                     **changes: Any) -> dict[str, Any]:
    return {"round_id": round_id, "grantee_id": grantee_id,
            "title": f"社区项目 {grantee_id} / community project",
            "need": "楼道窗户关不上，冬天漏风。", "requested": requested,
            "budget": [{"item": item, "amount": amount} for item, amount in budget],
            "tranches": [{"number": n, "due_on": due, "amount": amount}
                         for n, (due, amount) in enumerate(tranches, 1)],
            "submitted_on": "2026-02-15", **changes}


def multipart(content: bytes, filename: str, field: str = "file",
              boundary: str = "huzhu-test-boundary") -> tuple[bytes, str]:
    """A multipart/form-data body with one file, and its content type. Encoded here rather
    than by the test client, which spools a large body to a temporary file that it never
    closes (unless it follows redirects)."""
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n')
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def snapshot(engine: Engine) -> dict[str, Any]:
    """Row counts of every table, and the state columns of STATE_QUERIES."""
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in sorted(Base.metadata.tables)}
        states = {name: [tuple(r) for r in conn.execute(text(sql))]
                  for name, sql in STATE_QUERIES.items()}
    return {"counts": counts, "states": states}


class Programme:
    """The foundation's and the grant routes: writes as fund manager fm1, reads as auditor
    aud1 by default; every POST with a new Idempotency-Key unless one is given."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.client = api.client
        self.engine = api.engine
        self._keys = itertools.count(1)

    # --- requests -----------------------------------------------------------------------------
    def key(self) -> str:
        return f"grants-key-{next(self._keys)}"

    def post(self, path: str, body: Any = None, *, actor: str = "fm1",
             key: str | None = None) -> Any:
        headers = {"Idempotency-Key": key or self.key(), **self.api.bearer(actor)}
        if body is None:
            return self.client.post(path, headers=headers)
        return self.client.post(path, json=body, headers=headers)

    def upload(self, application_id: int, content: bytes, filename: str, *,
               actor: str = "fm1", key: str | None = None) -> Any:
        """POST a file as multipart/form-data field `file`."""
        body, content_type = multipart(content, filename)
        return self.client.post(
            f"/api/applications/{application_id}/attachments", data=body,
            content_type=content_type,
            headers={"Idempotency-Key": key or self.key(), **self.api.bearer(actor)})

    def get(self, path: str, *, actor: str = "aud1", **query: Any) -> Any:
        response = self.client.get(path, query_string=query, headers=self.api.bearer(actor))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    @staticmethod
    def ok(response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    def refused(self, response_of: Any, status: int, type_: str | None = None
                ) -> dict[str, Any]:
        """Send a request (a callable) that must be refused as a problem and write nothing."""
        before = snapshot(self.engine)
        response = response_of()
        try:
            body = Api.problem(response, status, type_)
        finally:
            response.close()  # the test client's request stream (a temporary file if large)
        assert snapshot(self.engine) == before, "a refused request wrote something"
        return body

    # --- the foundation -----------------------------------------------------------------------
    def income(self, amount: str, *, source: str = "welfare_lottery", received_on: str,
               **fields: Any) -> dict[str, Any]:
        body = {"source": source, "donor": "嘉兴市福利彩票发行中心", "amount": amount,
                "received_on": received_on, **fields}
        return self.ok(self.post("/api/incomes", body), 201)

    def funds(self) -> dict[str, str]:
        return self.get("/api/foundation/funds")

    def books(self, as_of: str = "2026-12-31") -> dict[str, tuple[str, str]]:
        """The foundation's trial balance: account -> (debit, credit), zero lines left out."""
        tb = self.get("/api/entities/foundation/trial-balance", as_of=as_of)
        assert tb["balanced"] is True, tb
        return {line["account"]: (line["debit"], line["credit"]) for line in tb["lines"]
                if (line["debit"], line["credit"]) != ("0.00", "0.00")}

    def grantee(self, number: int) -> int:
        return int(self.ok(self.post("/api/grantees", grantee_body(number)), 201)["id"])

    # --- rounds and applications --------------------------------------------------------------
    def round(self, **changes: Any) -> dict[str, Any]:
        return self.ok(self.post("/api/rounds", round_body(**changes)), 201)

    def move(self, round_id: int, step: str) -> dict[str, Any]:
        return self.ok(self.post(f"/api/rounds/{round_id}/{step}"))

    def apply(self, round_id: int, grantee_id: int, requested: str,
              budget: list[tuple[str, str]], tranches: list[tuple[str, str]],
              **changes: Any) -> dict[str, Any]:
        body = application_body(round_id, grantee_id, requested, budget, tranches, **changes)
        return self.ok(self.post("/api/applications", body), 201)

    def open_round(self, **changes: Any) -> dict[str, Any]:
        """A round of 50,000.00 (unless `changes` say otherwise), open for applications, after
        100,000.00 of income received on 2026-01-05."""
        self.income("100000.00", received_on="2026-01-05")
        found = self.round(**{"budget": "50000.00", **changes})
        self.move(found["id"], "open")
        return found

    def application(self, round_id: int, grantee: int = 1, requested: str = "50000.00"
                    ) -> dict[str, Any]:
        """Grantee number `grantee` (registered now) applies for `requested`: one budget line
        (装备), one tranche due on 2026-05-01."""
        return self.apply(round_id, self.grantee(grantee), requested, [("装备", requested)],
                          [("2026-05-01", requested)])

    # --- review -------------------------------------------------------------------------------
    def declare(self, application_id: int, actor: str, conflicted: bool = False,
                note: str = "") -> Any:
        return self.post(f"/api/applications/{application_id}/declaration",
                         {"conflicted": conflicted, "note": note}, actor=actor)

    def score(self, application_id: int, actor: str, need: int, feasibility: int,
              participation: int) -> Any:
        return self.post(f"/api/applications/{application_id}/scores", {"scores": {
            NEED: need, FEASIBILITY: feasibility, PARTICIPATION: participation}}, actor=actor)

    def vote(self, application_id: int, actor: str, choice: str) -> Any:
        return self.post(f"/api/applications/{application_id}/votes", {"choice": choice},
                         actor=actor)

    def resolve(self, application_id: int, actor: str, on: str = "2026-04-05") -> Any:
        return self.post(f"/api/applications/{application_id}/resolutions", {"on": on},
                         actor=actor)

    def review(self, application_id: int) -> dict[str, Any]:
        return self.get(f"/api/applications/{application_id}/review")

    # --- grants -------------------------------------------------------------------------------
    def pay(self, grant_id: int, number: int, on: str, amount: str | None = None,
            actor: str = "fm1") -> Any:
        body: dict[str, Any] = {"number": number, "on": on}
        if amount is not None:
            body["amount"] = amount
        return self.post(f"/api/grants/{grant_id}/payments", body, actor=actor)

    def evaluate(self, grant_id: int, result: str, on: str) -> Any:
        return self.post(f"/api/grants/{grant_id}/evaluations", {
            "evaluated_on": on, "evaluators": "嘉兴市社会组织评估中心 王评估、李评估",
            "result": result, "notes": "验收评估 / acceptance evaluation"})

    def grant(self, grant_id: int) -> dict[str, Any]:
        return self.get(f"/api/grants/{grant_id}")
