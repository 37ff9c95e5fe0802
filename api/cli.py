"""Command-line tools. Each command declares who may run it, like every view:

- `db upgrade`, `db current`, `ledger verify`: the operator of the server (whoever can reach
  its database can read and check it anyway);
- `users create|set-role|disable|list`: an admin, who authenticates with `--as USER` (password
  asked, or HUZHU_PASSWORD) or a personal access token in HUZHU_TOKEN. On a database with no
  active admin, `users create --role admin` may run once without, to create the first one;
- `campaigns import-roll|import-payments` (api/campaigns_cli.py): a fund manager or an admin,
  authenticated the same way.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from ledger import staff
from ledger.core.errors import LedgerError
from ledger.core.staff import Actor, Role
from ledger.db import migrate
from ledger.db.chain import last_seq, verify, verify_audit
from ledger.db.session import UnitOfWork

from .auth import ATTRIBUTE
from .state import engine

db_cli = AppGroup("db", help="Create or migrate the database.")
ledger_cli = AppGroup("ledger", help="Check the books.")
users_cli = AppGroup("users", help="Manage staff accounts (admins).")

OPERATOR = ("operator",)  # the person running the server, with access to its database


def operator(command: Callable[..., Any]) -> Callable[..., Any]:
    setattr(command, ATTRIBUTE, OPERATOR)
    return command


def admin_command(*, bootstrap: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Run the command as an authenticated admin (its first argument is the admin's Actor)."""
    return staff_command(Role.ADMIN, bootstrap=bootstrap)


def staff_command(*roles: Role, bootstrap: bool = False
                  ) -> Callable[[Callable[..., Any]], Any]:
    """Run the command as an authenticated staff member holding one of `roles` (the first of
    them held is the role used); its first argument is that person's Actor."""
    if not roles:
        raise ValueError("name at least one role")
    who = " or ".join(r.value for r in roles)

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @click.option("--as", "as_user", envvar="HUZHU_USER", metavar="USER",
                      help=f"Your {who} username (or set HUZHU_TOKEN to an access token).")
        @functools.wraps(command)
        def wrapper(as_user: str | None, **kwargs: Any) -> Any:
            uow = UnitOfWork(engine())
            try:
                actor = _authenticate(uow, as_user, roles,
                                      bootstrap and _bootstrapping(uow, kwargs))
                return command(actor, **kwargs)
            except LedgerError as error:
                raise click.ClickException(error.message) from None

        setattr(wrapper, ATTRIBUTE, tuple(roles))
        return wrapper

    return decorate


def _bootstrapping(uow: UnitOfWork, kwargs: dict[str, Any]) -> bool:
    return "admin" in kwargs.get("roles", ()) and not staff.has_active_admin(uow)


def _authenticate(uow: UnitOfWork, as_user: str | None, roles: tuple[Role, ...],
                  bootstrap: bool) -> Actor:
    if bootstrap:
        return Actor(user_id=None, username="bootstrap", address="cli")
    token = os.environ.get("HUZHU_TOKEN")
    if token:
        user = staff.user_for_token(uow, token)
        if user is None:
            raise click.ClickException("HUZHU_TOKEN is unknown, revoked or its account disabled")
    elif as_user:
        password = os.environ.get("HUZHU_PASSWORD") or click.prompt(
            f"password for {as_user}", hide_input=True)
        user = staff.authenticate(uow, as_user, password, "cli")
    else:
        raise click.ClickException("say who you are: --as USER, or HUZHU_TOKEN")
    role = next((r for r in roles if r in user.roles), None)
    if role is None:
        raise click.ClickException(f"{user.username} is not an admin" if roles == (Role.ADMIN,)
                                   else f"{user.username} has none of the roles "
                                        f"{', '.join(r.value for r in roles)}")
    return user.actor(role, "cli")


