"""/readyz: 200 when Redis answers and the connection to RabbitMQ is up, naming any
service nobody answers for as degraded (however many: slow or missing services never
take gateways out of the pool); 503 naming the failing check when the gateway's own
links fail; /healthz stays 200 (alive) either way."""
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
    assert set(body["checks"]) == {"bus", "redis"} | {f"rpc:{s}" for s in SERVICES}
    assert all(check["ok"] for check in body["checks"].values())
    assert {c["method"] for c in healthy.calls} == {"health"}


@pytest.mark.parametrize("failure", [ServiceUnavailable("no rpc-search queue"),
                                     RpcTimeout("search.health did not answer")])
async def test_a_service_that_does_not_answer_is_named_degraded_and_the_gateway_stays_ready(
        fetch, healthy, failure):
    healthy.answer("search", "health", failure)
    response = await fetch("/readyz")
    body = json.loads(response.body)
    assert response.code == 200 and body["status"] == "ready"
    assert body["degraded"] == ["search"]
    failing = {name: check for name, check in body["checks"].items() if not check["ok"]}
    assert list(failing) == ["rpc:search"]
    assert failing["rpc:search"]["error"] == failure.code


async def test_no_connection_to_rabbitmq_means_not_ready(fetch, healthy):
    healthy.bus_up = False
    for service in SERVICES:
        healthy.answer(service, "health", ServiceUnavailable("broker unreachable"))
    response = await fetch("/readyz")
    body = json.loads(response.body)
    assert response.code == 503 and body["status"] == "not_ready"
    assert body["checks"]["bus"] == {"ok": False, "ms": 0.0,
                                     "error": "no connection to RabbitMQ"}
    assert sorted(body["degraded"]) == sorted(SERVICES)
    assert (await fetch("/healthz")).code == 200  # alive, only not ready


async def test_services_too_busy_to_answer_in_time_leave_the_gateway_ready(
        fetch, healthy, monkeypatch):
    """Overload must not empty Traefik's pool: every health answer late, still ready."""
    monkeypatch.setattr(readiness, "TIMEOUT", 0.05)

    async def late(*args, **kwargs):
        await asyncio.sleep(1)
    monkeypatch.setattr(healthy, "call", late)
    response = await fetch("/readyz")
    body = json.loads(response.body)
    assert response.code == 200 and body["status"] == "ready"
    assert sorted(body["degraded"]) == sorted(SERVICES)


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
    assert response.code == 200 and body["degraded"] == ["channels"]
    assert body["checks"]["rpc:channels"]["error"] == "no answer within 0.2s"
    assert body["checks"]["rpc:channels"]["ms"] < 2000


async def test_readiness_needs_no_token_and_takes_no_rate_limit_token(fetch, healthy):
    answers = await asyncio.gather(*(fetch("/readyz") for _ in range(5)))
    assert {answer.code for answer in answers} == {200}


async def test_a_report_is_reused_for_a_few_seconds_and_then_checked_again(
        fetch, healthy, monkeypatch):
    first = await asyncio.gather(*(fetch("/readyz") for _ in range(5)))
    assert [r.code for r in first] == [200] * 5
    assert len(healthy.calls) == len(SERVICES)   # one check served all five

    healthy.answer("search", "health", ServiceUnavailable("no rpc-search queue"))
    assert json.loads((await fetch("/readyz")).body)["degraded"] == []  # still the last report
    monkeypatch.setattr(readiness, "MAX_AGE", 0.0)
    await fetch("/readyz")            # asks the services again, answers with what it knows
    assert len(healthy.calls) == 2 * len(SERVICES)
    assert json.loads((await fetch("/readyz")).body)["degraded"] == ["search"]


async def test_once_it_has_heard_the_services_readiness_never_waits_for_them(
        fetch, healthy, monkeypatch):
    assert (await fetch("/readyz")).code == 200
    monkeypatch.setattr(readiness, "MAX_AGE", 0.0)

    async def busy(*args, **kwargs):
        await asyncio.sleep(1.5)      # every service slow under load (TIMEOUT is 2 s)
    monkeypatch.setattr(healthy, "call", busy)
    started = asyncio.get_running_loop().time()
    response = await fetch("/readyz")
    assert response.code == 200 and json.loads(response.body)["degraded"] == []
    assert asyncio.get_running_loop().time() - started < 1.0
