"""Income pages: the list by source with the funds, recording income, releasing a restriction."""

from __future__ import annotations

from flask import Flask

from ledger import foundation
from ledger.books import today
from ledger.core.grants import IncomeSource, Restriction

from .helpers import Books, Browser, flashes

NEW = "/staff/foundation/income/new"


def income_form(**changes: str) -> dict[str, str]:
    return {"source": "welfare_lottery", "donor": "宁波市民政局", "amount": "120,000.00",
            "received_on": today().isoformat(), "restriction": "none", "purpose": "",
            "round_id": "", "reference": "HB-2026-01", **changes}


def test_a_fund_manager_records_income_and_sees_it_by_source(app: Flask, books: Books) -> None:
    browser = Browser(app, "fm1")
    assert "Record income" in browser.page(NEW)
    page = browser.follow(browser.submit(NEW, income_form()))
    assert flashes(page) == ["Income #1 is recorded and posted: 120,000.00 from "
                             "Welfare-lottery funds."]
    made = foundation.income(books.uow, 1)
    assert (made.source, made.amount.amount, made.account) == (
        IncomeSource.WELFARE_LOTTERY, 120000, "450101")
    listing = browser.page("/staff/foundation/income")
    assert "Welfare-lottery funds" in listing
    assert "宁波市民政局" in listing
    assert "Available for new rounds" in listing
    assert "120,000.00" in listing


def test_income_restricted_to_a_purpose_and_an_anonymous_donor(app: Flask, books: Books
                                                               ) -> None:
    browser = Browser(app, "fm1")
    response = browser.submit(NEW, income_form(
        source="individual", donor="李先生", anonymous="y", amount="5000",
        restriction="purpose", purpose="应急救援队装备"))
    browser.follow(response)
    made = foundation.incomes(books.uow)[0]
    assert (made.anonymous, made.restriction, made.purpose) == (
        True, Restriction.PURPOSE, "应急救援队装备")
    listing = browser.page("/staff/foundation/income")
    assert "Anonymous" in listing
    assert "never published" in listing
    assert "Restricted to a purpose: 应急救援队装备" in listing
    assert foundation.funds(books.uow).restricted.amount == 5000


def test_income_restricted_to_a_round_names_the_round(app: Flask, books: Books) -> None:
    made = books.round()
    browser = Browser(app, "fm1")
    assert f'value="{made.id}"' in browser.page(f"{NEW}?round_id={made.id}")
    browser.follow(browser.submit(NEW, income_form(restriction="round",
                                                   round_id=str(made.id))))
    assert foundation.incomes(books.uow)[0].round_id == made.id


def test_a_refused_income_form_says_why_and_writes_nothing(app: Flask, books: Books) -> None:
    browser = Browser(app, "fm1")
    before = books.counts()
    bad = browser.submit(NEW, income_form(amount="12,00", restriction="purpose"))
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Enter an amount greater than zero with at most two decimals" in page
    no_purpose = browser.submit(NEW, income_form(restriction="purpose", purpose=" "))
    assert no_purpose.status_code == 422
    assert "Say what the money is restricted to" in no_purpose.get_data(as_text=True)
    no_round = browser.submit(NEW, income_form(restriction="round"))
    assert no_round.status_code == 422
    assert "Choose the grant round the money is given for." in no_round.get_data(as_text=True)
    assert books.counts() == before


def test_a_restriction_is_released_from_the_income_page(app: Flask, books: Books) -> None:
    made = books.income("8000.00", source=IncomeSource.ENTERPRISE, donor="永耀纺织",
                        restriction=Restriction.PURPOSE, purpose="楼道窗户")
    browser = Browser(app, "fm1")
    path = f"/staff/foundation/income/{made.id}"
    assert "Release the restriction" in browser.page(path)
    page = browser.follow(browser.submit(f"{path}/release", {
        "amount": "3000.00", "on": today().isoformat(), "reason": "窗户已修好"}))
    assert flashes(page) == [f"3,000.00 of income #{made.id} is released from its "
                             "restriction."]
    assert foundation.income(books.uow, made.id).restricted_left.amount == 5000
    assert "窗户已修好" in page


def test_releasing_more_than_is_restricted_is_refused_in_words(app: Flask, books: Books
                                                               ) -> None:
    made = books.income("8000.00", source=IncomeSource.ENTERPRISE, donor="永耀纺织",
                        restriction=Restriction.PURPOSE, purpose="楼道窗户")
    browser = Browser(app, "fm1")
    before = books.counts()
    response = browser.submit(f"/staff/foundation/income/{made.id}/release", {
        "amount": "9000.00", "on": today().isoformat(), "reason": "全部"})
    assert response.status_code == 409
    assert (f"Income #{made.id} has 8,000.00 still restricted; less than 9,000.00."
            in response.get_data(as_text=True))
    assert books.counts() == before


def test_only_fund_managers_and_admins_record_income(app: Flask, books: Books) -> None:
    made = books.income("8000.00", restriction=Restriction.PURPOSE, purpose="楼道窗户")
    for username in ("board1", "aud1"):
        browser = Browser(app, username)
        assert browser.get(NEW).status_code == 403
        assert browser.submit(NEW, income_form()).status_code == 403
        assert browser.submit(f"/staff/foundation/income/{made.id}/release", {
            "amount": "1.00", "on": today().isoformat(), "reason": "x"}).status_code == 403
        page = browser.page("/staff/foundation/income")
        assert "Record income" not in page
        assert "Release the restriction" not in browser.page(
            f"/staff/foundation/income/{made.id}")
    assert len(foundation.incomes(books.uow)) == 1
    admin = Browser(app, "admin1")
    assert admin.submit(NEW, income_form()).status_code == 302
