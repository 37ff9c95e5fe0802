"""The campaign routes in the OpenAPI document: every path and method, their request bodies
(JSON, or multipart/form-data for the files), typed answers, and problem responses."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

PATHS = {
    "/api/campaigns": {"get", "post"},
    "/api/campaigns/{campaign_id}": {"get"},
    "/api/campaigns/{campaign_id}/roll": {"post"},
    "/api/campaigns/{campaign_id}/open": {"post"},
    "/api/campaigns/{campaign_id}/households": {"get"},
    "/api/campaigns/{campaign_id}/door-to-door": {"get"},
    "/api/campaigns/{campaign_id}/households/{household_id}/mark": {"post"},
    "/api/campaigns/{campaign_id}/shortfall": {"post"},
    "/api/campaigns/{campaign_id}/subsidy": {"post"},
    "/api/campaigns/{campaign_id}/payments": {"get", "post"},
    "/api/campaigns/{campaign_id}/payments/import": {"post"},
    "/api/campaigns/{campaign_id}/imports": {"get"},
    "/api/campaigns/{campaign_id}/contractor": {"post"},
    "/api/campaigns/{campaign_id}/close": {"post"},
    "/api/campaigns/{campaign_id}/cancel": {"post"},
    "/api/receipts/{code}": {"get"},
    "/api/receipts/{code}/pdf": {"get"},
}
PROBLEM = {"$ref": "#/components/schemas/ProblemOut"}


@pytest.fixture
def spec(client: Any) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, *parts = node["$ref"].split("/")
        node = spec
        for part in parts:
            node = node[part]
    return node


_schema = _resolve


def test_every_campaign_route_is_documented(spec: dict[str, Any]) -> None:
    validate(spec)
    found = {path: {m for m in item if m != "parameters"} for path, item in spec["paths"].items()
             if path.startswith(("/api/campaigns", "/api/receipts"))}
    assert found == PATHS
    for path, methods in PATHS.items():
        for method in methods:
            op = spec["paths"][path][method]
            assert op.get("summary"), (path, method)
            headers = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
            queries = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
            assert len(queries) == len(set(queries)), (path, method)
            assert headers == (["Idempotency-Key"] if method == "post" else []), path
            statuses = set(op["responses"])
            assert statuses & {"200", "201"}, (path, method)
            for status, response in op["responses"].items():
                if status == "default" or int(status) >= 400:
                    assert _resolve(spec, response)["content"] == {"application/problem+json": {
                        "schema": PROBLEM}}, (path, method, status)


def test_uploads_are_multipart_with_their_fields(spec: dict[str, Any]) -> None:
    for path, fields in (("/api/campaigns/{campaign_id}/roll", {"file", "preview"}),
                         ("/api/campaigns/{campaign_id}/payments/import",
                          {"file", "preview", "method"})):
        op = spec["paths"][path]["post"]
        (kind, body), = op["requestBody"]["content"].items()
        assert kind == "multipart/form-data"
        schema = _schema(spec, body["schema"])
        assert set(schema["properties"]) == fields
        assert schema["properties"]["file"] == {**schema["properties"]["file"],
                                                "type": "string", "format": "binary"}
        assert "file" in schema["required"]
        assert {"413", "422", "200", "201"} <= set(op["responses"])
        assert "rows" in op["responses"]["422"]["description"]
        query = [p["name"] for p in op["parameters"] if p["in"] == "query"]
        assert query == ["preview"]
    method = _schema(spec, spec["paths"]["/api/campaigns/{campaign_id}/payments/import"]
                     ["post"]["requestBody"]["content"]["multipart/form-data"]["schema"])
    assert method["properties"]["method"]["enum"] == ["cash", "wechat", "alipay", "bank"]


def test_answers_are_typed_and_amounts_are_strings(spec: dict[str, Any]) -> None:
    get = spec["paths"]["/api/campaigns/{campaign_id}"]["get"]
    campaign = _schema(spec, get["responses"]["200"]["content"]["application/json"]["schema"])
    figures = _schema(spec, campaign["properties"]["figures"])
    for name in ("cost", "subsidy", "match", "gap", "subsidy_received", "households_paid",
                 "restricted", "spent", "shortfall", "assigned", "unassigned", "to_pay"):
        assert figures["properties"][name]["type"] == "string", name
    assert figures["properties"]["covered"]["type"] == "boolean"
    assert {"households", "asked", "paid_up", "share_rule"} <= set(campaign["properties"])
    body = spec["paths"]["/api/campaigns"]["post"]["requestBody"]["content"]
    created = _schema(spec, body["application/json"]["schema"])
    assert created["properties"]["cost"]["type"] == "string"
    assert created["properties"]["miss_rule"]["enum"] == ["all_or_nothing", "keep_raised"]
    pay = spec["paths"]["/api/campaigns/{campaign_id}/payments"]["post"]
    assert set(pay["responses"]) >= {"201", "404", "409", "422"}
    pdf = spec["paths"]["/api/receipts/{code}/pdf"]["get"]["responses"]["200"]
    assert list(pdf["content"]) == ["application/pdf"]
    mark = spec["paths"]["/api/campaigns/{campaign_id}/households/{household_id}/mark"]
    assert {p["name"]: p["schema"]["type"] for p in mark["parameters"]} == {
        "campaign_id": "integer", "household_id": "integer"}
