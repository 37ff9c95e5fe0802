"""`flask --app api campaigns ...`: import a household roll or a payment export from the
command line, with a progress bar. Fund managers and admins only, authenticated like the
`users` commands (`--as USER` with a password, or a personal access token in HUZHU_TOKEN).

A file with problems prints each (line, column, message) and exits non-zero having written
nothing; `--preview` checks the file and shows what would be written, writing nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click
from flask.cli import AppGroup

from ledger import campaign_payments as payments
from ledger import campaigns
from ledger.core.campaigns import BadFile, Match, PaymentMethod, RowProblem
from ledger.core.money import format_amount
from ledger.core.staff import Actor
from ledger.db.session import UnitOfWork

from .campaign_schemas import share_text
from .cli import staff_command
from .mutual_aid import MANAGERS
from .state import engine

campaigns_cli = AppGroup("campaigns", help="Repair campaigns: import rolls and payments.")

#: Files larger than this are refused before they are read (a roll or an export is far less).
MAX_FILE_BYTES = 20 * 1024 * 1024
ID = click.IntRange(1, 2**31 - 1)
FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
#: Lines recorded as payments (the others are only reported).
TAKEN = (Match.MATCHED, Match.PARTIAL, Match.OVERPAID)
PREVIEW = click.option("--preview", is_flag=True,
                       help="Check the file and show what would be written; write nothing.")


def _read(path: Path) -> bytes:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise click.ClickException(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MB; "
                                   f"split it")
    return path.read_bytes()


def _refuse(problems: Sequence[RowProblem]) -> None:
    """Print every problem of a bad file and exit non-zero (nothing was written)."""
    if not problems:
        return
    for problem in problems[:BadFile.LISTED]:
        where = f"line {problem.line}" + (f", {problem.column}" if problem.column else "")
        click.echo(f"{where}: {problem.message}", err=True)
    if len(problems) > BadFile.LISTED:
        click.echo(f"... and {len(problems) - BadFile.LISTED} more", err=True)
    raise click.ClickException(f"the file has {len(problems)} problem(s); nothing was imported")


@campaigns_cli.command("import-roll")
@click.argument("campaign_id", type=ID)
@click.argument("file", type=FILE)
@PREVIEW
@staff_command(*MANAGERS)
def import_roll(actor: Actor, campaign_id: int, file: Path, preview: bool) -> None:
    """Import the household roll (CSV or .xlsx) of a draft campaign, with exact shares."""
    data, uow = _read(file), UnitOfWork(engine())
    found = campaigns.import_roll(uow, actor, campaign_id, data, filename=file.name,
                                  commit=False)
    _refuse(found.problems)
    assert found.summary is not None  # a clean roll has households
    total = sum(found.shares[1:], found.shares[0])
    click.echo(f"{len(found.households)} households: {share_text(found.summary)} "
               f"= {format_amount(total)}")
    if preview:
        click.echo("preview: nothing was written")
        return
    campaigns.import_roll(uow, actor, campaign_id, data, filename=file.name, commit=True)
    click.echo(f"imported the roll of campaign #{campaign_id}")


def _report(found: payments.PaymentImport) -> None:
    rec = found.reconciliation
    assert rec is not None  # a clean file is reconciled
    for match in Match:
        click.echo(f"{match.value:10} {rec.counts[match]:6}")
    for line in rec.lines:
        if line.match is not Match.MATCHED:
            p = line.payment
            click.echo(f"  line {p.line}: {line.match.value} {p.reference} {p.key} "
                       f"{format_amount(p.amount)}")


@campaigns_cli.command("import-payments")
@click.argument("campaign_id", type=ID)
@click.argument("file", type=FILE)
@click.option("--method", required=True, type=click.Choice([m.value for m in PaymentMethod]),
              help="How the payments of the export were made.")
@PREVIEW
@staff_command(*MANAGERS)
def import_payments(actor: Actor, campaign_id: int, file: Path, method: str,
                    preview: bool) -> None:
    """Import a payment export (CSV or .xlsx) and reconcile it against the roll: matched,
    partial and overpaid lines are recorded; unmatched and duplicate lines are reported."""
    data, uow, how = _read(file), UnitOfWork(engine()), PaymentMethod(method)
    checked = payments.import_payments(uow, actor, campaign_id, data, method=how,
                                       filename=file.name, commit=False)
    _refuse(checked.problems)
    assert checked.reconciliation is not None
    taken = sum(checked.reconciliation.counts[m] for m in TAKEN)
    if preview or not taken:
        _report(checked)
        click.echo("preview: nothing was written" if preview else
                   "nothing new to record: nothing was written")
        return
    with click.progressbar(length=taken, label="recording payments", show_pos=True,
                           file=sys.stderr) as bar:
        done = [0]

        def progress(recorded: int) -> None:
            bar.update(recorded - done[0])
            done[0] = recorded

        found = payments.import_payments(uow, actor, campaign_id, data, method=how,
                                         filename=file.name, commit=True, progress=progress)
    _report(found)
    click.echo(f"recorded {found.recorded} payment(s) (import #{found.import_id})")
