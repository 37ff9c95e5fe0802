"""HTML templates with print CSS, rendered to PDF by WeasyPrint with an embedded CJK font."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("reports", "templates"),
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


def render_html(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def render_pdf(template: str, **context: Any) -> bytes:
    """A PDF of the template; fonts are embedded (subset), so Chinese never shows as boxes."""
    html = HTML(string=render_html(template, **context), base_url=str(TEMPLATES) + "/")
    return html.write_pdf(font_config=_fonts())  # type: ignore[no-any-return]
