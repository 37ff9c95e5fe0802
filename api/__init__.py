"""Huzhu's Flask service: `create_app()` is the app factory (`flask --app api ...`)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import UnsupportedMediaType

from . import (
    auth,
    backup_cli,
    books,
    bridging,
    campaigns_api,
    campaigns_cli,
    cli,
    demo_cli,
    export_cli,
    foundation_api,
    grants_api,
    i18n,
    import_cli,
    mutual_aid,
    periods_api,
    periods_cli,
    problems,
    routing,
    staff_api,
    state,
    web,
)
from .auth import public
from .security import init_app as init_security

__all__ = ["create_app"]

csrf = CSRFProtect()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("HUZHU_DATABASE_URL")
        or f"sqlite:///{Path(app.instance_path) / 'huzhu.sqlite3'}",
        HUZHU_ENV=os.environ.get("HUZHU_ENV", "production"),
        API_TITLE="Huzhu 互助 API",
        API_VERSION="0.2.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=grants_api.MAX_UPLOAD_BODY,  # an attachment and its form: 413 beyond
    )
    _session_settings(app, test_config or {})
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    routing.init_app(app)  # before any route: ids are bounded
    state.init_app(app)
    problems.init_app(app)
    api = problems.ProblemApi(app, spec_kwargs={
        "info": {"description": "Double-entry books of a chamber-of-commerce mutual-aid fund "
                                "and a community development foundation. Amounts are decimal "
                                "strings; errors are RFC 9457 problem details. Staff calls "
                                "need `Authorization: Bearer <personal access token>`."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    })
    routing.document(api)
    api.register_blueprint(books.blp)
    api.register_blueprint(staff_api.blp)
    api.register_blueprint(mutual_aid.blp)
    api.register_blueprint(bridging.blp)
    api.register_blueprint(foundation_api.blp)
    api.register_blueprint(grants_api.blp)
    api.register_blueprint(campaigns_api.blp)
    api.register_blueprint(periods_api.blp)
    auth.init_app(app)  # before CSRF: the error page of a refused form knows who is asking
    csrf.init_app(app)
    csrf.exempt(books.blp)  # the JSON API takes bearer tokens only, never the session cookie
    csrf.exempt(staff_api.blp)
    csrf.exempt(mutual_aid.blp)
    csrf.exempt(bridging.blp)
    csrf.exempt(foundation_api.blp)
    csrf.exempt(grants_api.blp)
    csrf.exempt(campaigns_api.blp)
    csrf.exempt(periods_api.blp)
    i18n.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    export_cli.init_app(app)
    import_cli.init_app(app)
    app.cli.add_command(campaigns_cli.campaigns_cli)
    periods_cli.init_app(app)
    app.cli.add_command(demo_cli.demo_cli)
    init_security(app)
    backup_cli.init_app(app)  # last: it guards every command against a read-only or full disk

    @app.before_request
    def json_bodies_only() -> None:
        """API bodies are JSON; a file upload is multipart/form-data, its size limited."""
        if not request.path.startswith("/api/"):
            return
        if request.endpoint in grants_api.UPLOADS | campaigns_api.UPLOADS:
            request.max_content_length = grants_api.MAX_UPLOAD_BODY  # 413 beyond it
            if request.content_length and request.mimetype != "multipart/form-data":
                raise UnsupportedMediaType("send the file as multipart/form-data, field 'file'")
            return
        if request.content_length and not request.is_json:
            raise UnsupportedMediaType("send the body as application/json")

    @app.get("/")
    @public
    def home() -> str:
        return render_template("home.html")

    @app.get("/healthz")
    @public
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _session_settings(app: Flask, overrides: dict[str, Any]) -> None:
    """`__Host-` cookie, Secure, in production; plain cookie over http in local development."""
    app.config["SECRET_KEY"] = (overrides.get("SECRET_KEY") or os.environ.get("HUZHU_SECRET_KEY")
                                or _instance_secret(app))
    development = overrides.get("HUZHU_ENV", app.config["HUZHU_ENV"]) == "development"
    app.config["SESSION_COOKIE_SECURE"] = not development
    app.config["SESSION_COOKIE_NAME"] = (
        "huzhu_session" if development else "__Host-huzhu_session")


def _instance_secret(app: Flask) -> str:
    """The key kept in instance/secret_key, made on first start. Several gunicorn workers may
    start at once: the key is written whole to a private file, then linked into place, which
    fails if another worker got there first; every worker then reads the one that won."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        draft.touch(mode=0o600)
        draft.write_text(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
