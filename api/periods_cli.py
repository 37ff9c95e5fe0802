"""`flask --app api periods ...` and `flask --app api reports statement`: close, reopen and sign
off accounting periods, and write the statements PDF, from the command line. Authenticated like
the `users` commands (`--as USER` with a password, or a personal access token in HUZHU_TOKEN):

- `periods list`, `reports statement`: any staff role;
- `periods close` (starts closing an open period, then closes it): fund managers and admins;
- `periods reopen --reason`: admins;
- `periods verify`, `periods sign-off --opinion --notes`: auditors.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ledger import periods
from ledger.core.chart import ENTITIES
from ledger.core.periods import Opinion, PeriodStatus
from ledger.core.staff import Actor
from ledger.db.session import UnitOfWork
from reports.statements import statement_pdf

from .auth import STAFF
from .cli import staff_command
from .mutual_aid import MANAGERS
from .periods_api import ADMINS, AUDITORS
from .state import engine

periods_cli = AppGroup("periods", help="Accounting periods: close, reopen, audit sign-off.")
reports_cli = AppGroup("reports", help="Write reports (the statements PDF).")

ENTITY = click.option("--entity", required=True, type=click.Choice(sorted(ENTITIES)),
                      help="The reporting entity.")
PERIOD = click.option("--period", "label", required=True, metavar="PERIOD",
                      help="A year (2026) or a month (2026-10).")


def _uow() -> UnitOfWork:
    return UnitOfWork(engine())


def describe(state: periods.PeriodState) -> str:
    """One line: 'fund 2026-10  closed  head #12 ab34...  signed off: unqualified by aud1'."""
    parts = [f"{state.entity} {state.period.label:8}", f"{state.status.value:8}"]
    if state.close is not None:
        parts.append(f"head #{state.close.head_seq} {state.close.head_hash[:16]}")
    if state.signoff is not None:
        parts.append(f"signed off: {state.signoff.opinion.value} by {state.signoff.signed_by}")
    else:
        parts.append("unaudited draft")
    if state.reopened:
        parts.append(f"reopened {state.reopened}x")
    return "  ".join(parts)


@periods_cli.command("list")
@ENTITY
@staff_command(*STAFF)
def list_periods(actor: Actor, entity: str) -> None:
    """List the entity's periods ever closing or closed, latest first (the others are open)."""
    found = periods.periods(_uow(), entity)
    if not found:
        click.echo(f"no period of {entity} was ever closed: every period is open")
    for state in found:
        click.echo(describe(state))


@periods_cli.command("close")
@ENTITY
@PERIOD
@staff_command(*MANAGERS)
def close(actor: Actor, entity: str, label: str) -> None:
    """Close a period: start closing it if it is open, then close it (the chain head and the
    balances are recorded; nothing more may be dated inside it)."""
    uow = _uow()
    state = periods.period_state(uow, entity, label)
    if state.status is PeriodStatus.OPEN:
        periods.start_closing(uow, actor, entity, label)
        click.echo(f"{entity} {state.period.label}: closing")
    closed = periods.close_period(uow, actor, entity, label)
    click.echo(describe(closed))


@periods_cli.command("reopen")
@ENTITY
@PERIOD
@click.option("--reason", required=True, help="Why the closed period is reopened.")
@staff_command(*ADMINS)
def reopen(actor: Actor, entity: str, label: str, reason: str) -> None:
    """Reopen a closed period (or one still closing) with a reason (admins): its sign-off no
    longer holds."""
    before = periods.period_state(_uow(), entity, label)
    state = periods.reopen_period(_uow(), actor, entity, label, reason=reason)
    click.echo(describe(state))
    if before.signoff is not None:
        click.echo("the audit sign-off is void: close and sign off the period again")


@periods_cli.command("verify")
@ENTITY
@PERIOD
@staff_command(*AUDITORS)
def verify(actor: Actor, entity: str, label: str) -> None:
    """Run the auditor's verification of a closed period, signing nothing; exit 1 if the
    books do not verify."""
    found = periods.verify_period(_uow(), entity, label)
    for name, ok in (("chain", found.chain_ok), ("head", found.head_ok),
                     ("balances", found.balances_ok), ("statements", found.statements_ok)):
        click.echo(f"{'ok    ' if ok else 'FAILED'} {name}")
    click.echo(found.chain_detail)
    for check, ok in found.checks.items():
        click.echo(f"{'ok    ' if ok else 'FAILED'}   {check}")
    if not found.ok:
        raise click.exceptions.Exit(1)


@periods_cli.command("sign-off")
@ENTITY
@PERIOD
@click.option("--opinion", required=True, type=click.Choice([o.value for o in Opinion]),
              help="The audit opinion.")
@click.option("--notes", default="", help="The auditor's notes, printed with the opinion.")
@staff_command(*AUDITORS)
def sign_off(actor: Actor, entity: str, label: str, opinion: str, notes: str) -> None:
    """Sign off a closed period (auditors): the verification runs first."""
    state = periods.sign_off(_uow(), actor, entity, label, opinion=Opinion(opinion),
                             notes=notes)
    click.echo(describe(state))


@reports_cli.command("statement")
@ENTITY
@PERIOD
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--appendix/--no-appendix", default=True, show_default=True,
              help="Add the general-ledger detail of the period.")
@click.option("-o", "--output", required=True,
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The PDF file to write.")
@click.option("--public-url", envvar="HUZHU_PUBLIC_URL", default=None, metavar="URL",
              help="The transparency site's base address, printed with a QR code on a "
                   "signed period's statements (default: the app's HUZHU_PUBLIC_URL).")
@staff_command(*STAFF)
def statement(actor: Actor, entity: str, label: str, lang: str, appendix: bool,
              output: Path, public_url: str | None) -> None:
    """Write the statements PDF of a period and print its SHA-256. A signed-off period's is
    the stored one, byte for byte (stored at its first request, with the public address of
    that request); any other is an unaudited draft."""
    uow = _uow()
    state = periods.period_state(uow, entity, label)
    address = public_url or str(current_app.config.get("HUZHU_PUBLIC_URL") or "")
    content = statement_pdf(uow, entity, state.period.label, lang, appendix=appendix,
                            public_url=address.rstrip("/"))
    try:
        output.write_bytes(content)
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from None
    kind = (f"signed off ({state.signoff.opinion.value})" if state.signoff is not None
            else "unaudited draft")
    click.echo(f"wrote {output} ({len(content)} bytes): {entity} {state.period.label}, "
               f"{lang}, {kind}")
    click.echo(f"SHA-256 {hashlib.sha256(content).hexdigest()}")


def init_app(app: Flask) -> None:
    app.cli.add_command(periods_cli)
    app.cli.add_command(reports_cli)
