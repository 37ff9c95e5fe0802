"""Hostile requests that schemathesis found answered with a 500 or outside the OpenAPI document
(issue 10, hostile input), each a regression test on SQLite and PostgreSQL. Every refusal is an
RFC 9457 problem and writes nothing.

- an id beyond the databases' integers in a path: SQLite's driver raised OverflowError (500),
  PostgreSQL said "integer out of range" (422): now 404, and the document states the bound
  (entry numbers were already 404 entry-not-found at any size);
- an unknown query parameter was ignored (`?acount=1002` listed every entry): now 422 naming it;
- a multipart part without a name broke the Idempotency-Key's fingerprint (500);
- problem details documented with every member optional: now the five are required.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.routing import MAX_ID

from ..campaigns_api.helpers import Campaigns, snapshot
from ..http.helpers import Api


@pytest.fixture
def campaigns(api: Api) -> Campaigns:
    return Campaigns(api)


@pytest.fixture
def api(client: Any, engine: Any, staff_accounts: Any) -> Api:
    return Api(client, engine, staff_accounts)


PATHS_WITH_IDS = ("/api/entries/{}", "/api/campaigns/{}", "/api/grants/{}", "/api/vouchers/{}",
                  "/api/applications/{}/history", "/api/attachments/{}")


def test_ids_beyond_the_databases_integers_are_404(api: Api) -> None:
    api.posted()
    for template in PATHS_WITH_IDS:
        for value in (MAX_ID, MAX_ID + 1, 2**63, 2**64, 10**30):
            response = api.client.get(template.format(value))
            api.problem(response, 404)
    for value in (2**63, 10**30):  # a write, too: the journal says which entry is missing
        api.problem(api.reverse(value), 404, "/problems/entry-not-found")
    assert api.row_counts()["journal_entries"] == 1


def test_the_document_states_the_bounds(api: Api) -> None:
    spec = api.anonymous.get("/api/openapi.json").get_json()
    for path, name, bound in (("/api/entries/{seq}", "seq", {}),
                              ("/api/campaigns/{campaign_id}", "campaign_id",
                               {"maximum": MAX_ID})):
        item = spec["paths"][path]
        parameters = item.get("parameters") or item["get"]["parameters"]
        [found] = [p["schema"] for p in parameters if p["name"] == name]
        assert found == {"type": "integer", "minimum": 0, **bound}
    problem = spec["components"]["schemas"]["ProblemOut"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}


def test_unknown_query_parameters_are_refused(api: Api) -> None:
    api.posted()
    for path, query, known in (
            ("/api/entries", {"acount": "1002"}, {"account": "1002"}),
            ("/api/entities/fund/trial-balance", {"asof": "2025-12-31"},
             {"as_of": "2025-12-31"}),
            ("/api/grants", {"round": "1"}, {"round_id": "1"})):
        body = api.problem(api.client.get(path, query_string=query), 422)
        assert set(body["errors"]["query"]) == set(query), body
        assert api.client.get(path, query_string=known).status_code == 200


def test_an_unnamed_multipart_part_is_refused(campaigns: Campaigns) -> None:
    """A part without a name, beside the file: a problem (before: a 500 while fingerprinting
    the request for its Idempotency-Key), on an upload of each kind."""
    c = campaigns
    cid = int(c.create()["id"])
    boundary = "hostile-boundary"
    unnamed = (f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\nno name\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
               f"filename=\"roll.csv\"\r\n\r\nbuilding,unit,room\r\n--{boundary}--\r\n").encode()
    before = snapshot(c.engine)
    for path in (f"/api/campaigns/{cid}/roll", f"/api/campaigns/{cid}/payments/import",
                 "/api/applications/1/attachments"):
        response = c.client.post(path, data=unnamed,
                                 content_type=f"multipart/form-data; boundary={boundary}",
                                 headers=c.headers("fm1", None))
        assert 400 <= response.status_code < 500, (path, response.get_data(as_text=True))
        Api.problem(response, response.status_code)
    assert snapshot(c.engine) == before
