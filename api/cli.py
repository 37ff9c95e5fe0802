"""Command-line tools: `flask --app api db upgrade`, `flask --app api ledger verify`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from ledger.db import migrate
from ledger.db.chain import verify
from ledger.db.models import EntryRow
from ledger.db.session import UnitOfWork

from .state import engine

db_cli = AppGroup("db", help="Create or migrate the database.")
ledger_cli = AppGroup("ledger", help="Check the books.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the database (Alembic), then load the charts of accounts."""
    migrate.upgrade(engine(), revision)
    click.echo(f"database at revision {migrate.current_revision(engine())}: {_where()}")


@db_cli.command("current")
def db_current() -> None:
    """Show the database's migration revision."""
    click.echo(migrate.current_revision(engine()) or "empty (run `flask --app api db upgrade`)")


@ledger_cli.command("verify")
def ledger_verify() -> None:
    """Recompute the hash chain; exit 1 and name the first bad entry on any mismatch."""
    uow = UnitOfWork(engine())
    last = uow.read(lambda s: s.scalar(select(func.max(EntryRow.seq)))) or 0
    with click.progressbar(length=last, label="verifying", file=sys.stderr,
                           show_pos=True) as bar:
        done = [0]

        def progress(seq: int) -> None:
            bar.update(seq - done[0])
            done[0] = seq

        report = uow.read(lambda s: verify(s, progress))
    if report.ok:
        click.echo(f"ok: {report.checked} entries verified; head #{report.head_seq} "
                   f"{report.head_hash}")
        return
    click.echo(f"FAILED at entry #{report.first_bad}: {report.reason} "
               f"({report.checked} entries before it verified)", err=True)
    sys.exit(1)


def _where() -> str:
    return engine().url.render_as_string(hide_password=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(ledger_cli)
