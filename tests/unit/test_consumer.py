"""services/common/consumer.py: how one Kafka record is applied to a service."""
from __future__ import annotations

import importlib
import json
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY

from services.common import consumer
from services.common.errors import (InvalidInput, NotFound, RateLimited, RpcTimeout,
                                   ServiceUnavailable)

ROUTES = {"message.created": "on_message_created"}


class ScriptedRpc:
    """Answers each call with the next outcome: an exception to raise, or a result."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    async def call(self, service, method, *args, _context=None, **kwargs):
        self.calls.append((service, method, args, _context))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """The back-off delays the consumer asked for (without waiting for them)."""
    delays: list[float] = []

    async def fake_sleep(delay):
        delays.append(delay)

    monkeypatch.setattr(consumer, "backoff", fake_sleep)  # only the consumer's waits
    return delays


def record(value, topic="message.created", offset=41):
    return SimpleNamespace(topic=topic, offset=offset,
                           value=value if isinstance(value, bytes) else json.dumps(value).encode())


async def test_an_event_is_handed_to_the_method_its_topic_routes_to(sleeps):
    rpc = ScriptedRpc({"counted": True})
    event = {"event_id": "m1", "type": "message.created", "request_id": "req-7", "data": {}}
    await consumer.apply(rpc, "users", ROUTES, record(event))
    assert rpc.calls == [("users", "on_message_created", (event,), {"request_id": "req-7"})]
    assert sleeps == []


async def test_an_event_the_service_rejects_as_invalid_is_skipped_without_retrying(sleeps):
    rpc = ScriptedRpc(InvalidInput("bad event"))
    await consumer.apply(rpc, "users", ROUTES, record({"type": "message.created"}))
    assert len(rpc.calls) == 1
    assert sleeps == []


async def test_a_record_that_is_not_json_is_skipped_without_calling_the_service(sleeps):
    rpc = ScriptedRpc()
    await consumer.apply(rpc, "users", ROUTES, record(b"\x00not json"))
    assert rpc.calls == []


@pytest.mark.parametrize("value", [[1], None, "text", 7])
async def test_a_record_that_is_json_but_not_an_object_is_skipped(sleeps, value):
    rpc = ScriptedRpc()
    await consumer.apply(rpc, "users", ROUTES, record(json.dumps(value).encode()))
    assert rpc.calls == [] and sleeps == []


async def test_a_failing_call_is_retried_with_doubling_backoff_until_it_succeeds(sleeps):
    rpc = ScriptedRpc(ServiceUnavailable(), RpcTimeout(), RuntimeError("boom"), {"ok": 1})
    await consumer.apply(rpc, "channels", ROUTES, record({"type": "message.created"}))
    assert len(rpc.calls) == 4
    assert sleeps == pytest.approx([0.2, 0.4, 0.8])


async def test_the_backoff_never_exceeds_five_seconds(sleeps):
    rpc = ScriptedRpc(*[ServiceUnavailable()] * 8, {"ok": 1})
    await consumer.apply(rpc, "users", ROUTES, record({"type": "message.created"}))
    assert max(sleeps) == 5.0
    assert sleeps[-3:] == [5.0, 5.0, 5.0]


async def test_an_event_about_something_that_does_not_exist_is_skipped(sleeps):
    rpc = ScriptedRpc(NotFound("no such channel"))
    await consumer.apply(rpc, "users", ROUTES, record({"type": "message.created"}))
    assert len(rpc.calls) == 1 and sleeps == []


async def test_being_rate_limited_is_retried_not_skipped(sleeps):
    rpc = ScriptedRpc(RateLimited("slow down"), {"ok": 1})
    await consumer.apply(rpc, "users", ROUTES, record({"type": "message.created"}))
    assert len(rpc.calls) == 2 and sleeps == [0.2]


def duplicates(group: str) -> float:
    return REGISTRY.get_sample_value("parley_events_duplicates_total", {
        "topic": "message.created", "group": group}) or 0.0


async def test_an_event_the_service_had_applied_already_counts_as_a_duplicate(sleeps):
    already_applied = importlib.import_module("services.users.consumer").already_applied
    rpc = ScriptedRpc({"message_id": "m1", "counted": True},
                      {"message_id": "m1", "counted": False})   # the replay
    before = duplicates("parley-users")
    for _ in range(2):
        await consumer.apply(rpc, "users", ROUTES, record({"type": "message.created"}),
                             already_applied)
    assert duplicates("parley-users") == before + 1


@pytest.mark.parametrize("service, first, replay", [
    ("users", {"counted": True}, {"counted": False}),
    ("channels", {"counted": True}, {"counted": False}),
    ("search", {"changed": True}, {"changed": False}),
    ("notifications", {"recorded": 2, "notified": ["ada"]}, {"recorded": 0, "notified": ["ada"]}),
])
def test_each_consumer_tells_a_replay_from_its_services_answer(service, first, replay):
    already_applied = importlib.import_module(f"services.{service}.consumer").already_applied
    assert not already_applied(first)
    assert already_applied(replay)


def test_a_message_nobody_is_to_be_told_about_is_no_duplicate():
    already_applied = importlib.import_module("services.notifications.consumer").already_applied
    assert not already_applied({"recorded": 0, "notified": []})
    assert not already_applied({"message_id": "m1", "stale": True, "recorded": 0})
