"""Languages: zh-Hans (default) and English, chosen from the browser and switchable."""

from __future__ import annotations

from flask import Flask, Response, redirect, request
from flask_babel import Babel

from .auth import public, safe_next

LANGUAGES = {"zh_Hans": "中文", "en": "English"}
COOKIE = "lang"


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh", "zh-CN", "zh-Hans", "en"])
    return "en" if best == "en" else "zh_Hans"


@public
def switch_language() -> Response:
    """POST /language: remember the chosen language in a cookie and go back."""
    chosen = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")))
    if chosen in LANGUAGES:
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=request.is_secure, httponly=True)
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale)
    app.add_url_rule("/language", "language", switch_language, methods=["POST"])

    @app.context_processor
    def languages() -> dict[str, object]:
        return {"LANGUAGES": LANGUAGES, "current_language": select_locale()}
