"""How the JSON API reads a request's URL: ids within the databases' integers, unknown query
parameters refused.

- `IdConverter` replaces Flask's `int` converter: ids are `integer` columns, so an id above
  2**31 - 1 is no record of ours: 404, not SQLite's OverflowError (a 500) or PostgreSQL's
  "integer out of range". `<seq:seq>` numbers journal entries (`bigint`): unbounded here, as
  the journal answers any number itself (entry-not-found).
- `Blueprint` parses query strings strictly: a misspelt filter (`?acount=1002`) is a 422
  naming it, never a silently unfiltered list of entries; a multipart part without a name
  is an unknown field.
"""

from __future__ import annotations

from typing import Any, ClassVar

import flask_smorest
from flask import Flask, Request
from flask_smorest.spec.plugins import integerconverter2paramschema
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

#: The largest id (PostgreSQL `integer`).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:id>`: a non-negative integer up to MAX_ID (404 beyond)."""

    bound: int | None = MAX_ID

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, self.bound if max is None else max, signed)


class SeqConverter(IdConverter):
    """`<seq:seq>`: a journal entry's number, any non-negative integer."""

    bound = None


def named_parts(*sources: MultiDict[Any, Any]) -> MultiDict[str, Any]:
    """The parts of multipart bodies, a part without a name (werkzeug: None) named "", so it
    is refused as an unknown field rather than breaking the error's JSON."""
    return MultiDict([(name or "", value) for source in sources
                      for name, value in source.items(multi=True)])


class StrictQueryParser(FlaskParser):
    """Unknown query parameters are refused (the schema's own `unknown`, RAISE)."""

    DEFAULT_UNKNOWN_BY_LOCATION: ClassVar[dict[str, str | None]] = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def load_files(self, req: Request, schema: Any) -> Any:
        return self._makeproxy(named_parts(req.files), schema)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the strict query parser."""

    ARGUMENTS_PARSER = StrictQueryParser()


def init_app(app: Flask) -> None:
    """Before any route is added: ids are bounded everywhere (API and pages alike)."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["seq"] = SeqConverter


def document(api: flask_smorest.Api) -> None:
    """The OpenAPI document states the bound (`maximum`) of every id in a path."""
    api.register_converter(IdConverter, integerconverter2paramschema)
    api.register_converter(SeqConverter, integerconverter2paramschema)
