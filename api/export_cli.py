"""`flask --app api ledger export`: the books in Ledger, hledger or Beancount syntax, or a CSV
of postings (ledger/exports.py, ledger/core/exports.py). For the server's operator, like
`ledger verify`: whoever can reach the database can read the books anyway.

    flask --app api ledger export --format beancount -o books.beancount
    flask --app api ledger export --format ledger --entity fund --to 2026-10-31 > fund.ledger

Without `-o` the text goes to stdout; with it, to FILE (written beside it, then renamed into
place, so a failed export never leaves half a file; readable by its owner only, as the books
name donors and households), with a progress bar on stderr and a line saying what was
written.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from ledger import exports
from ledger.core.chart import ENTITIES
from ledger.core.errors import LedgerError
from ledger.core.exports import Format, Names
from ledger.db.session import UnitOfWork

from .cli import ledger_cli, operator
from .state import engine


@click.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice([f.value for f in Format]),
              help="Ledger 3, hledger, Beancount 3, or a CSV of postings.")
@click.option("--entity", type=click.Choice(sorted(ENTITIES)),
              help="One entity's books (account names then carry no entity); default both.")
@click.option("--to", "to", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
              help="Entries dated up to and including DATE (YYYY-MM-DD); default all.")
@click.option("--names", type=click.Choice([n.value for n in Names]), default=Names.ZH.value,
              show_default=True,
              help="Account names with the Chinese (zh) or the English, ASCII (en) title.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="Write to FILE instead of stdout.")
@with_appcontext
@operator
def export(fmt: str, entity: str | None, to: datetime | None, names: str,
           output: Path | None) -> None:
    """Export the books for Ledger, hledger, Beancount or a spreadsheet: every entry in
    entry order, every posting with an explicit CNY amount, the memo, entry number and hash
    kept; the tools' balances equal our trial balance as of --to, to the fen."""
    day: date | None = to.date() if to is not None else None
    uow = UnitOfWork(engine())
    started = time.perf_counter()
    try:
        plan = exports.prepare(uow, fmt, entity=entity, to=day, names=names)
        if output is None:
            stream = sys.stdout.buffer  # UTF-8, whatever the locale
            for chunk in exports.chunks(uow, plan):
                stream.write(chunk.encode("utf-8"))
            stream.flush()
            return
        with click.progressbar(length=plan.postings, label=f"{fmt} export",
                               file=sys.stderr) as bar:
            _write(output, exports.chunks(uow, plan, progress=bar.update))
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    except OSError as error:
        raise click.ClickException(f"cannot write {output or 'stdout'}: {error.strerror}") from None
    click.echo(f"wrote {plan.entries} entries, {plan.postings} postings "
               f"({', '.join(plan.entities)}, {'up to ' + str(day) if day else 'all dates'}) "
               f"to {output} in {time.perf_counter() - started:.1f} s", err=True)


def _write(output: Path, chunks: Iterator[str]) -> None:
    """Write beside the target, then rename over it: all of the export or nothing."""
    folder = output.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            for chunk in chunks:
                file.write(chunk)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def init_app(app: Flask) -> None:
    ledger_cli.add_command(export)
