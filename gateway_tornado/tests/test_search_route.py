"""GET /api/v1/search (gateway_tornado/handlers/search.py): which query arguments
reach the search service, under which names, and what the gateway refuses itself."""
from __future__ import annotations

import json

import pytest
import yaml

from services.common.config import REPO_ROOT
from services.common.errors import NotFound

PAGE = {"results": [{"id": "m1", "snippet": "<mark>deploy</mark>"}], "next_cursor": "next"}


def searches(rpc):
    return [c for c in rpc.calls if (c["service"], c["method"]) == ("search", "search")]


async def test_every_argument_reaches_the_service(fetch, rpc, bearer):
    rpc.answer("search", "search", PAGE)
    response = await fetch("/api/v1/search?q=deploy+%22billing+service%22&channel_id=c1"
                           "&from=u2&after=2026-01-01&before=2026-02-01T00:00:00Z"
                           "&has_file=true&sort=newest&cursor=abc&limit=5",
                           headers=bearer("ada"))
    assert response.code == 200 and json.loads(response.body) == PAGE
    assert response.headers["X-Next-Cursor"] == "next"
    [call] = searches(rpc)
    assert call["args"] == ("ada",)
    assert call["kwargs"] == {"query": 'deploy "billing service"', "channel_id": "c1",
                              "from_user": "u2", "after": "2026-01-01",
                              "before": "2026-02-01T00:00:00Z", "cursor": "abc",
                              "sort": "newest", "has_file": True, "limit": 5}


async def test_defaults_are_the_services_and_the_last_page_has_no_cursor_header(
        fetch, rpc, bearer):
    rpc.answer("search", "search", {"results": [], "next_cursor": None})
    response = await fetch("/api/v1/search?q=x&channel_id=&has_file=0", headers=bearer())
    assert response.code == 200 and "X-Next-Cursor" not in response.headers
    assert searches(rpc)[0]["kwargs"] == {"query": "x", "channel_id": None, "from_user": None,
                                          "after": None, "before": None, "cursor": None,
                                          "has_file": False}


@pytest.mark.parametrize("query", ["limit=ten", "limit=-1", "has_file=maybe"])
async def test_malformed_arguments_are_refused_by_the_gateway(fetch, rpc, bearer, query):
    response = await fetch(f"/api/v1/search?q=x&{query}", headers=bearer())
    assert response.code == 400
    assert json.loads(response.body)["error"]["code"] == "invalid_input"
    assert searches(rpc) == []


async def test_searching_needs_a_token(fetch, rpc):
    assert (await fetch("/api/v1/search?q=x")).code == 401
    assert searches(rpc) == []


async def test_a_channel_one_may_not_see_is_not_found(fetch, rpc, bearer):
    rpc.answer("search", "search", NotFound("no such channel"))
    response = await fetch("/api/v1/search?q=x&channel_id=secret", headers=bearer())
    assert response.code == 404


def test_the_route_is_in_the_openapi_spec():
    spec = yaml.safe_load((REPO_ROOT / "docs" / "api" / "openapi.yaml").read_text())
    operation = spec["paths"]["/api/v1/search"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"q", "channel_id", "from", "after", "before", "has_file", "sort",
                     "cursor", "limit"}
