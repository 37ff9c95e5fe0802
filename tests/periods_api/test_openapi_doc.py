"""The period routes in the OpenAPI document: every path and method, their bodies, typed
answers, the PDF's content type and headers, the Idempotency-Key of every POST, and the
problem responses. (The document needs no database.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from api import create_app, state

BASE = "/api/entities/{entity}/periods"
PATHS = {
    BASE: {"get"},
    f"{BASE}/{{label}}": {"get"},
    f"{BASE}/{{label}}/closing": {"post"},
    f"{BASE}/{{label}}/close": {"post"},
    f"{BASE}/{{label}}/reopen": {"post"},
    f"{BASE}/{{label}}/verification": {"get"},
    f"{BASE}/{{label}}/sign-off": {"post"},
    f"{BASE}/{{label}}/statements": {"get"},
    f"{BASE}/{{label}}/statements.csv": {"get"},
    f"{BASE}/{{label}}/statements.pdf": {"get"},
}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("openapi")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'none.sqlite3'}",
                      "HUZHU_ENV": "development", "SECRET_KEY": "test secret key"})
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    yield response.get_json()
    with app.app_context():
        state.engine().dispose()


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, *parts = node["$ref"].split("/")
        node = spec
        for part in parts:
            node = node[part]
    return node


def test_every_period_route_is_documented(spec: dict[str, Any]) -> None:
    validate(spec)
    found = {path: {m for m in item if m != "parameters"} for path, item in spec["paths"].items()
             if path.startswith(BASE)}
    assert found == PATHS
    for path, methods in PATHS.items():
        for method in methods:
            op = spec["paths"][path][method]
            assert op.get("summary"), (path, method)
            assert "periods" in op["tags"], (path, method)
            headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
            assert ("Idempotency-Key" in headers) is (method == "post"), (path, method)


def test_bodies_answers_and_problems(spec: dict[str, Any]) -> None:
    paths = spec["paths"]
    reopen = paths[f"{BASE}/{{label}}/reopen"]["post"]
    body = _resolve(spec, reopen["requestBody"]["content"]["application/json"]["schema"])
    assert body["required"] == ["reason"]
    sign = paths[f"{BASE}/{{label}}/sign-off"]["post"]
    body = _resolve(spec, sign["requestBody"]["content"]["application/json"]["schema"])
    assert body["properties"]["opinion"]["enum"] == ["unqualified", "qualified", "adverse",
                                                     "disclaimer"]
    answer = _resolve(spec, sign["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"status", "close", "signoff", "audited"} <= set(answer["properties"])
    assert {"404", "409", "422"} <= set(sign["responses"])
    assert "application/problem+json" in sign["responses"]["409"]["content"]

    pdf = paths[f"{BASE}/{{label}}/statements.pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert {"ETag", "X-Content-SHA256", "Digest"} <= set(pdf["responses"]["200"]["headers"])
    query = {p["name"]: p for p in pdf["parameters"] if p["in"] == "query"}
    assert query["lang"]["schema"]["enum"] == ["zh", "en"]
    assert query["appendix"]["schema"]["type"] == "boolean"
    csv = paths[f"{BASE}/{{label}}/statements.csv"]["get"]
    assert "text/csv" in csv["responses"]["200"]["content"]
    verification = paths[f"{BASE}/{{label}}/verification"]["get"]
    answer = _resolve(spec, verification["responses"]["200"]["content"]["application/json"]
                      ["schema"])
    assert {"ok", "chain", "head", "balances", "statements", "checks"} <= set(
        answer["properties"])
