"""Staff pages: log in and out, the dashboard, my password, my access tokens.

Every view declares who may use it (`@public` / `@requires`); `api.auth` enforces it."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ledger import books, staff, vouchers
from ledger.core.chart import ENTITIES
from ledger.core.errors import InvalidCredentials, LedgerError, TooManyAttempts

from ..auth import STAFF, address, current_actor, log_in, log_out, public, requires, safe_next
from ..state import uow
from .common import entity_name, explain, may, minor_units, password_problems_translated
from .forms import EmptyForm, LoginForm, PasswordForm, TokenForm

bp = Blueprint("staff", __name__, url_prefix="/staff")
Page = str | Response | tuple[str, int] | tuple[str, int, dict[str, str]]


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Page:
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
        flash(_("You have logged out."), "success")
    return redirect(url_for("staff.login"))


@bp.route("/")
@requires(*STAFF)
def dashboard() -> str:
    entities = []
    for code in ENTITIES:
        tb = books.trial_balance(uow(), code)
        entities.append({
            "code": code, "name": entity_name(code), "as_of": tb.as_of,
            "balanced": tb.balanced,
            "totals": [(currency, minor_units(debits, currency), minor_units(credits, currency))
                       for currency, (debits, credits) in tb.totals().items()],
        })
    awaiting = mine = None
    if may("staff.approve_voucher"):
        waiting = vouchers.find(uow(), "submitted", limit=1000)
        awaiting = len(waiting)
        mine = sum(1 for v in waiting if v.submitted_by == g.user.username)
    return render_template("staff/dashboard.html", entities=entities, awaiting=awaiting,
                           mine=mine)


# --- my password ------------------------------------------------------------------------------
@bp.route("/password", methods=["GET", "POST"])
@requires(*STAFF)
def password() -> Page:
    form = PasswordForm()
    if not form.validate_on_submit():
        return _form_page("staff/password.html", form)
    user = g.user
    new = form.new_password.data or ""
    problems = password_problems_translated(new, user.username)
    if problems:
        form.new_password.errors = [*form.new_password.errors, *problems]
        return _form_page("staff/password.html", form)
    try:
        staff.change_password(uow(), current_actor(), user.username, new,
                              current_password=form.current_password.data or "")
    except InvalidCredentials:
        form.current_password.errors = [*form.current_password.errors,
                                        _("Your current password is not right.")]
        return _form_page("staff/password.html", form)
    except LedgerError as error:
        form.new_password.errors = [*form.new_password.errors, explain(error)]
        return _form_page("staff/password.html", form)
    log_out()  # the session version changed: every session of this account has ended
    flash(_("Your password has been changed. Log in with the new one."), "success")
    return redirect(url_for("staff.login"))


# --- my access tokens -------------------------------------------------------------------------
@bp.route("/tokens", methods=["GET", "POST"])
@requires(*STAFF)
def tokens() -> Page | Response:
    form = TokenForm()
    created = secret = None
    if form.validate_on_submit():
        actor = current_actor()
        try:
            secret, created = staff.create_token(uow(), actor, actor.username,
                                                 form.name.data or "")
        except LedgerError as error:
            form.name.errors = [*form.name.errors, explain(error)]
        else:
            form = TokenForm(formdata=None)
    status = 422 if form.errors else 200
    page = render_template("staff/tokens.html", form=form, created=created, secret=secret,
                           tokens=staff.tokens(uow(), g.user.username),
                           revoke_form=EmptyForm())
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"  # the page may show a secret
    return response


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires(*STAFF)
def revoke_token(token_id: int) -> Response:
    if EmptyForm().validate_on_submit():
        try:
            token = staff.revoke_token(uow(), current_actor(), token_id)
        except LedgerError as error:
            flash(explain(error), "error")
        else:
            flash(_("The token \"%(name)s\" is revoked: it no longer opens the API.",
                    name=token.name), "success")
    return redirect(url_for("staff.tokens"))


def _form_page(template: str, form: EmptyForm, **context: object) -> Page:
    """A form page; 422 when a submitted form is shown again with errors."""
    page = render_template(template, form=form, **context)
    return (page, 422) if form.errors else page
