"""Staff pages: log in and out, the dashboard."""

from __future__ import annotations

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ledger import books, staff
from ledger.core.errors import InvalidCredentials, TooManyAttempts

from ..auth import STAFF, address, current_actor, log_in, log_out, public, requires, safe_next
from ..state import uow
from .forms import EmptyForm, LoginForm

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response | tuple[str, int, dict[str, str]]:
    form = LoginForm()
    if g.user is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    if form.validate_on_submit():
        try:
            user = staff.authenticate(uow(), form.username.data or "", form.password.data or "",
                                      address())
        except TooManyAttempts as error:
            form.username.errors = [*form.username.errors, _(
                "Too many failed attempts. Try again in %(seconds)s seconds.",
                seconds=error.retry_after)]
            return (render_template("staff/login.html", form=form), 429,
                    {"Retry-After": str(error.retry_after)})
        except InvalidCredentials:
            form.password.errors = [*form.password.errors, _("Wrong username or password.")]
            return render_template("staff/login.html", form=form), 401, {}
        log_in(user)
        return redirect(safe_next(request.args.get("next")))
    return render_template("staff/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires(*STAFF)
def logout() -> Response:
    if EmptyForm().validate_on_submit():
        staff.logged_out(uow(), current_actor())
        log_out()
    return redirect(url_for("staff.login"))


@bp.route("/")
@requires(*STAFF)
def dashboard() -> str:
    balances = {code: books.trial_balance(uow(), code) for code in ("fund", "foundation")}
    return render_template("staff/dashboard.html", balances=balances)
