"""`flask --app api ledger import FILE`: many entries in one atomic, idempotent import
(ledger/bulk.py, ledger/core/bulk.py). For the server's operator, like `ledger verify` and
`ledger export`: the entries are posted as the system actor "operator".

    flask --app api ledger import entries.jsonl
    flask --app api ledger import postings.csv --key 2026-11-migration

FILE is JSON Lines (one entry per line) or the CSV of `ledger export --format csv` (chosen by
its extension, or `--format`). Every entry is checked before anything is written: on any
problem the command lists every bad line and exits 1, having written nothing. Otherwise all
entries are posted in one transaction (progress bar on stderr), and it prints the first and
last entry numbers. The key (default: the SHA-256 of the file) makes it idempotent: a second
run with the same key writes nothing and says the file was already imported.
"""

from __future__ import annotations

import hashlib
import io
import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from ledger import bulk
from ledger.core.bulk import InvalidBatch, read
from ledger.core.errors import LedgerError
from ledger.core.staff import Actor
from ledger.db.session import UnitOfWork

from .cli import ledger_cli, operator
from .state import engine

OPERATOR = "operator"


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", help="Makes the import idempotent (default: the file's SHA-256).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]),
              help="JSON Lines, or the CSV of `ledger export` (default: by FILE's extension).")
@with_appcontext
@operator
def import_(file: Path, key: str | None, fmt: str | None) -> None:
    """Post every entry of FILE in one transaction, or none: checked first, numbered and
    hash-chained like any entry; idempotent by --key."""
    started = time.perf_counter()
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    fmt = fmt or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
    try:
        lines = (data.split(b"\n") if fmt == "jsonl"
                 else io.StringIO(data.decode("utf-8-sig"), newline=""))
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text; nothing was written") from None
    parsed = read(lines, actor=OPERATOR, fmt=fmt, check=False)
    try:
        if parsed.problems:  # report every line at once: the rules of the ones that parsed too
            found = parsed.problems + bulk.problems_of(parsed.entries, parsed.lines)
            raise InvalidBatch(sorted(found, key=lambda p: p.number))
        with click.progressbar(length=len(parsed.entries), label="import",
                               file=sys.stderr) as bar:
            done = bulk.import_entries(
                UnitOfWork(engine()), Actor.system(OPERATOR), parsed.entries,
                key=key or digest, digest=digest, numbers=parsed.lines, progress=bar.update)
    except InvalidBatch as error:
        click.echo(f"{file}: {len(error.problems)} problems; nothing was written", err=True)
        for problem in error.problems:
            click.echo(f"  line {problem.number}: {problem.message}", err=True)
        sys.exit(1)
    except LedgerError as error:
        raise click.ClickException(f"{error.message}; nothing was written") from None
    if done.replayed:
        click.echo(f"already imported (key {done.key}): entries #{done.first} to #{done.last} "
                   f"({done.count} entries); nothing was written")
        return
    seconds = time.perf_counter() - started
    click.echo(f"imported {done.count} entries: #{done.first} to #{done.last} "
               f"(key {done.key}) in {seconds:.1f} s, {done.count / seconds:,.0f} entries/s")


def init_app(app: Flask) -> None:
    ledger_cli.add_command(import_)
