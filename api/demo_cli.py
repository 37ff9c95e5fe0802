"""`flask --app api demo load`: demo books for a newcomer (ledger/demo.py), built through the
use cases in an empty database, with a progress bar over the steps. For the server's operator,
like `db upgrade`: it runs only on an empty database (no journal entry, no staff account), so
it cannot touch real books.

- refuses a database that is not empty (exit 1, nothing written), or with `--if-empty` exits 0
  quietly (`make run` loads the demo on the first start only);
- every demo account gets the password of `--password` (default: ledger.demo.DEMO_PASSWORD),
  printed at the end with the usernames, a few receipt codes to try at
  /transparency/receipts and the result of the chains' verification.
"""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup

from ledger import demo
from ledger.core.errors import LedgerError
from ledger.db import migrate
from ledger.db.session import UnitOfWork

from .cli import operator
from .state import engine

demo_cli = AppGroup("demo", help="Demo books for trying the service out.")


@demo_cli.command("load")
@click.option("--password", default=demo.DEMO_PASSWORD, show_default=True,
              help="The password of every demo staff account.")
@click.option("--if-empty", is_flag=True,
              help="Load only into an empty database; otherwise exit 0 and say nothing.")
@operator
def load(password: str, if_empty: bool) -> None:
    """Build the demo books (2026: the mutual-aid fund, the foundation's grants, the 俞范
    window-repair campaign, signed periods) in an empty database."""
    if migrate.current_revision(engine()) is None:
        raise click.ClickException("the database is not migrated: run "
                                   "`flask --app api db upgrade` first")
    uow = UnitOfWork(engine())
    if not demo.is_empty(uow):
        if if_empty:
            return
        raise click.ClickException("the database already has journal entries or staff "
                                   "accounts; the demo is loaded only into an empty one "
                                   "(nothing was written)")
    started = time.perf_counter()
    try:
        books = demo.DemoBooks(uow, password)
        steps = books.steps()
        with click.progressbar(steps, label="demo books", file=sys.stderr,
                               item_show_func=lambda s: s.title if s else None) as bar:
            for step in bar:
                step.run()
        summary = books.summary()
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    _print(summary, time.perf_counter() - started)
    if not summary.chain_ok:
        sys.exit(1)


def _print(summary: demo.Summary, seconds: float) -> None:
    echo = click.echo
    echo(f"demo books loaded in {seconds:.1f} s: {summary.entries} journal entries, "
         f"{summary.audit_records} audit records")
    echo(f"  fund:       {summary.members} member enterprises, {summary.deposits} deposits "
         f"({summary.deposited.amount:,.2f} CNY), {summary.services} bridging services")
    echo(f"  foundation: {summary.incomes} incomes, {summary.applications} grant applications, "
         f"{summary.grants} grants")
    echo(f"  campaign:   {summary.households} households, {summary.paid} paid, "
         f"{summary.unreachable} unreachable, {summary.campaign_status}")
    for line in summary.signed:
        echo(f"  signed:     {line}")
    echo("receipt codes to check at /transparency/receipts:")
    for code in summary.receipt_codes:
        echo(f"  {code}")
    echo(f"staff accounts (log in at /staff/login): {', '.join(summary.usernames)}")
    echo(f"  password: {summary.password}")
    echo("  (demo accounts: never use these books or this password in production)")
    echo(("ok: " if summary.chain_ok else "FAILED: ") + f"journal {summary.chain_detail}; "
         f"audit log {'verifies' if summary.audit_ok else 'does NOT verify'}")
