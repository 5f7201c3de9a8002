"""CORS (``gateway.cors_origins``): pages from the listed origins may call the
API from a browser; others get no CORS headers, so the browser refuses them."""
from __future__ import annotations

import pytest

from services.common.config import REPO_ROOT, Config, load_config

ALLOWED = "https://chat.example.com"


@pytest.fixture
def config(tmp_path) -> Config:
    return load_config(REPO_ROOT / "config" / "parley.yaml",
                       environ={"PARLEY_STACK_VAR_DIR": str(tmp_path / "var"),
                                "PARLEY_GATEWAY_CORS_ORIGINS": f'["{ALLOWED}"]'})


async def test_a_page_from_an_allowed_origin_may_call_the_api(fetch, rpc, bearer):
    rpc.answer("users", "get", {"user_id": "user-1"})
    rpc.answer("users", "touch", None)
    response = await fetch("/api/v1/me", headers={**bearer(), "Origin": ALLOWED})
    assert response.code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "X-Request-Id" in response.headers["Access-Control-Expose-Headers"]
    assert "Origin" in response.headers["Vary"]


async def test_a_preflight_names_the_routes_methods_and_the_headers_allowed(fetch, rpc):
    response = await fetch("/api/v1/me", method="OPTIONS",
                           headers={"Origin": ALLOWED, "Access-Control-Request-Method": "PATCH"})
    assert response.code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Access-Control-Allow-Methods"] == "GET, PATCH"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert rpc.calls == []


async def test_other_origins_get_no_cors_headers(fetch):
    response = await fetch("/api/v1/me", method="OPTIONS",
                           headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers
