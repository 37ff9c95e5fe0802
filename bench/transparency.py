"""The public transparency pages on a database of about a million postings: server time per
page, warm (the figures of the current chain head are cached), revalidated (304), and cold
(the first request after a new posting, which recomputes the figures).

    python -m bench.transparency [--entries 410000] [--requests 200]

Loads `--entries` realistic entries of 2025 (about 2.5 postings each: 410,000 make a
million) into a fresh SQLite database through the real posting path, adds a repair campaign
whose households pay in October through the use cases, closes and signs off the
foundation's October, then asks the Flask app in-process (the test client: no network, so
this is the server's own time) for each public page `--requests` times and prints p50 / p95 /
max per page. The target of issue 8 is p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from moneyed import Money
from sqlalchemy import func, select

from api import create_app
from bench.statements import load
from ledger import campaign_payments, campaigns, periods
from ledger.core.campaigns import LeftoverRule, MissRule, PaymentMethod
from ledger.core.entries import JournalEntry, Posting
from ledger.core.periods import Opinion
from ledger.core.staff import Actor
from ledger.db import journal, migrate
from ledger.db.models import PostingRow
from ledger.db.session import UnitOfWork, make_engine

TARGET_MS = 50.0
HOUSEHOLDS = 317
PAGES = ("/transparency/?year=2025", "/transparency/grants?year=2025",
         "/transparency/campaigns", "/transparency/data/overview.json?year=2025",
         "/transparency/data/campaigns.csv", "/transparency/foundation/periods",
         "/transparency/foundation/periods/2025-10")


def cny(text: str) -> Money:
    return Money(text, "CNY")


def campaign_with_payments(uow: UnitOfWork) -> str:
    """The 俞范 window repair: 317 households, all but two pay in October 2025; a code."""
    actor = Actor.system("bench")
    found = campaigns.create_campaign(
        uow, actor, community="俞范东路小区", buildings="1-12幢", title="楼道窗户维修",
        repair="更换窗扇与五金", contractor="宁波镇海明窗门窗有限公司", cost=cny("67000.00"),
        subsidy=cny("60000.00"), subsidy_from="蛟川街道办事处", match=cny("0.00"),
        deadline=date(2026, 12, 31), miss_rule=MissRule.ALL_OR_NOTHING,
        leftover_rule=LeftoverRule.REFUND)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("building", "unit", "room", "contact", "phone"))
    writer.writerows((str(1 + n // 30), "1", str(101 + n % 30), f"住户{n}", f"138{n:08d}")
                     for n in range(HOUSEHOLDS))
    campaigns.import_roll(uow, actor, found.id, out.getvalue().encode())
    campaigns.open_campaign(uow, actor, found.id)
    code = ""
    for n, household in enumerate(campaigns.households(uow, found.id)[:HOUSEHOLDS - 2]):
        paid = campaign_payments.record_payment(
            uow, actor, found.id, household_id=household.id, amount=household.share,
            paid_on=date(2025, 10, 1 + n % 28), method=PaymentMethod.WECHAT,
            reference=f"WX{n:010d}")
        code = code or paid.receipt_code
    return code


def sign_october(uow: UnitOfWork) -> float:
    actor = Actor.system("bench")
    start = time.perf_counter()
    periods.start_closing(uow, actor, "foundation", "2025-10")
    periods.close_period(uow, actor, "foundation", "2025-10")
    periods.sign_off(uow, actor, "foundation", "2025-10", opinion=Opinion.UNQUALIFIED)
    return time.perf_counter() - start


def timed_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"p50 {statistics.median(ordered):6.1f} ms  p95 {p95:6.1f} ms  "
            f"max {ordered[-1]:6.1f} ms")


def post_one(uow: UnitOfWork, n: int) -> None:
    """One more entry (a donation of 1.00 dated in 2025-12): a new chain head."""
    entry = JournalEntry(entity="foundation", effective_date=date(2025, 12, 31),
                         memo=f"bench donation {n}", actor="bench",
                         postings=(Posting.debit("1002", cny("1.00")),
                                   Posting.credit("410101", cny("1.00"))))
    uow.write(lambda s: journal.append(s, [entry], recorded_at=datetime.now(UTC)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=410_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        uow = UnitOfWork(engine)
        rate = load(uow, args.entries)
        code = campaign_with_payments(uow)
        signing = sign_october(uow)
        postings = uow.read(lambda s: s.scalar(select(func.count()).select_from(PostingRow)))
        print(f"loaded {args.entries:,} entries ({postings:,} postings) at {rate:,.0f} "
              f"entries/s; October closed and signed off in {signing:.1f} s")
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "HUZHU_ENV": "testing"})
        client = app.test_client()
        pages = (*PAGES, f"/transparency/receipts?code={code}",
                 f"/transparency/receipts/{code}/proof-2025-10.json")
        worst = 0.0
        for page in pages:
            first = client.get(page)
            assert first.status_code == 200, (page, first.status_code)
            warm = [timed_ms(lambda p=page: client.get(p)) for _ in range(args.requests)]
            etag = first.headers.get("ETag")
            again = ([timed_ms(lambda p=page, e=etag: client.get(
                p, headers={"If-None-Match": e})) for _ in range(args.requests)]
                if etag else [])
            p95 = sorted(warm)[int(len(warm) * 0.95)]
            worst = max(worst, p95)
            print(f"{page:58} warm {summary(warm)}"
                  + (f" | 304 {summary(again)}" if again else ""))
        cold = []
        for n in range(10):
            post_one(uow, n)
            cold.append(timed_ms(lambda: client.get(PAGES[0])))
        print(f"{'overview, first request after a new posting':58} cold {summary(cold)}")
        print(f"worst warm p95: {worst:.1f} ms (target < {TARGET_MS:.0f} ms)")
        engine.dispose()


if __name__ == "__main__":
    main()
