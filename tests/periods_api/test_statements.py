"""The statements of a period through the API: the pack as JSON and CSV, and the PDF in
Chinese or English. A period not signed off gets an unaudited draft (never cached); a signed
one gets the PDF stored at the first request, byte for byte ever after, with its SHA-256 as
ETag, X-Content-SHA256 and Digest; a reopening makes it a draft again."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from .helpers import MONTH, Books, path

DRAFT = "UNAUDITED DRAFT"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def first_pages_text(content: bytes, pages: int = 2) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(p.extract_text() or "" for p in reader.pages[:pages])


def assert_hashes(response: Any) -> str:
    content = response.get_data()
    digest = hashlib.sha256(content)
    assert response.headers["X-Content-SHA256"] == digest.hexdigest()
    assert response.headers["Digest"] == "sha-256=" + base64.b64encode(digest.digest()).decode()
    return digest.hexdigest()


def stored_files(books: Books) -> list[tuple[str, str]]:
    with books.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT lang, sha256 FROM statement_files ORDER BY id"))]


def test_the_pack_as_json_and_csv(books: Books) -> None:
    books.seed()
    pack = books.ok(books.get(path(tail="statements")))
    assert pack["period"]["label"] == MONTH
    assert pack["previous_period"]["label"] == "2026-09"
    assert pack["entity"]["code"] == "fund"
    assert pack["state"]["audited"] is False
    assert [s["key"] for s in pack["statements"]] == ["position", "activities", "cash_flows"]
    position = pack["statements"][0]
    cash = next(line for line in position["lines"] if line["key"] == "cash")
    # September's 1,200.00, then October's 3,000.00 and 45.50 (the fund's bank).
    assert (cash["values"], cash["previous"]) == (["4245.50"], ["1200.00"])
    assert pack["trial_balance"]["balanced"] is True

    response = books.get(path(tail="statements.csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "statements-fund-2026-10-draft.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:2] == ["section", "line"]
    assert ["position", "cash", "货币资金", "Cash and bank deposits", "end_of_period",
            "4245.50", "1200.00"] in rows
    books.problem(books.get(path("foundation", "2026-1", "statements.csv")), 422)


def test_a_draft_pdf_is_marked_and_never_cached(books: Books) -> None:
    books.seed()
    books.closed()  # closed but not signed off: still a draft
    response = books.pdf(lang="en", appendix="false")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    content = response.get_data()
    assert content.startswith(b"%PDF")
    assert response.headers["X-Statement-Status"] == "draft"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers
    assert "statements-fund-2026-10-en-draft.pdf" in response.headers["Content-Disposition"]
    assert_hashes(response)
    assert DRAFT in first_pages_text(content)
    assert stored_files(books) == []


def test_a_signed_pdf_is_stored_and_a_reopening_makes_it_a_draft_again(books: Books) -> None:
    books.seed()
    books.signed(opinion="unqualified")
    first = books.pdf(lang="zh")
    assert first.status_code == 200, first.get_data(as_text=True)
    sha = assert_hashes(first)
    assert first.headers["ETag"] == f'"{sha}"'
    assert first.headers["X-Statement-Status"] == "signed"
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "statements-fund-2026-10-zh.pdf" in first.headers["Content-Disposition"]
    assert stored_files(books) == [("zh", sha)]
    assert DRAFT not in first_pages_text(first.get_data())

    again = books.pdf(lang="zh", appendix="false", actor="aud1")  # the stored one, whole
    assert again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"]
    unchanged = books.client.get(
        path(tail="statements.pdf"), query_string={"lang": "zh"},
        headers={**books.api.bearer("fm1"), "If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""

    listed = books.state()
    assert listed["audited"] is True

    books.ok(books.reopen(reason="补记手续费"))
    assert books.state()["signoff"] is None
    assert books.ok(books.get(path(tail="statements")))["state"]["signoff"] is None
    draft = books.pdf(lang="zh", appendix="false")
    assert draft.status_code == 200
    assert draft.headers["X-Statement-Status"] == "draft"
    assert "ETag" not in draft.headers
    assert draft.get_data() != first.get_data()
    assert DRAFT in first_pages_text(draft.get_data())
    stale = books.client.get(path(tail="statements.pdf"), query_string={"lang": "zh"},
                             headers={**books.api.bearer("fm1"),
                                      "If-None-Match": first.headers["ETag"]})
    assert stale.status_code == 200  # the signed file's ETag no longer matches
    assert stored_files(books) == [("zh", sha)]  # kept, but no longer served


class StandIn:
    """Stands in for reports.statements.statement_pdf: records its calls, answers fixed
    bytes (the headers and the public address do not depend on the renderer)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, bool, str]] = []

    def __call__(self, uow: Any, entity: str, label: str, lang: str, *, appendix: bool = True,
                 public_url: str = "") -> bytes:
        self.calls.append((entity, label, lang, appendix, public_url))
        return b"%PDF-1.7 stand-in " + f"{entity} {label} {lang}".encode()


def test_the_pdf_route_passes_its_arguments_and_hashes_what_it_sends(
        books: Books, monkeypatch: pytest.MonkeyPatch) -> None:
    import api.periods_api

    stand_in = StandIn()
    monkeypatch.setattr(api.periods_api, "statement_pdf", stand_in)
    monkeypatch.delenv("HUZHU_PUBLIC_URL", raising=False)
    draft = books.pdf(lang="en", appendix="false")
    assert draft.status_code == 200
    assert_hashes(draft)
    assert draft.headers["X-Statement-Status"] == "draft"
    assert stand_in.calls == [("fund", MONTH, "en", False, "http://localhost")]

    books.client.application.config["HUZHU_PUBLIC_URL"] = "https://huzhu.example.org/"
    books.signed()
    signed = books.pdf()
    sha = assert_hashes(signed)
    assert signed.headers["ETag"] == f'"{sha}"'
    assert stand_in.calls[-1] == ("fund", MONTH, "zh", True, "https://huzhu.example.org")
    unchanged = books.client.get(path(tail="statements.pdf"),
                                 headers={**books.api.bearer("aud1"), "If-None-Match": f'"{sha}"'})
    assert unchanged.status_code == 304
    assert "ETag" in unchanged.headers
