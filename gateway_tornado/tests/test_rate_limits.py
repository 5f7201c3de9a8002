"""gateway_tornado/ratelimit.py and its use by every HTTP handler: a person's
requests share one bucket on every gateway, anonymous requests one per address,
a refusal is 429 with Retry-After, and a Redis outage lets requests through."""
from __future__ import annotations

import asyncio
import json

import fakeredis
import pytest
import redis

from gateway_tornado.ratelimit import Bucket, RateLimiter
from services.common.errors import RateLimited
from services.common.metrics import RATE_LIMIT_REJECTIONS, RATE_LIMIT_UNAVAILABLE


def limiter_of(client, rate=1.0, burst=3) -> RateLimiter:
    return RateLimiter(client, {"user": Bucket("user", rate, burst),
                                "ip": Bucket("ip", rate, burst)})


@pytest.fixture
def store():
    return fakeredis.FakeAsyncRedis(decode_responses=True)


async def test_a_full_bucket_lets_a_burst_through_then_refuses_with_the_wait(store):
    limiter = limiter_of(store, rate=1.0, burst=3)
    for _ in range(3):
        await limiter.check("user", "ada")
    with pytest.raises(RateLimited) as refused:
        await limiter.check("user", "ada")
    assert refused.value.retry_after == 1
    assert refused.value.to_dict()["code"] == "rate_limited"


async def test_the_bucket_refills_at_its_rate(store):
    limiter = limiter_of(store, rate=20.0, burst=1)
    await limiter.check("user", "ada")
    with pytest.raises(RateLimited):
        await limiter.check("user", "ada")
    await asyncio.sleep(0.06)  # 1/20 s brings one token back
    await limiter.check("user", "ada")


async def test_each_person_and_each_scope_has_a_bucket_of_its_own(store):
    limiter = limiter_of(store, burst=1)
    await limiter.check("user", "ada")
    await limiter.check("user", "bob")
    await limiter.check("ip", "ada")
    with pytest.raises(RateLimited):
        await limiter.check("user", "ada")


async def test_two_gateways_share_one_bucket_per_person(store):
    first, second = limiter_of(store, burst=2), limiter_of(store, burst=2)
    await first.check("user", "ada")
    await second.check("user", "ada")
    with pytest.raises(RateLimited):
        await first.check("user", "ada")


async def test_refusals_are_counted_by_scope(store):
    limiter = limiter_of(store, burst=1)
    before = RATE_LIMIT_REJECTIONS.labels("ip")._value.get()
    await limiter.check("ip", "10.0.0.1")
    with pytest.raises(RateLimited):
        await limiter.check("ip", "10.0.0.1")
    assert RATE_LIMIT_REJECTIONS.labels("ip")._value.get() == before + 1


async def test_when_redis_cannot_answer_requests_go_through_and_are_counted(store,
                                                                           monkeypatch):
    limiter = limiter_of(store, burst=1)

    async def away(*args, **kwargs):
        raise redis.ConnectionError("redis is away")

    monkeypatch.setattr(limiter, "_take", away)
    before = RATE_LIMIT_UNAVAILABLE._value.get()
    for _ in range(3):
        await limiter.check("user", "ada")
    assert RATE_LIMIT_UNAVAILABLE._value.get() == before + 3


# -- through the HTTP handlers ------------------------------------------------------
async def test_a_person_over_the_limit_gets_429_with_retry_after(fetch, gateway, rpc,
                                                                bearer):
    gateway.limiter.buckets["user"] = Bucket("user", 0.5, 2)
    rpc.answer("users", "get", {"user_id": "u-1", "display_name": "Ada"})
    rpc.answer("users", "touch", None)
    answers = [await fetch("/api/v1/me", headers=bearer("u-1")) for _ in range(3)]
    assert [a.code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"] == "2"
    assert json.loads(answers[2].body)["error"]["code"] == "rate_limited"
    assert rpc.methods_called().count("users.get") == 2  # the refused one reached nothing


async def test_signed_in_people_behind_one_address_do_not_share_a_limit(fetch, gateway, rpc,
                                                                        bearer):
    gateway.limiter.buckets["user"] = Bucket("user", 0.5, 1)
    gateway.limiter.buckets["ip"] = Bucket("ip", 0.5, 1)
    rpc.answer("users", "get", lambda user_id, *_: {"user_id": user_id})
    rpc.answer("users", "touch", None)
    answers = [await fetch("/api/v1/me", headers=bearer(person))
               for person in ("u-1", "u-2", "u-3")]
    assert [a.code for a in answers] == [200, 200, 200]


async def test_anonymous_requests_are_limited_per_address(fetch, gateway, rpc):
    gateway.limiter.buckets["ip"] = Bucket("ip", 0.5, 1)
    rpc.answer("auth", "login", {"access_token": "t", "user_id": "u-1"})
    body = {"email": "ada@example.test", "password": "correct horse battery"}
    first = await fetch("/api/v1/auth/login", "POST", body)
    second = await fetch("/api/v1/auth/login", "POST", body)
    assert (first.code, second.code) == (200, 429)
    assert rpc.methods_called() == ["auth.login"]
