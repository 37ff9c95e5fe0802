"""`flask --app api backup FILE` and `flask --app api restore FILE [--force]` (ledger/db/backup.py).
For the server's operator, like `db upgrade`:

- `backup` writes a verified copy of the books while the service keeps running: a SQLite
  database file, or a pg_dump custom-format archive on PostgreSQL;
- `restore` checks the backup, then replaces the books with it: only empty books unless
  `--force` (stop the service first; on SQLite the restored file is renamed into place).

It also makes every command of the app say clearly when the books cannot be written (a
read-only database, a full disk) instead of printing a traceback.
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import psycopg
from flask import Flask, has_app_context
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy.exc import DBAPIError

from ledger.core.errors import LedgerError
from ledger.db import backup as store
from ledger.db.backup import BackupReport

from .cli import operator
from .problems import DATABASE_PROBLEMS, STORAGE_DETAILS, database_file, storage_fault
from .state import engine

GUARDED = "huzhu_storage_guarded"
LABELS = {"copy": "copy", "verify": "verify", "dump": "pg_dump", "restore": "pg_restore"}


class _Bars:
    """One click progress bar per stage of a backup or restore, on stderr."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar: Any = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=LABELS.get(stage, stage),
                                         file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(max(done - self.done, 0))
        self.done = max(done, self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@contextmanager
def _bars() -> Iterator[_Bars]:
    bars = _Bars()
    try:
        yield bars
    finally:
        bars.close()


def _describe(report: BackupReport) -> str:
    return (f"{report.entries} entries (head {report.head_hash[:16]}…), "
            f"{report.audit_records} audit records, revision {report.revision}, "
            f"{report.size:,} bytes, {report.seconds:.1f} s")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@operator
def backup(file: Path) -> None:
    """Write a verified backup of the books to FILE (SQLite: a database file; PostgreSQL: a
    pg_dump custom-format archive). Safe while the service is running."""
    try:
        with _bars() as bars:
            report = store.backup(engine(), file, bars)
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    except DBAPIError as error:
        if storage_fault(error, _database_file()) is not None:
            raise  # said clearly by storage_errors
        raise click.ClickException(f"cannot read the books: {error.orig}") from None
    click.echo(f"backed up to {report.path} ({report.kind}): {_describe(report)}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace books that are not empty (their entries are lost).")
@with_appcontext
@operator
def restore(file: Path, force: bool) -> None:
    """Check the backup FILE, then replace the books with it. Stop the service first. Books
    that are not empty are replaced only with --force."""
    try:
        with _bars() as bars:
            report = store.restore(engine(), file, force=force, progress=bars)
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    except DBAPIError as error:
        if storage_fault(error, _database_file()) is not None:
            raise  # said clearly by storage_errors
        raise click.ClickException(f"cannot restore into the database: {error.orig}") from None
    click.echo(f"restored {file} ({report.kind}): {_describe(report)}")
    click.echo("ok: the journal and the audit log verify; restart the service")


def storage_errors(callback: Callable[..., Any]) -> Callable[..., Any]:
    """A command's callback that turns "read-only" and "disk full" into a clear message."""

    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except (DBAPIError, sqlite3.Error, psycopg.Error) as error:
            fault = storage_fault(error, _database_file())
            if fault is None:
                raise
            title = DATABASE_PROBLEMS[fault][1]
            raise click.ClickException(f"{title}. {STORAGE_DETAILS[fault]}") from None

    setattr(wrapper, GUARDED, True)
    return wrapper


def _database_file() -> Path | None:
    """The SQLite file of the books, outside the command's app context too."""
    if has_app_context():
        return database_file()
    info = click.get_current_context().find_object(ScriptInfo)
    if info is None:
        return None
    with info.load_app().app_context():
        return database_file()


def _guard(command: click.Command) -> None:
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _guard(sub)
    elif command.callback is not None and not getattr(command.callback, GUARDED, False):
        command.callback = storage_errors(command.callback)


def init_app(app: Flask) -> None:
    """Register `backup` and `restore`; guard every command registered before this call."""
    app.cli.add_command(backup)
    app.cli.add_command(restore)
    for command in app.cli.commands.values():
        _guard(command)
