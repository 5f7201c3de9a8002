"""/readyz: 200 only when Redis and every service's health RPC answer, 503 naming
the failing check otherwise; /healthz stays 200 (alive) either way."""
from __future__ import annotations

import asyncio
import json

import pytest
import redis

from gateway_tornado import readiness
from services.common.catalog import SERVICES
from services.common.errors import RpcTimeout, ServiceUnavailable


@pytest.fixture
def healthy(rpc):
    for service in SERVICES:
        rpc.answer(service, "health", {"service": service, "host": "h", "pid": 1})
    return rpc


async def test_ready_when_redis_and_every_service_answer(fetch, healthy):
    response = await fetch("/readyz")
    body = json.loads(response.body)
    assert response.code == 200 and body["status"] == "ready"
    assert set(body["checks"]) == {"redis"} | {f"rpc:{s}" for s in SERVICES}
    assert all(check["ok"] for check in body["checks"].values())
    assert {c["method"] for c in healthy.calls} == {"health"}


@pytest.mark.parametrize("failure", [ServiceUnavailable("no rpc-search queue"),
                                     RpcTimeout("search.health did not answer")])
async def test_a_service_that_does_not_answer_makes_it_not_ready_and_is_named(
        fetch, healthy, failure):
    healthy.answer("search", "health", failure)
    response = await fetch("/readyz")
    body = json.loads(response.body)
    assert response.code == 503 and body["status"] == "not_ready"
    failing = {name: check for name, check in body["checks"].items() if not check["ok"]}
    assert list(failing) == ["rpc:search"]
    assert failing["rpc:search"]["error"] == failure.code
    assert (await fetch("/healthz")).code == 200  # alive, only not ready


async def test_redis_down_makes_it_not_ready(fetch, healthy, revocations, monkeypatch):
    async def refuse():
        raise redis.ConnectionError("Connection refused")
    monkeypatch.setattr(revocations, "ping", refuse)
    response = await fetch("/readyz")
    body = json.loads(response.body)
    assert response.code == 503
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["rpc:auth"]["ok"] is True


async def test_a_hanging_check_is_cut_at_the_timeout(fetch, healthy, monkeypatch):
    monkeypatch.setattr(readiness, "TIMEOUT", 0.2)

    answer = healthy.call

    async def channels_hangs(service, method, *args, **kwargs):
        if service == "channels":
            await asyncio.sleep(30)
        return await answer(service, method, *args, **kwargs)
    monkeypatch.setattr(healthy, "call", channels_hangs)
    response = await fetch("/readyz")
    body = json.loads(response.body)
    assert response.code == 503
    assert body["checks"]["rpc:channels"]["error"] == "no answer within 0.2s"
    assert body["checks"]["rpc:channels"]["ms"] < 2000


async def test_readiness_needs_no_token_and_takes_no_rate_limit_token(fetch, healthy):
    answers = await asyncio.gather(*(fetch("/readyz") for _ in range(5)))
    assert {answer.code for answer in answers} == {200}
