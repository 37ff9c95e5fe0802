"""Huzhu's Flask service: `create_app()` is the app factory (`flask --app api ...`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request
from werkzeug.exceptions import UnsupportedMediaType

from . import books, cli, problems, state
from .security import init_app as init_security

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("HUZHU_DATABASE_URL")
        or f"sqlite:///{Path(app.instance_path) / 'huzhu.sqlite3'}",
        API_TITLE="Huzhu 互助 API",
        API_VERSION="0.1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    state.init_app(app)
    problems.init_app(app)
    api = problems.ProblemApi(app, spec_kwargs={
        "info": {"description": "Double-entry books of a chamber-of-commerce mutual-aid fund "
                                "and a community development foundation. Amounts are decimal "
                                "strings; errors are RFC 9457 problem details."},
    })
    api.register_blueprint(books.blp)
    cli.init_app(app)
    init_security(app)

    @app.before_request
    def json_bodies_only() -> None:
        if (request.path.startswith("/api/") and request.content_length
                and not request.is_json):
            raise UnsupportedMediaType("send the body as application/json")

    @app.get("/")
    def home() -> str:
        return render_template("home.html")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
