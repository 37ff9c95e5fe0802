"""The OpenAPI document: valid, complete, and honest about headers and errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

IGNORED_METHODS = {"HEAD", "OPTIONS"}
#: The document does not describe itself.
SPEC_ROUTE = "/api/openapi.json"


@pytest.fixture
def spec(client: Any) -> dict[str, Any]:
    response = client.get(SPEC_ROUTE)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method != "parameters"]


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, *parts = node["$ref"].split("/")
        node = spec
        for part in parts:
            node = node[part]
    return node


def _error_responses(spec: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [(path, method, status, _resolve(spec, response))
            for path, method, op in _operations(spec)
            for status, response in op["responses"].items()
            if status == "default" or int(status) >= 400]


def test_spec_is_valid_openapi_3(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Huzhu 互助 API"


def test_spec_lists_every_api_route_of_the_url_map(app: Any, spec: dict[str, Any]) -> None:
    registered = {
        (re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.rule != SPEC_ROUTE
        for method in rule.methods - IGNORED_METHODS
    }
    documented = {(path, method) for path, method, _ in _operations(spec)}
    assert documented == registered
    assert ("/api/entries/{seq}/reversal", "post") in documented  # the conversion worked
    assert {("/api/me", "get"), ("/api/tokens", "get"), ("/api/tokens", "post"),
            ("/api/users", "get"), ("/api/audit", "get"), ("/api/vouchers", "get"),
            ("/api/vouchers/{voucher_id}", "get")} <= documented
    assert {path for path, method in registered if method == "post"} == POSTS


def test_path_parameters_are_typed(spec: dict[str, Any]) -> None:
    seq = next(p for p in spec["paths"]["/api/entries/{seq}"]["parameters"] if p["name"] == "seq")
    assert seq["in"] == "path"
    assert seq["required"] is True
    assert seq["schema"]["type"] == "integer"


#: Every write the API offers (each one a POST that takes an Idempotency-Key).
POSTS = {
    "/api/entries", "/api/entries/batch", "/api/entries/{seq}/reversal",
    "/api/tokens", "/api/tokens/{token_id}/revoke",
    "/api/users", "/api/users/{username}/roles", "/api/users/{username}/disable",
    "/api/vouchers", "/api/vouchers/{voucher_id}/approve", "/api/vouchers/{voucher_id}/reject",
    "/api/members", "/api/members/{member_id}/status", "/api/policies", "/api/deposits",
    "/api/deposits/{deposit_id}/reversal", "/api/transfers",
    "/api/services", "/api/services/{service_id}/approve", "/api/services/{service_id}/reject",
    "/api/services/{service_id}/activate", "/api/services/{service_id}/end", "/api/expenses",
    "/api/incomes", "/api/incomes/{income_id}/releases", "/api/grantees",
    "/api/rounds", "/api/rounds/{round_id}/open", "/api/rounds/{round_id}/review",
    "/api/rounds/{round_id}/close", "/api/rounds/{round_id}/cancel",
    "/api/applications", "/api/applications/{application_id}/withdraw",
    "/api/applications/{application_id}/attachments",
    "/api/applications/{application_id}/declaration",
    "/api/applications/{application_id}/scores", "/api/applications/{application_id}/votes",
    "/api/applications/{application_id}/assembly-vote",
    "/api/applications/{application_id}/resolutions",
    "/api/grants/{grant_id}/payments", "/api/grants/{grant_id}/evaluations",
    "/api/grants/{grant_id}/close", "/api/grants/{grant_id}/clawbacks",
    "/api/campaigns", "/api/campaigns/{campaign_id}/roll", "/api/campaigns/{campaign_id}/open",
    "/api/campaigns/{campaign_id}/households/{household_id}/mark",
    "/api/campaigns/{campaign_id}/shortfall", "/api/campaigns/{campaign_id}/subsidy",
    "/api/campaigns/{campaign_id}/payments", "/api/campaigns/{campaign_id}/payments/import",
    "/api/campaigns/{campaign_id}/contractor", "/api/campaigns/{campaign_id}/close",
    "/api/campaigns/{campaign_id}/cancel",
    "/api/entities/{entity}/periods/{label}/closing",
    "/api/entities/{entity}/periods/{label}/close",
    "/api/entities/{entity}/periods/{label}/reopen",
    "/api/entities/{entity}/periods/{label}/sign-off",
}


def test_every_post_documents_a_required_idempotency_key_header(spec: dict[str, Any]) -> None:
    posts = [(path, op) for path, method, op in _operations(spec) if method == "post"]
    assert {path for path, _ in posts} == POSTS
    for path, op in posts:
        headers = [p for p in op.get("parameters", [])
                   if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert len(headers) == 1, path
        assert headers[0]["required"] is True, path
        assert headers[0]["schema"]["type"] == "string", path


def test_every_operation_needs_a_bearer_token(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http",
                                                                "scheme": "bearer"}
    assert spec["security"] == [{"bearer": []}]
    assert [(path, method) for path, method, op in _operations(spec)
            if op.get("security") not in (None, [{"bearer": []}])] == []


def test_post_entry_documents_the_request_body(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/api/entries"]["post"]["requestBody"]
    schema = _resolve(spec, body["content"]["application/json"]["schema"])
    assert set(schema["required"]) == {"entity", "effective_date", "postings"}
    posting = _resolve(spec, schema["properties"]["postings"]["items"])
    assert posting["properties"]["debit"]["type"] == "string"  # amounts are decimal strings


def test_declared_problem_responses_reference_the_problem_schema(spec: dict[str, Any]) -> None:
    """The error responses the views declare themselves (alt_response) use ProblemOut."""
    declared = {
        ("/api/entries", "post", "409"), ("/api/entries", "post", "422"),
        ("/api/entries/{seq}/reversal", "post", "409"),
        ("/api/entries/batch", "post", "409"), ("/api/entries/batch", "post", "413"),
        ("/api/entries/batch", "post", "422"),
    }
    found = {(path, method, status): response
             for path, method, status, response in _error_responses(spec)}
    for where in declared:
        schemas = [c["schema"] for c in found[where]["content"].values()]
        assert schemas == [{"$ref": "#/components/schemas/ProblemOut"}], where
    problem = spec["components"]["schemas"]["ProblemOut"]["properties"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem)
    assert problem["status"]["type"] == "integer"


def test_every_error_response_references_the_problem_schema(spec: dict[str, Any]) -> None:
    wrong = [(path, method, status, c.get("schema"))
             for path, method, status, response in _error_responses(spec)
             for c in response.get("content", {}).values()
             if c.get("schema") != {"$ref": "#/components/schemas/ProblemOut"}]
    assert wrong == []


def test_error_responses_are_documented_as_problem_json(spec: dict[str, Any]) -> None:
    wrong = [(path, method, status, sorted(response.get("content", {})))
             for path, method, status, response in _error_responses(spec)
             if sorted(response.get("content", {})) != ["application/problem+json"]]
    assert wrong == []
