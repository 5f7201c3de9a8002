"""The general request body limit (``gateway.max_body_bytes``): a body declared
larger gets a JSON 413 ``too_large`` before any handler runs, over the server
__main__ starts; the gateway keeps serving. (The upload route keeps its own limit:
test_file_routes.py.)"""
from __future__ import annotations

import asyncio
import json
from urllib.parse import urlparse

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from gateway_tornado import body_limit


@pytest.fixture
def limit(config) -> int:
    return int(config["gateway.max_body_bytes"])


async def post(base: str, path: str, body: bytes, headers=None):
    return await AsyncHTTPClient().fetch(HTTPRequest(
        f"{base}{path}", method="POST", body=body, headers=headers, request_timeout=30),
        raise_error=False)


async def test_a_body_over_the_limit_gets_a_json_413_and_no_handler_runs(
        served_as_in_production, limit, rpc, bearer):
    response = await post(served_as_in_production, "/api/v1/channels", b"x" * (limit + 1),
                          headers={**bearer(), "X-Request-Id": "req-413"})
    assert response.code == 413
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-Id"] == "req-413"
    assert json.loads(response.body) == {"error": {
        "code": "too_large", "message": f"a request body is at most {limit} bytes"}}
    assert rpc.calls == []


async def test_a_body_at_the_limit_reaches_the_handler(served_as_in_production, limit, rpc,
                                                       bearer):
    response = await post(served_as_in_production, "/api/v1/channels", b"x" * limit,
                          headers=bearer())
    assert response.code == 400   # not JSON: the handler itself refused it
    assert json.loads(response.body)["error"]["code"] == "invalid_input"


async def test_the_connection_is_kept_and_serves_the_next_request(served_as_in_production,
                                                                  limit):
    """A refused body that is read to its end leaves the connection usable."""
    parsed = urlparse(served_as_in_production)
    reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
    writer.write(f"POST /api/v1/channels HTTP/1.1\r\nHost: x\r\nContent-Length: {limit + 1}"
                 "\r\n\r\n".encode() + b"x" * (limit + 1)
                 + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    first = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert first.startswith(b"HTTP/1.1 413")
    length = int([line for line in first.split(b"\r\n")
                  if line.lower().startswith(b"content-length")][0].split(b":")[1])
    await reader.readexactly(length)
    second = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    writer.close()
    assert second.startswith(b"HTTP/1.1 200")


async def test_a_body_far_over_the_limit_is_answered_then_the_connection_closed(
        served_as_in_production, limit):
    declared = body_limit.DRAIN_FACTOR * limit + 10
    parsed = urlparse(served_as_in_production)
    reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
    writer.write(f"PUT /api/v1/me HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}"
                 "\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 413")
    assert b"connection: close" in head.lower()
    writer.close()


async def test_the_gateway_keeps_serving_after_a_refusal(served_as_in_production, limit):
    await post(served_as_in_production, "/api/v1/channels", b"x" * (limit + 1))
    health = await AsyncHTTPClient().fetch(f"{served_as_in_production}/healthz",
                                           raise_error=False)
    assert health.code == 200
