"""The staff web interface: server-rendered pages in the layout of `templates/base.html`."""

from __future__ import annotations

from flask import Flask

from . import pages


def init_app(app: Flask) -> None:
    app.register_blueprint(pages.bp)
