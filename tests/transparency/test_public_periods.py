"""The public statements pages (issue 8), without logging in, through the Flask test client on
SQLite and PostgreSQL: every period of an entity with its status; a signed one with the
opinion, the signer, the chain head, the Merkle root and its PDFs' SHA-256 (once made); the
others marked as unaudited drafts; one period's page (the QR code's target); the PDFs (a
signed period's stored file, cached for good at its versioned address; a draft made anew,
without the appendix); the language (?lang=, Accept-Language) and the caching headers."""

from __future__ import annotations

import hashlib
import io
from typing import Any
from urllib.parse import urlsplit

import pypdf
import pytest

from ledger import periods as ps
from reports.statements import verify_url

from ..periods.helpers import Books
from .helpers import MONTH, Paid, text_of

FOUNDATION = "/transparency/foundation/periods"
OCTOBER = f"{FOUNDATION}/{MONTH}"
IMMUTABLE = "public, max-age=31536000, immutable"


def page(client: Any, url: str, status: int = 200, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def pdf_link(html: str, lang: str) -> str:
    """The address of the PDF in `lang` on a page."""
    marker = f"statements-{lang}.pdf"
    start = html.index(marker)
    return html[html.rindex('href="', 0, start) + 6:html.index('"', start)].replace("&amp;", "&")


def test_the_list_shows_the_signed_period_in_full_and_the_others_as_drafts(
        client: Any, bk: Books, paid: Paid) -> None:
    # October is closed and signed off; November is closing
    ps.start_closing(bk.uow, bk.admin, "foundation", "2026-11")
    october = bk.state("foundation", MONTH)
    assert october.close is not None
    assert october.signoff is not None
    assert october.close.root is not None

    text = text_of(page(client, FOUNDATION + "?lang=en"))
    assert "Statements of Community Development Foundation" in text
    signed = text[text.index(f"{MONTH} Closed Audited"):]
    for fact in ("Unqualified opinion", "aud1", f"Entry no. {october.close.head_seq}",
                 october.close.head_hash, october.close.root,
                 f"over {october.close.size} entries dated in the period"):
        assert fact in signed, fact
    assert signed.count("Computed when first downloaded.") == 2  # no PDF made yet
    november = text[text.index("2026-11 Closing Unaudited draft"):text.index(MONTH)]
    assert "unaudited draft" in november
    assert "Audit opinion" not in november
    assert "Merkle root" not in november

    zh = text_of(page(client, FOUNDATION + "?lang=zh"))
    assert "2026-11 结账中 未经审计草稿" in zh
    assert f"{MONTH} 已结账 已审计" in zh
    assert "无保留意见" in zh
    assert "首次下载时计算。" in zh

    fund = text_of(page(client, "/transparency/fund/periods?lang=en"))
    assert "No period has been closed yet" in fund


def test_a_pdf_once_made_shows_its_sha256_on_the_pages(client: Any, bk: Books, paid: Paid
                                                       ) -> None:
    html = page(client, FOUNDATION + "?lang=en")
    first = client.get(FOUNDATION + "?lang=en").headers["ETag"]
    answer = client.get(pdf_link(html, "zh"))
    assert answer.status_code == 200
    digest = hashlib.sha256(answer.data).hexdigest()
    assert ps.stored_digests(bk.uow, "foundation", MONTH) == {"zh": digest}
    for url in (FOUNDATION + "?lang=en", OCTOBER + "?lang=en"):
        text = text_of(page(client, url))
        assert digest in text
        assert text.count("Computed when first downloaded.") == 1  # the English one
    # the page changed, so its validator did
    again = client.get(FOUNDATION + "?lang=en", headers={"If-None-Match": first})
    assert again.status_code == 200
    assert again.headers["ETag"] != first


def test_the_period_pages_are_cached_by_anyone_and_revalidated(client: Any, paid: Paid) -> None:
    for url in (FOUNDATION, OCTOBER, "/transparency/fund/periods/2026-09"):
        response = client.get(url + "?lang=zh")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, no-cache"
        assert "Accept-Language" in response.headers["Vary"]
        etag = response.headers["ETag"]
        assert etag.startswith('W/"')
        cached = client.get(url + "?lang=zh", headers={"If-None-Match": etag})
        assert cached.status_code == 304
        assert cached.data == b""
        assert cached.headers["ETag"] == etag
        assert "Accept-Language" in cached.headers["Vary"]
        # another language is another page
        english = client.get(url + "?lang=en", headers={"If-None-Match": etag})
        assert english.status_code == 200
        assert english.headers["ETag"] != etag


def test_the_language_comes_from_the_address_or_the_browser(client: Any, paid: Paid) -> None:
    assert '<html lang="zh-Hans">' in page(client, FOUNDATION)  # no preference: Chinese
    english = page(client, FOUNDATION, **{"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english
    assert "Statements of Community Development Foundation" in text_of(english)
    chosen = client.get(FOUNDATION + "?lang=zh", headers={"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in chosen.get_data(as_text=True)
    assert chosen.headers["Content-Language"] == "zh-Hans"
    assert "社区发展基金会财务报表" in text_of(chosen.get_data(as_text=True))
    # the staff's language cookie does not decide a public page (caches vary on the header)
    client.set_cookie("lang", "en")
    assert '<html lang="zh-Hans">' in page(client, FOUNDATION)
    # links keep the language, and the switch offers the other one
    html = page(client, FOUNDATION + "?lang=en")
    assert f'href="{OCTOBER}?lang=en"' in html
    assert 'href="/transparency/receipts?lang=en"' in html
    assert f'href="{FOUNDATION}?lang=zh" lang="zh-Hans"' in html


def test_the_qr_code_of_a_signed_statement_leads_to_its_period(client: Any, bk: Books,
                                                               paid: Paid) -> None:
    state = bk.state("foundation", MONTH)
    assert state.close is not None
    assert state.signoff is not None
    target = urlsplit(verify_url("https://huzhu.example", "foundation", MONTH)).path
    assert target == OCTOBER
    text = text_of(page(client, target + "?lang=en"))
    assert "Community Development Foundation · 2026-10 Closed Audited" in text
    assert "An auditor signed off these statements: they are final." in text
    for fact in ("2026-10-01 – 2026-10-31", "Unqualified opinion", state.signoff.notes,
                 state.close.head_hash, state.close.root):
        assert fact in text, fact
    assert (f"python3 -m ledger.core.merkle proof-{MONTH}.json --root {state.close.root} "
            "--code YOUR-RECEIPT-CODE --amount 22.09") in text
    assert "sha256sum statements-foundation-2026-10-zh.pdf" in text


def test_an_unsigned_or_never_closed_period_is_a_draft(client: Any, bk: Books, paid: Paid
                                                       ) -> None:
    for label, status in (("2026-11", "Open"), ("2026", "Open"), ("2031-05", "Open")):
        text = text_of(page(client, f"{FOUNDATION}/{label}?lang=en"))
        assert f"{label} {status} Unaudited draft" in text
        assert "No auditor has signed off this period" in text
        assert "Chain head at the close" not in text
        assert "entries dated in the period" not in text
        assert "Once the period is closed, its Merkle root is shown here" in text
        assert "A draft is made anew at each download" in text
    zh = text_of(page(client, f"{FOUNDATION}/2026-11?lang=zh"))
    assert "未经审计草稿" in zh


def test_a_reopened_period_is_a_draft_again_and_its_old_pdf_address_moves(
        client: Any, bk: Books, paid: Paid) -> None:
    old = pdf_link(page(client, OCTOBER), "en")
    assert "?v=" in old
    assert client.get(old).status_code == 200
    bk.reopen("foundation", MONTH)
    text = text_of(page(client, OCTOBER + "?lang=en"))
    assert "2026-10 Open Unaudited draft" in text
    assert "The period was reopened; any earlier sign-off no longer holds." in text
    moved = client.get(old)
    assert moved.status_code == 302
    assert moved.headers["Location"] == f"{OCTOBER}/statements-en.pdf"
    assert moved.headers["Cache-Control"] == "no-store"
    assert pdf_link(page(client, OCTOBER), "en") == f"{OCTOBER}/statements-en.pdf"


def test_a_signed_pdf_is_the_stored_file_cached_for_good_at_its_address(
        client: Any, bk: Books, paid: Paid) -> None:
    state = bk.state("foundation", MONTH)
    assert state.signoff is not None
    link = pdf_link(page(client, OCTOBER), "zh")
    assert link == f"{OCTOBER}/statements-zh.pdf?v={state.signoff.id}"
    answer = client.get(link)
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    content = answer.data
    assert content.startswith(b"%PDF")
    digest = hashlib.sha256(content).hexdigest()
    assert answer.headers["ETag"] == f'"{digest}"'
    assert answer.headers["Cache-Control"] == IMMUTABLE
    assert answer.headers["X-Statement-Status"] == "signed"
    assert ps.stored_digests(bk.uow, "foundation", MONTH)["zh"] == digest
    assert client.get(link).data == content  # byte for byte, every time
    cached = client.get(link, headers={"If-None-Match": f'"{digest}"'})
    assert cached.status_code == 304
    assert cached.headers["ETag"] == f'"{digest}"'
    # without its version (typed, or an old link) it is revalidated rather than kept for good
    plain = client.get(f"{OCTOBER}/statements-zh.pdf")
    assert plain.data == content
    assert plain.headers["Cache-Control"] == "public, no-cache"
    stale = client.get(f"{OCTOBER}/statements-zh.pdf?v=999")
    assert stale.status_code == 302
    assert stale.headers["Location"] == link


def test_a_draft_pdf_is_made_anew_without_the_appendix_and_never_kept(
        client: Any, bk: Books, paid: Paid) -> None:
    url = f"{FOUNDATION}/2026-11/statements-en.pdf"
    assert pdf_link(page(client, f"{FOUNDATION}/2026-11"), "en") == url
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["X-Statement-Status"] == "draft"
    assert "ETag" not in answer.headers
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(answer.data)).pages]
    assert all("UNAUDITED DRAFT" in text for text in pages)
    assert not any("Appendix: general-ledger detail" in text for text in pages)
    assert ps.stored_digests(bk.uow, "foundation", "2026-11") == {}


@pytest.mark.parametrize("url", [
    "/transparency/charity/periods", "/transparency/charity/periods/2026-10",
    f"{FOUNDATION}/2026-13", f"{FOUNDATION}/october", f"{OCTOBER}/statements-fr.pdf",
    f"{FOUNDATION}/2026-13/statements-zh.pdf",
    "/transparency/charity/periods/2026/statements-zh.pdf",
])
def test_an_address_that_names_nothing_is_a_404_page(client: Any, url: str) -> None:
    response = client.get(url + "?lang=en")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "Page not found" in text_of(response.get_data(as_text=True))


def test_a_refusal_of_the_books_is_a_public_error_page_not_a_500(
        client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise ps.PeriodNotFound("no such period")

    monkeypatch.setattr(ps, "periods", refuse)
    response = client.get(FOUNDATION + "?lang=en")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    text = text_of(response.get_data(as_text=True))
    assert "This cannot be shown" in text
    assert "Foundation statements" in text  # the public layout, not the staff one
