"""Fixtures for the gateway's tests: a real configuration under tmp_path, a real
Tornado application on a free local port, and a scripted stand-in for the one
thing that would need the running stack, the RPC client."""
from __future__ import annotations

import json
from typing import Any

import fakeredis
import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

from gateway_tornado import body_limit
from gateway_tornado.app import make_app
from gateway_tornado.context import Gateway
from gateway_tornado.hub import Hub
from gateway_tornado.ratelimit import RateLimiter
from gateway_tornado.sessions import SessionCheck
from services.common.config import REPO_ROOT, Config, load_config
from services.common.tokens import TokenCodec


@pytest.fixture
def config(tmp_path) -> Config:
    """The real defaults, with the var dir (discovery files, secrets) in tmp_path."""
    return load_config(REPO_ROOT / "config" / "parley.yaml",
                       environ={"PARLEY_STACK_VAR_DIR": str(tmp_path / "var")})


class ScriptedRpc:
    """Stands in for AsyncRpcClient: records every call and answers from a script.

    ``answer(service, method, outcome)`` scripts an outcome: a value to return, an
    exception to raise, or a callable computing either from the call's arguments."""

    def __init__(self):
        self.calls: list[dict[str, Any]] = []
        self._script: dict[tuple[str, str], Any] = {}
        self.bus_up = True   # the connection to RabbitMQ (readiness)

    def answer(self, service: str, method: str, outcome: Any) -> None:
        self._script[(service, method)] = outcome

    def methods_called(self) -> list[str]:
        return [f"{c['service']}.{c['method']}" for c in self.calls]

    async def call(self, service, method, *args, _timeout=None, _context=None, **kwargs):
        self.calls.append({"service": service, "method": method, "args": args,
                           "kwargs": kwargs, "context": _context})
        outcome = self._script[(service, method)]
        if callable(outcome) and not isinstance(outcome, type):
            outcome = outcome(*args, **kwargs)
        if isinstance(outcome, BaseException):
            raise outcome
        return json.loads(json.dumps(outcome))  # a fresh copy, as off the wire


@pytest.fixture
def rpc() -> ScriptedRpc:
    return ScriptedRpc()


@pytest.fixture
def tokens() -> TokenCodec:
    return TokenCodec("gateway-unit-test-secret-0123456789", access_ttl=900)


@pytest.fixture
def revocations():
    """The Redis in which the gateway looks up ended sessions (auth writes them)."""
    return fakeredis.FakeAsyncRedis(decode_responses=True)


@pytest.fixture
def limiter(config, revocations) -> RateLimiter:
    """The real rate limiter, its Lua script run by fakeredis, with the default limits."""
    return RateLimiter.from_config(revocations, config)


@pytest.fixture
def gateway(config, rpc, tokens, revocations, limiter) -> Gateway:
    return Gateway(name="gateway-test", cfg=config, rpc=rpc,
                   hub=Hub(config["amqp.uri"], "gateway-test"), tokens=tokens,
                   sessions=SessionCheck(revocations), limiter=limiter)


@pytest.fixture
async def base_url(gateway):
    """The gateway's application served on a free port of 127.0.0.1."""
    sock, port = bind_unused_port()
    server = HTTPServer(make_app(gateway), xheaders=True)
    server.add_sockets([sock])
    yield f"http://127.0.0.1:{port}"
    server.stop()
    await server.close_all_connections()


@pytest.fixture
async def served_as_in_production(gateway, config):
    """The application behind the HTTP server __main__ gives it: with the general
    body limit (gateway_tornado/body_limit.py)."""
    sock, port = bind_unused_port()
    server = body_limit.http_server(make_app(gateway), int(config["gateway.max_body_bytes"]))
    server.add_sockets([sock])
    yield f"http://127.0.0.1:{port}"
    server.stop()
    await server.close_all_connections()


@pytest.fixture
def fetch(base_url):
    """``await fetch(path, method=..., body=..., headers=...)``; never raises on status."""
    async def fetch(path: str, method: str = "GET", body: Any = None,
                    headers: dict[str, str] | None = None) -> HTTPResponse:
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if body is None and method in ("POST", "PUT"):
            body = b""
        return await AsyncHTTPClient().fetch(base_url + path, method=method, body=body,
                                             headers=headers, raise_error=False,
                                             allow_nonstandard_methods=True)
    return fetch


@pytest.fixture
def bearer(tokens):
    """Authorization header for a signed-in user."""
    def bearer(user_id: str = "user-1") -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.issue(user_id, 'session-1')}"}
    return bearer
