"""The public overview, grants and campaigns pages and the open data (issue 8): no login, in
zh-Hans and English, for phones 360 px wide.

- `/transparency/?year=`: the year's overview: deposits and their 30/70 split, the
  foundation's income by source, what it spent, its administrative share, the money still
  available, a flow chart and the monthly trend (inline SVG made by matplotlib, each with its
  figures in a table).
- `/transparency/grants?year=`: every grant committed by the year's end, as it stood then.
- `/transparency/campaigns`: every repair campaign but drafts, as it stands now.
- `/transparency/data/`: the open data, listed with the fields of its schema;
  `/transparency/data/{overview,grants,campaigns,donations}.{json,csv}?year=` and
  `/transparency/data/schema.json` (JSON Schema 2020-12): see reports/open_data.py.

Speed: the figures, the charts and the open-data files are cached in-process (an LRU in
`app.extensions`) by (version, year, language, view). The version is the journal's last entry
number (any posting changes it) with the audit log's last record number: a change without a
posting (a household marked unreachable, a grant's evaluation, a campaign opened) is audited,
so it shows at once too. A warm request reads those two numbers and renders a template. The
answers carry an ETag of (view, version, year, language, page files) and
`Cache-Control: public, max-age=60`, `Vary: Accept-Language`; If-None-Match gets a 304.

Years: `?year=` is one of the years with entries (latest first; default the latest); without
any entry, this year. The pages render with `render_public` of api.web.transparency and
extend public/base.html (nav "overview"); they link each other with an in-page menu."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from flask import Blueprint, Response, current_app, g, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from moneyed import Money

from ledger import books
from ledger import transparency as public
from ledger.core.errors import LedgerError
from ledger.core.money import to_minor
from ledger.db import audit as audit_db
from ledger.db import journal as journal_db
from ledger.db.session import Session
from reports import open_data, transparency_charts

from ..auth import public as public_route
from ..problems import PROBLEM_JSON
from ..state import uow
from .campaigns_forms import CAMPAIGN_STATUS_LABELS, LEFTOVER_LABELS, SHORTFALL_SOURCE_LABELS
from .common import money
from .grants_forms import EVALUATION_LABELS, GRANT_STATUS_LABELS
from .transparency import (
    LOCALES,
    not_found,
    not_modified,
    page_etag,
    public_lang,
    refused,
    render_public,
    with_etag,
)

bp = Blueprint("transparency_overview", __name__, url_prefix="/transparency")
bp.register_error_handler(LedgerError, refused)

EXTENSION = "transparency_overview"
CACHE_SIZE = 256  # entries: a view, a chart or a file of a (version, year, language)
HEADERS = {"Cache-Control": "public, max-age=60", "Vary": "Accept-Language"}
DATA_HEADERS = {**HEADERS, "Access-Control-Allow-Origin": "*"}
#: The in-page menu: key, endpoint, label.
SECTIONS = (("overview", "transparency_overview.overview", _l("Overview")),
            ("grants", "transparency_overview.grants", _l("Grants")),
            ("campaigns", "transparency_overview.campaigns", _l("Repair campaigns")),
            ("data", "transparency_overview.data", _l("Open data")))
#: Open-data files that are of one year (campaigns are as they stand now).
YEARLY = ("overview", "grants", "donations")
#: The modules whose change changes what the pages and files show: part of every ETag.
CODE = (__file__, transparency_charts.__file__, open_data.__file__)
Version = tuple[int, int]


# --- the cache --------------------------------------------------------------------------------
class ViewCache:
    """A small LRU, shared by the app's threads: a value is computed at most once per key
    (unless two threads miss it at the same moment, when both compute the same thing)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._found: LRUCache[tuple[Any, ...], Any] = LRUCache(maxsize=size)
        self._lock = threading.Lock()
        self.misses = 0

    def get(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._found:
                return self._found[key]
        value = compute()
        with self._lock:
            self._found[key] = value
            self.misses += 1
        return value


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    state.app.extensions[EXTENSION] = ViewCache()


def view_cache() -> ViewCache:
    return current_app.extensions[EXTENSION]


def version_in(session: Session) -> Version:
    """(the journal's last entry number, the audit log's last record number)."""
    return journal_db.head(session)[0], audit_db.head(session)[0]


def version() -> Version:
    """The books' version, read once per request."""
    found = g.get("transparency_version")
    if found is None:
        found = g.transparency_version = uow().read(version_in)
    return found


#: view -> what computes it from a session and a year.
COMPUTE: dict[str, Callable[[Session, Any], Any]] = {
    "years": lambda session, _: public.years_in(session),
    "overview": public.overview_in,
    "grants": public.grants_in,
    "campaigns": lambda session, _: public.campaigns_public_in(session),
    "donations": public.donations_in,
}


def figures(view: str, year: int | None = None) -> Any:
    """A view of ledger.transparency at the books' current version (computed once)."""
    return view_cache().get((version(), year, "", view),
                            lambda: uow().read(lambda session: COMPUTE[view](session, year)))


@cache
def _code_digest() -> str:
    digest = hashlib.sha256()
    for name in CODE:
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()[:16]


def etag_of(view: str, year: int | None) -> str:
    """The ETag of a view: its version, year, language (page_etag adds the language and the
    pages' files) and the code that draws it."""
    return page_etag(view, version(), year, _code_digest())


def revalidated(etag: str) -> Response | None:
    """304 with this module's caching headers, when the browser holds this version."""
    found = not_modified(etag)
    if found is not None:
        found.headers.update(HEADERS)
    return found


@contextmanager
def page_language() -> Iterator[str]:
    """Translations in the page's language (?lang=, else Accept-Language)."""
    lang = public_lang()
    with force_locale(LOCALES[lang]):
        yield lang


# --- years ------------------------------------------------------------------------------------
def years() -> tuple[int, ...]:
    """Years with entries, latest first; without any entry, this year."""
    return figures("years") or (books.today().year,)


def chosen_year() -> int | None:
    """?year= if it is one of `years()`, the latest when not given, else None."""
    typed = (request.args.get("year") or "").strip()
    if not typed:
        return years()[0]
    return int(typed) if typed.isdigit() and int(typed) in years() else None


def no_such_year() -> Response:
    with page_language():
        return not_found(_("There are no figures for that year."))


# --- helpers of the templates -----------------------------------------------------------------
def share(value: Decimal | None) -> str:
    """A ratio as a percentage with one decimal ("2.3 %"); "—" when not applicable."""
    if value is None:
        return "—"
    number = (value * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{number}%" if public_lang() == "zh" else f"{number} %"


def named(item: Any) -> str:
    """An Amount's (or a node key's) name in the page's language."""
    if isinstance(item, str):
        zh, en = open_data.names(item)
    else:
        zh, en = item.zh, item.en
    return zh if public_lang() == "zh" else en


def cny(value: Money) -> str:
    """An amount with its currency, in words of the page's language."""
    return _("CNY %(amount)s", amount=money(value))


def page_context(section: str) -> dict[str, object]:
    return {"nav": "overview", "section": section, "sections": SECTIONS, "money": money,
            "cny": cny, "share": share, "named": named, "fen": to_minor,
            "percent": open_data.percent}


def render_page(template: str, section: str, etag: str, **context: Any) -> Response:
    response = render_public(template, headers=HEADERS, **page_context(section), **context)
    return with_etag(response, etag)


# --- pages ------------------------------------------------------------------------------------
def charts(overview: public.Overview, lang: str) -> dict[str, str]:
    """The overview's two charts as inline SVG, drawn once per version, year and language."""
    year = overview.year
    flows_label = _("How money flowed in %(year)s: mutual-aid deposits to the fund's "
                    "operating costs and to the foundation; the foundation's sources to the "
                    "foundation, and on to grants, repairs, administration and what it kept.",
                    year=year)
    trend_label = _("Income and spending of each month of %(year)s.", year=year)
    names = (_("Income"), _("Spending"), _("Month"))
    empty_flows = _("No money moved in %(year)s.", year=year)
    empty_trend = _("No income or spending in %(year)s.", year=year)
    return {
        "flows": view_cache().get((version(), year, lang, "chart-flows"), lambda: (
            transparency_charts.flow_chart(overview.flows, lang, prefix=f"flows-{lang}",
                                           label=flows_label, empty=empty_flows))),
        "trend": view_cache().get((version(), year, lang, "chart-trend"), lambda: (
            transparency_charts.trend_chart(overview.months, lang, prefix=f"trend-{lang}",
                                            label=trend_label, names=names,
                                            empty=empty_trend))),
    }


@bp.get("/")
@public_route
def overview() -> Response:
    """Where the year's money came from and went."""
    year = chosen_year()
    if year is None:
        return no_such_year()
    etag = etag_of("overview", year)
    cached = revalidated(etag)
    if cached is not None:
        return cached
    found: public.Overview = figures("overview", year)
    with page_language() as lang:
        drawn = charts(found, lang)
    return render_page("public/overview.html", "overview", etag, ov=found, year=year,
                       years=years(), charts=drawn)


@bp.get("/grants")
@public_route
def grants() -> Response:
    """Every grant committed by the year's end: grantee, approved, paid, status."""
    year = chosen_year()
    if year is None:
        return no_such_year()
    etag = etag_of("grants", year)
    cached = revalidated(etag)
    if cached is not None:
        return cached
    found = figures("grants", year)
    return render_page("public/grants.html", "grants", etag, grants=found, year=year,
                       years=years(), totals=open_data.grant_totals(found),
                       status_labels=GRANT_STATUS_LABELS,
                       evaluation_labels=EVALUATION_LABELS)


@bp.get("/campaigns")
@public_route
def campaigns() -> Response:
    """Every repair campaign but drafts: progress, households, shortfall, contractor."""
    etag = etag_of("campaigns", None)
    cached = revalidated(etag)
    if cached is not None:
        return cached
    return render_page("public/campaigns.html", "campaigns", etag,
                       campaigns=figures("campaigns"), raised=open_data.raised,
                       status_labels=CAMPAIGN_STATUS_LABELS, source_labels=SHORTFALL_SOURCE_LABELS,
                       leftover_labels=LEFTOVER_LABELS)


@bp.get("/data/")
@public_route
def data() -> Response:
    """The open data: its addresses, formats and the fields of its schema."""
    year = chosen_year()
    if year is None:
        return no_such_year()
    etag = etag_of("data", year)
    cached = revalidated(etag)
    if cached is not None:
        return cached
    schema = open_data.json_schema(schema_url())
    fields = {kind: open_data.fields(schema, kind) for kind in open_data.KINDS}
    return render_page("public/data.html", "data", etag, year=year, years=years(),
                       fields=fields, yearly=YEARLY, kinds=open_data.KINDS)


# --- open data --------------------------------------------------------------------------------
def schema_url() -> str:
    return url_for("transparency_overview.schema")


def document(kind: str, year: int | None) -> dict[str, Any]:
    """The JSON document of a kind (reports/open_data.py), at the current version."""
    found = figures(kind, year)
    head = version()[0]
    if kind == "overview":
        return open_data.overview_json(found, schema_url())
    if kind == "grants":
        return open_data.grants_json(found, year or 0, head, schema_url())
    if kind == "donations":
        return open_data.donations_json(found, year or 0, head, schema_url())
    return open_data.campaigns_json(found, head, schema_url())


def file_body(kind: str, fmt: str, year: int | None) -> bytes:
    """A file's bytes, made once per version and year."""
    def make() -> bytes:
        doc = document(kind, year)
        if fmt == "csv":
            return open_data.CSV_OF[kind](doc)
        return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()

    return view_cache().get((version(), year, "", f"{kind}.{fmt}"), make)


@bp.get("/data/<any(overview, grants, campaigns, donations):kind>.<any(json, csv):fmt>")
@public_route
def data_file(kind: str, fmt: str) -> Response:
    """An open-data file: JSON or CSV, of a year (?year=) but for the campaigns."""
    year = chosen_year() if kind in YEARLY else None
    if kind in YEARLY and year is None:
        return problem(404, "there are no figures for that year: use one of "
                            + ", ".join(map(str, years())))
    etag = etag_of(f"{kind}.{fmt}", year)
    cached = revalidated(etag)
    if cached is not None:
        cached.headers.update(DATA_HEADERS)
        return cached
    name = f"{kind}-{year}.{fmt}" if year else f"{kind}.{fmt}"
    response = Response(file_body(kind, fmt, year), headers=DATA_HEADERS,
                        mimetype="text/csv" if fmt == "csv" else "application/json")
    if fmt == "csv":
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return with_etag(response, etag)


@bp.get("/data/schema.json")
@public_route
def schema() -> Response:
    """The JSON Schema (2020-12) of every open-data JSON document."""
    etag = page_etag("schema", _code_digest())
    cached = revalidated(etag)
    if cached is not None:
        cached.headers.update(DATA_HEADERS)
        return cached
    body = json.dumps(open_data.json_schema(schema_url()),
                      ensure_ascii=False, indent=2) + "\n"
    return with_etag(Response(body, mimetype="application/schema+json", headers=DATA_HEADERS),
                     etag)


def problem(status: int, detail: str) -> Response:
    """Problem details (RFC 9457) for an open-data address that has nothing."""
    body = {"type": "about:blank", "title": "Not Found", "status": status, "detail": detail,
            "instance": request.path}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON,
                    headers={**DATA_HEADERS, "Cache-Control": "no-store"})
