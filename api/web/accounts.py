"""Staff accounts (administrators): list, create, set roles, disable."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ledger import staff
from ledger.core.errors import LedgerError, UserNotFound
from ledger.core.staff import Role

from ..auth import current_actor, log_in, requires
from ..problems import status_for  # the API's status for each refusal
from ..state import uow
from .common import explain, password_problems_translated
from .forms import DisableForm, RolesForm, UserForm
from .pages import Page, bp

FIELDS = ("username", "display_name", "password", "roles")


@bp.route("/users", methods=["GET", "POST"])
@requires(Role.ADMIN)
def users() -> Page:
    form = UserForm()
    if request.method == "POST" and _create(form):
        flash(_("The account %(username)s has been created.",
                username=(form.username.data or "").strip().lower()), "success")
        return redirect(url_for("staff.users"))
    page = render_template("staff/users.html", form=form, users=staff.users(uow()))
    return (page, 422) if form.errors else page


def _create(form: UserForm) -> bool:
    if not form.validate_on_submit():
        return False
    username = (form.username.data or "").strip().lower()
    problems = password_problems_translated(form.password.data or "", username)
    if problems:
        form.password.errors = [*form.password.errors, *problems]
        return False
    try:
        staff.create_user(uow(), current_actor(), username=username,
                          display_name=form.display_name.data or "",
                          password=form.password.data or "", roles=form.roles.data or [])
    except LedgerError as error:
        _attach(form, error)
        return False
    return True


def _attach(form: UserForm | RolesForm, error: LedgerError) -> None:
    """Show a refusal next to the field it concerns (or above the form)."""
    field = getattr(form, error.field, None) if error.field in FIELDS else None
    if field is None:
        form.form_errors.append(explain(error))
    else:
        field.errors = [*field.errors, explain(error)]


@bp.route("/users/<username>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def user(username: str) -> Page | Response:
    try:
        account = staff.user(uow(), username)
    except UserNotFound:
        abort(404)
    form = RolesForm(data={"roles": sorted(account.roles)} if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        roles = form.roles.data or []
        myself = account.id == g.user.id
        if myself and Role.ADMIN in account.roles and Role.ADMIN.value not in roles:
            form.roles.errors = [*form.roles.errors, _(
                "You cannot take the administrator role from yourself; ask another "
                "administrator.")]
        else:
            try:
                updated = staff.set_roles(uow(), current_actor(), account.username, roles)
            except LedgerError as error:
                _attach(form, error)
                status = status_for(error)
            else:
                if myself:  # the change ended my sessions: keep this one, with the new roles
                    log_in(updated)
                flash(_("The roles of %(username)s are saved. Their open sessions have ended.",
                        username=updated.username), "success")
                return redirect(url_for("staff.user", username=updated.username))
    if form.errors and status == 200:
        status = 422
    page = render_template("staff/user.html", account=account, form=form,
                           disable_form=DisableForm(formdata=None))
    return page, status


@bp.route("/users/<username>/disable", methods=["POST"])
@requires(Role.ADMIN)
def disable_user(username: str) -> Page | Response:
    try:
        account = staff.user(uow(), username)
    except UserNotFound:
        abort(404)
    form = DisableForm()
    if account.id == g.user.id:
        form.form_errors.append(_("You cannot disable your own account."))
    elif form.validate_on_submit():
        try:
            staff.disable_user(uow(), current_actor(), account.username)
        except LedgerError as error:
            form.form_errors.append(explain(error))
        else:
            flash(_("The account %(username)s is disabled; its access tokens are revoked.",
                    username=account.username), "success")
            return redirect(url_for("staff.user", username=account.username))
    page = render_template("staff/user.html", account=account, disable_form=form,
                           form=RolesForm(data={"roles": sorted(account.roles)}, formdata=None))
    return page, 400 if account.id == g.user.id else 422  # 400: as the API answers Forbidden
