"""schemathesis against /api/openapi.json, in-process, as anonymous and as each role (issue 10,
hostile input): no server error, no response outside the document, and the books verify after.

The CI subset: one positive and one negative example per operation and role (bench/fuzz.py
runs the same with many more: `python -m bench.fuzz --examples N`). The last tests show that
the checker catches a server error, a response outside the document and an invalid request
that is accepted, each in a deliberately broken variant of the app.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
from flask import Flask, Response
from sqlalchemy import Engine, make_url

from api import create_app, routing, state
from ledger import books

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("anonymous", "admin", "fund_manager", "board_member", "auditor")  # bench.fuzz.ROLES
EXAMPLES = 1
Tokens = dict[str, str | None]


@pytest.fixture(scope="module")
def fuzz() -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT))  # bench/ is not an installed package
        yield importlib.import_module("bench.fuzz")


@pytest.fixture(scope="module")
def drawn(fuzz: ModuleType, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[Any, list[Any]]]:
    """The cases, drawn once for both databases from the document of an app on no database
    (serving it asks none), through a Switch each test aims at its own app."""
    bare = create_app({"TESTING": True, "HUZHU_ENV": "development", "SECRET_KEY": "bare",
                       "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('bare')}/none.db"})
    switch = fuzz.Switch(bare)
    yield switch, fuzz.draw_cases(fuzz.load_schema(switch), EXAMPLES, seed=0)
    with bare.app_context():
        state.engine().dispose()


@pytest.fixture
def tokens(fuzz: ModuleType, engine: Engine) -> Tokens:
    return fuzz.staff_tokens(engine)


@pytest.fixture
def quick_commits(backend: str, db_url: str) -> None:
    """PostgreSQL without waiting for each commit's flush (the test's own database only):
    durability is not what this test is about, and the fuzzer commits thousands of times."""
    if backend == "postgresql":
        url = make_url(db_url).set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'ALTER DATABASE "{url.database}" SET synchronous_commit = off')


def test_no_server_error_and_no_schema_violation(fuzz: ModuleType, quick_commits: None,
                                                 drawn: tuple[Any, list[Any]], app: Flask,
                                                 engine: Engine, tokens: Tokens) -> None:
    """The same drawn cases are sent as anonymous, then as each role."""
    assert set(ROLES) == set(fuzz.ROLES)
    switch, cases = drawn
    switch.target = app
    operations = len(list(fuzz.load_schema(app).get_all_operations()))
    reports = fuzz.fuzz_app(app, tokens, EXAMPLES, roles=ROLES, cases=cases)
    assert [r.role for r in reports] == list(ROLES)
    for report in reports:
        assert report.requests >= operations, report  # every operation was sent
        assert report.findings == [], "\n".join(map(str, report.findings))
    books_report = fuzz.check_books(engine)
    assert books_report.ok, books_report.detail
    verified = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0, verified.output


# --- the checker catches broken variants ----------------------------------------------------------
def _case(fuzz: ModuleType, app: Flask, path: str, method: str, **parts: Any) -> Any:
    return fuzz.load_schema(app)[path][method].Case(**parts)


def test_catches_a_server_error(fuzz: ModuleType, app: Flask, tokens: Tokens,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(books, "find_entries", broken)
    report = fuzz.RoleReport("auditor")
    fuzz.send(_case(fuzz, app, "/api/entries", "GET"), tokens["auditor"], report)
    assert [f.check for f in report.findings] == [fuzz.SERVER_ERROR]
    assert report.server_errors == 1


def test_catches_a_response_outside_the_document(fuzz: ModuleType, app: Flask,
                                                 tokens: Tokens) -> None:
    @app.after_request
    def drop_title(response: Response) -> Response:  # a problem without its title
        if response.mimetype == "application/problem+json":
            body = response.get_json()
            body.pop("title")
            response.set_data(app.json.dumps(body))
        return response

    report = fuzz.RoleReport("auditor")
    status = fuzz.send(_case(fuzz, app, "/api/entries/{seq}", "GET", path_parameters={"seq": 7}),
                       tokens["auditor"], report)
    assert status == 404
    assert [f.check for f in report.findings] == ["JsonSchemaError"], report.findings
    assert report.schema_violations == 1


def test_catches_an_unknown_query_parameter_accepted(fuzz: ModuleType, app: Flask,
                                                     tokens: Tokens,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The lenient parser (unknown query parameters ignored) is caught by the negative cases;
    the strict one is not."""
    operation = fuzz.load_schema(app)["/api/entries"]["GET"]
    strict = fuzz.RoleReport("auditor")
    fuzz.fuzz_operation(operation, tokens["auditor"], 5, 0, strict)
    monkeypatch.setitem(routing.StrictQueryParser.DEFAULT_UNKNOWN_BY_LOCATION, "query",
                        "exclude")
    lenient = fuzz.RoleReport("auditor")
    fuzz.fuzz_operation(operation, tokens["auditor"], 5, 0, lenient)
    assert strict.findings == []
    assert "AcceptedNegativeData" in {f.check for f in lenient.findings}, lenient.findings
