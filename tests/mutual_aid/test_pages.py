"""The fund's staff pages answer bad forms with the form again, never a server error."""

from __future__ import annotations

from ..auth.helpers import Web
from ..conftest import PASSWORD
from .helpers import Fund


def test_a_transfer_form_with_a_bad_date_is_shown_again(app, fund: Fund) -> None:  # type: ignore[no-untyped-def]
    member = fund.register()
    fund.deposit(member["id"], "350000.00", received_on="2025-11-03")
    browser = Web(app)
    assert browser.login("fm1", PASSWORD).status_code == 302
    before = fund.counts()
    for made_on in ("not a date", "2025-11-02"):  # malformed; before the deposit it would pay
        response = browser.post("/staff/fund/transfers", {
            "csrf_token": browser.session_csrf(), "made_on": made_on})
        assert response.status_code in (409, 422), response.status_code
        page = response.get_data(as_text=True)
        assert "245,000.00" in page or "245000.00" in page  # the amount still owed is shown
    assert fund.counts() == before
