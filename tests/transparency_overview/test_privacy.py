"""Nobody's private data on any public page or file (issue 8), on SQLite and PostgreSQL: with
members' legal representatives and contact phones, households' contact names and phones, an
anonymous donor's real name and a grantee's contact and bank account in the books, every
public address of both public blueprints (the overview's and the statements' and receipts'),
in both languages and for each year (the statements' PDFs read as text, the receipt check and
its proof for a real code), shows none of it."""

from __future__ import annotations

import io
import itertools
import re
from typing import Any

import pypdf
from flask import Flask

from ledger import foundation, grantees
from reports.open_data import KINDS

from ..periods.helpers import Books
from .helpers import MONTH, SECRET_DONOR, YEAR, Seeded

BLUEPRINTS = ("transparency.", "transparency_overview.")
#: Values of the path parameters of the public routes (besides the receipt code).
VALUES: dict[str, tuple[str, ...]] = {"entity": ("fund", "foundation"),
                                      "label": (MONTH, str(YEAR)), "lang": ("zh", "en"),
                                      "kind": KINDS, "fmt": ("json", "csv")}


def public_urls(app: Flask, code: str) -> list[str]:
    """Every public address of both blueprints with each value of its path parameters, in
    both languages, each year where a year applies, the receipt check with a real code."""
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith(BLUEPRINTS):
                continue
            names = sorted(rule.arguments)
            options = [(code,) if n == "code" else VALUES[n] for n in names]
            for values in itertools.product(*options):
                args = dict(zip(names, values, strict=True))
                if rule.endpoint == "transparency.proof":
                    args["label"] = MONTH  # a proof exists for the closed month only
                found.append(url_for(rule.endpoint, **args))
    found.append(f"/transparency/receipts?code={code}")
    return sorted(f"{url}{'&' if '?' in url else '?'}{query}" if query else url
                  for url in found for query in queries(url))


def queries(url: str) -> list[str]:
    """Both languages; and other years for the overview's pages (a PDF's language is in its
    address: once is enough)."""
    if url.endswith(".pdf"):
        return [""]
    found = ["lang=zh", "lang=en"]
    if "/periods" not in url and "/receipts" not in url:
        found += [f"lang=en&year={YEAR - 1}", f"lang=zh&year={YEAR}"]
    return found

def text_of_answer(response: Any) -> str:
    if response.mimetype == "application/pdf":
        reader = pypdf.PdfReader(io.BytesIO(response.data))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return response.data.decode("utf-8-sig")


def test_no_public_address_shows_anything_private(app: Flask, client: Any, bk: Books,
                                                  seeded: Seeded) -> None:
    # the private data is in the books (so that not finding it means something)
    incomes = foundation.incomes(bk.uow)
    assert SECRET_DONOR in [i.donor for i in incomes]
    assert {h.contact for h in bk.roll(seeded.campaign_id)} <= set(seeded.private)
    assert {g.contact_phone for g in grantees.grantees(bk.uow)} <= set(seeded.private)
    private = sorted(set(seeded.private))
    assert len(private) >= 20

    urls = public_urls(app, seeded.codes[0])
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith(BLUEPRINTS)}
    assert len(endpoints) == 11, sorted(endpoints)  # a new public route: walk it here too
    read_pdf = False
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = text_of_answer(response)
        if url.endswith("statements-zh.pdf"):
            assert "基金会" in text or "资金会" in text, f"{url}: its text cannot be read"
            read_pdf = True
        digits = re.sub(r"[\s-]", "", text)
        for secret in private:
            assert secret not in text, f"{secret!r} on {url}"
            if secret.replace(" ", "").replace("-", "").isdigit():
                assert secret.replace(" ", "").replace("-", "") not in digits, (secret, url)
    assert read_pdf
    assert any("/proof-" in url for url in urls)
    assert any("receipts?code=" in url for url in urls)
