"""The staff web interface: server-rendered pages in the layout of `templates/base.html`.

No JavaScript and no inline style: the Content-Security-Policy allows neither."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Flask, request, url_for
from werkzeug.routing import BuildError

from . import (  # noqa: F401 - importing them adds their routes to the blueprints
    accounts,
    audit,
    campaigns,
    foundation_reviews,
    foundation_rounds,
    fund,
    grants,
    pages,
    periods,
    transparency,
    transparency_overview,
    vouchers,
)
from .common import account_label, entity_name, local_time, may, role_label, role_labels


def amount_text(value: str | None) -> str:
    """'105000.00' -> '105,000.00' (the places as given); empty for None."""
    if not value:
        return ""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    places = max(-number.as_tuple().exponent, 0)  # type: ignore[operator]
    return f"{number:,.{places}f}"


#: Pages that only answer POST, and the page to show instead after switching the language.
SHOWN_AT = {"staff.approve_voucher": "staff.voucher", "staff.reject_voucher": "staff.voucher",
            "staff.disable_user": "staff.user", "staff.revoke_token": "staff.tokens",
            "staff.logout": "staff.login"}


def here() -> str:
    """Where the language switch returns to: this page, or its GET twin after a POST."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    endpoint = SHOWN_AT.get(request.endpoint or "", request.endpoint)
    if endpoint is None:
        return request.path
    args = {k: v for k, v in (request.view_args or {}).items() if k != "token_id"}
    try:
        return url_for(endpoint, **args)
    except BuildError:
        return request.path


def init_app(app: Flask) -> None:
    app.register_blueprint(pages.bp)
    app.register_blueprint(fund.bp)  # the mutual-aid fund's pages, under /staff/fund
    app.register_blueprint(grants.bp)  # the foundation's pages, under /staff/foundation
    app.register_blueprint(campaigns.bp)  # repair campaigns, under /staff/campaigns
    app.register_blueprint(periods.bp)  # accounting periods and statements, under /staff/periods
    app.register_blueprint(transparency.bp)  # the public pages, under /transparency (no login)
    app.register_blueprint(transparency_overview.bp)  # overview, grants, campaigns, open data
    app.jinja_env.filters.update(local_time=local_time, amount=amount_text,
                                 role_label=role_label, role_labels=role_labels,
                                 entity_name=entity_name)

    @app.context_processor
    def helpers() -> dict[str, object]:
        return {"may": may, "account_label": account_label, "here": here}