# --- database ---------------------------------------------------------------------------------
@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@operator
def db_upgrade(revision: str) -> None:
    """Create or migrate the database (Alembic), then load the charts of accounts."""
    migrate.upgrade(engine(), revision)
    click.echo(f"database at revision {migrate.current_revision(engine())}: "
               f"{engine().url.render_as_string(hide_password=True)}")
    if not staff.has_active_admin(UnitOfWork(engine())):
        click.echo("no admin account yet; create the first one with:\n"
                   "  .venv/bin/flask --app api users create USERNAME --role admin")


@db_cli.command("current")
@operator
def db_current() -> None:
    """Show the database's migration revision."""
    click.echo(migrate.current_revision(engine()) or "empty (run `flask --app api db upgrade`)")


# --- verification -----------------------------------------------------------------------------
@ledger_cli.command("verify")
@operator
def ledger_verify() -> None:
    """Recompute the journal's and the audit log's hash chains; exit 1 naming the first bad
    record on any mismatch, gap or reordering."""
    uow = UnitOfWork(engine())
    last = uow.read(last_seq)
    with click.progressbar(length=last, label="journal", file=sys.stderr) as bar:
        done = [0]

        def progress(seq: int) -> None:
            bar.update(seq - done[0])
            done[0] = seq

        journal = uow.read(lambda s: verify(s, progress))
    audit = uow.read(verify_audit)
    chains = (("entry", "entries", journal), ("audit record", "audit records", audit))
    failed = [(one, many, r) for one, many, r in chains if not r.ok]
    for one, many, report in failed:
        click.echo(f"FAILED at {one} #{report.first_bad}: {report.reason} "
                   f"({report.checked} {many} before it verified)", err=True)
    if failed:
        sys.exit(1)
    click.echo(f"ok: {journal.checked} entries verified; head #{journal.head_seq} "
               f"{journal.head_hash}")
    click.echo(f"ok: {audit.checked} audit records verified; head #{audit.head_seq} "
               f"{audit.head_hash}")


# --- staff accounts ---------------------------------------------------------------------------
@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name, e.g. 王会计.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(sorted(r.value for r in Role)))
@click.option("--password", envvar="HUZHU_NEW_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True, help="Asked for when not given (or HUZHU_NEW_PASSWORD).")
@admin_command(bootstrap=True)
def users_create(actor: Actor, username: str, display_name: str, roles: tuple[str, ...],
                 password: str) -> None:
    """Create a staff account with one or more roles."""
    user = staff.create_user(UnitOfWork(engine()), actor, username=username,
                             display_name=display_name, password=password, roles=list(roles))
    click.echo(f"created {user.username} with roles {', '.join(sorted(user.roles))}")


@users_cli.command("set-role")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(sorted(r.value for r in Role)))
@admin_command()
def users_set_role(actor: Actor, username: str, roles: tuple[str, ...]) -> None:
    """Replace an account's roles."""
    user = staff.set_roles(UnitOfWork(engine()), actor, username, list(roles))
    click.echo(f"{user.username} now has roles {', '.join(sorted(user.roles))}")


@users_cli.command("disable")
@click.argument("username")
@admin_command()
def users_disable(actor: Actor, username: str) -> None:
    """Disable an account: its sessions end and its tokens are revoked."""
    user = staff.disable_user(UnitOfWork(engine()), actor, username)
    click.echo(f"{user.username} is disabled")


@users_cli.command("list")
@admin_command()
def users_list(actor: Actor) -> None:
    """List the staff accounts."""
    for user in staff.users(UnitOfWork(engine())):
        state = "disabled" if user.disabled else "active"
        click.echo(f"{user.username:20} {state:9} {', '.join(sorted(user.roles))}")


COMMAND_GROUPS = (db_cli, ledger_cli, users_cli)


def init_app(app: Flask) -> None:
    for group in COMMAND_GROUPS:
        app.cli.add_command(group)
    # flask-smorest's `openapi print|write|list-config-prefixes` only reads the app's routes.
    library = app.cli.commands.get("openapi")
    for command in getattr(library, "commands", {}).values():
        operator(command.callback)
