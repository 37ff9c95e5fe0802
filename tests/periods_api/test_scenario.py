"""A month of the fund's books closed, refused postings, the auditor's verification and
sign-off, a reopening that voids it, and a second close and sign-off: through the JSON API,
on SQLite and PostgreSQL."""

from __future__ import annotations

from .helpers import MONTH, PREVIOUS, Books, audit_actions, path


def test_close_sign_off_reopen_and_sign_again(books: Books) -> None:
    b = books
    b.seed()
    assert b.listed("fund") == []
    opened = b.state()
    assert opened["status"] == "open"
    assert (opened["period"], opened["kind"]) == (MONTH, "month")
    assert (opened["starts_on"], opened["ends_on"]) == ("2026-10-01", "2026-10-31")
    assert opened["close"] is None
    assert opened["signoff"] is None
    assert opened["audited"] is False
    assert opened["links"]["pdf_zh"] == path(tail="statements.pdf") + "?lang=zh"

    # Closing: business records may no longer be dated inside the month; adjustments may.
    closing = b.start_closing()
    assert closing.headers["Location"].endswith(path())
    assert b.ok(closing)["status"] == "closing"
    refused = b.problem(b.deposit("2026-10-20"), 409, "/problems/closed-period")
    assert "closing" in refused["detail"]
    assert "effective_date" in refused["errors"]
    b.ok(b.deposit("2026-11-02"), 201)  # the next month is open
    b.ok(b.entry("2026-10-30", amount="7.00"), 201)  # an admin's adjusting entry

    closed = b.ok(b.close())
    assert closed["status"] == "closed"
    head = closed["close"]
    assert head["closed_by"] == "fm1"
    assert head["head_seq"] > 0
    assert len(head["head_hash"]) == 64
    assert closed["signoff"] is None
    assert [p["period"] for p in b.listed("fund")] == [MONTH]
    assert b.listed("foundation") == []

    # Closed: nothing may be dated inside it, neither an entry nor an approved voucher.
    b.problem(b.entry("2026-10-15"), 409, "/problems/closed-period")
    b.problem(b.deposit("2026-10-21", reference="YY-0002"), 409, "/problems/closed-period")
    voucher = b.ok(b.voucher("2026-10-31"), 201)
    b.problem(b.post(f"/api/vouchers/{voucher['id']}/approve", actor="fm2"), 409,
              "/problems/closed-period")
    assert b.ok(b.get(f"/api/vouchers/{voucher['id']}"))["status"] == "submitted"
    b.ok(b.entry("2026-11-01"), 201)  # the month after is open
    b.ok(b.entry("2026-10-15", "foundation"), 201)  # the other entity's month is open

    verified = b.ok(b.verification())
    assert verified["ok"] is True
    assert all(verified[k] for k in ("chain", "head", "balances", "statements"))
    assert verified["checks"]
    assert all(verified["checks"].values())

    signed = b.ok(b.sign_off(opinion="qualified", notes="一笔手续费未入账。"))
    assert signed["audited"] is True
    assert signed["signoff"]["opinion"] == "qualified"
    assert signed["signoff"]["notes"] == "一笔手续费未入账。"
    assert signed["signoff"]["signed_by"] == "aud1"
    assert signed["signoff"]["verification"]["ok"] is True
    assert b.state() == signed
    assert b.listed()[0]["signoff"]["opinion"] == "qualified"

    # Reopened by an admin with a reason: the sign-off is void, postings go in again.
    reopened = b.ok(b.reopen(reason="补记 10 月银行手续费"))
    assert reopened["status"] == "open"
    assert reopened["signoff"] is None
    assert reopened["audited"] is False
    assert reopened["reopened"] == 1
    assert reopened["close"]["head_seq"] == head["head_seq"]  # the latest close is kept
    assert b.state()["signoff"] is None
    b.ok(b.post(f"/api/vouchers/{voucher['id']}/approve", actor="fm2"))
    b.problem(b.verification(), 409, "/problems/period-state")

    # Closed and signed off anew.
    again = b.closed()
    assert again["close"]["head_seq"] > head["head_seq"]
    assert again["signoff"] is None
    assert b.ok(b.sign_off())["signoff"]["opinion"] == "unqualified"
    assert b.state()["reopened"] == 1
    assert b.state("fund", PREVIOUS)["status"] == "open"

    assert audit_actions(b.engine) == [
        ("period.closing", "fm1", "fund/2026-10"), ("period.closed", "fm1", "fund/2026-10"),
        ("period.signed_off", "aud1", "fund/2026-10"),
        ("period.reopened", "admin1", "fund/2026-10"),
        ("period.closing", "fm1", "fund/2026-10"), ("period.closed", "fm1", "fund/2026-10"),
        ("period.signed_off", "aud1", "fund/2026-10")]


def test_a_year_of_the_foundation_and_the_admin_as_manager(books: Books) -> None:
    b = books
    b.seed()
    assert b.ok(b.start_closing("foundation", "2026", actor="admin1"))["status"] == "closing"
    closed = b.ok(b.close("foundation", "2026", actor="admin1"))
    assert (closed["kind"], closed["starts_on"], closed["ends_on"]) == (
        "year", "2026-01-01", "2026-12-31")
    assert closed["close"]["closed_by"] == "admin1"
    b.problem(b.entry("2026-03-01", "foundation"), 409, "/problems/closed-period")
    b.ok(b.entry("2026-03-01", "fund"), 201)
    assert b.ok(b.sign_off("foundation", "2026"))["audited"] is True
    assert [p["period"] for p in b.listed("foundation")] == ["2026"]
