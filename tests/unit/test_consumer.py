"""services/common/consumer.py: how a fetch of Kafka records is applied to a service,
a topic's records per ``apply_events`` call, whatever their partitions."""
from __future__ import annotations

import importlib
import json
from types import SimpleNamespace

import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from services.common import consumer
from services.common.errors import InvalidInput, RateLimited, RpcTimeout, ServiceUnavailable

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


def applied(*answers):
    """The service's answer to a batch: each event applied with this answer."""
    return [{"answer": answer} for answer in answers]


async def test_the_events_of_a_fetch_go_to_the_service_in_one_call_in_order(sleeps):
    events = [{"event_id": f"m{n}", "type": "message.created", "request_id": f"req-{n}",
               "data": {}} for n in range(3)]
    rpc = ScriptedRpc(applied({"counted": True}, {"counted": True}, {"counted": True}))
    await consumer.apply(rpc, "users", [record(e, offset=n) for n, e in enumerate(events)])
    assert rpc.calls == [("users", "apply_events", ("message.created", events), None)]
    assert sleeps == []


def test_a_fetch_makes_one_call_per_topic_with_each_partitions_records_in_order():
    partition = TopicPartition
    created = {n: [record({}, offset=n * 10 + k) for k in range(2)] for n in range(3)}
    updated = [record({}, topic="message.updated", offset=7)]
    fetch = {partition("message.created", 0): created[0],
             partition("message.updated", 0): updated,
             partition("message.created", 1): created[1],
             partition("message.created", 2): created[2]}
    assert consumer.calls_of(fetch) == [created[0] + created[1] + created[2], updated]


def test_a_topics_records_go_batch_at_a_time():
    records = [record({}, offset=n) for n in range(consumer.BATCH * 2 + 1)]
    calls = consumer.calls_of({TopicPartition("message.created", 0): records})
    assert [len(call) for call in calls] == [consumer.BATCH, consumer.BATCH, 1]
    assert [r for call in calls for r in call] == records


async def test_an_event_the_service_refuses_for_good_is_skipped_and_the_others_count(sleeps):
    before = consumed("parley-users")
    rpc = ScriptedRpc([{"refused": InvalidInput("bad event").to_dict()},
                       {"answer": {"counted": True}}])
    await consumer.apply(rpc, "users", [record({"type": "message.created"}, offset=n)
                                        for n in range(2)])
    assert len(rpc.calls) == 1 and sleeps == []
    assert consumed("parley-users") == before + 1


async def test_a_record_that_is_not_json_is_skipped_without_calling_the_service(sleeps):
    rpc = ScriptedRpc()
    await consumer.apply(rpc, "users", [record(b"\x00not json")])
    assert rpc.calls == []


@pytest.mark.parametrize("value", [[1], None, "text", 7])
async def test_a_record_that_is_json_but_not_an_object_is_left_out_of_the_call(sleeps, value):
    rpc = ScriptedRpc(applied({"counted": True}))
    await consumer.apply(rpc, "users", [record(json.dumps(value).encode()),
                                        record({"event_id": "m1"}, offset=42)])
    assert [call[2][1] for call in rpc.calls] == [[{"event_id": "m1"}]] and sleeps == []


async def test_a_failing_call_is_retried_with_doubling_backoff_until_it_succeeds(sleeps):
    rpc = ScriptedRpc(ServiceUnavailable(), RpcTimeout(), RuntimeError("boom"),
                      applied({"ok": 1}))
    await consumer.apply(rpc, "channels", [record({"type": "message.created"})])
    assert len(rpc.calls) == 4
    assert sleeps == pytest.approx([0.2, 0.4, 0.8])


async def test_the_backoff_never_exceeds_five_seconds(sleeps):
    rpc = ScriptedRpc(*[ServiceUnavailable()] * 8, applied({"ok": 1}))
    await consumer.apply(rpc, "users", [record({"type": "message.created"})])
    assert max(sleeps) == 5.0
    assert sleeps[-3:] == [5.0, 5.0, 5.0]


async def test_a_call_the_service_refuses_as_a_whole_is_not_retried(sleeps):
    rpc = ScriptedRpc(InvalidInput("this service follows no topic 'x'"))
    await consumer.apply(rpc, "users", [record({"type": "x"}, topic="x")])
    assert len(rpc.calls) == 1 and sleeps == []


async def test_being_rate_limited_is_retried_not_skipped(sleeps):
    rpc = ScriptedRpc(RateLimited("slow down"), applied({"ok": 1}))
    await consumer.apply(rpc, "users", [record({"type": "message.created"})])
    assert len(rpc.calls) == 2 and sleeps == [0.2]


def duplicates(group: str) -> float:
    return REGISTRY.get_sample_value("parley_events_duplicates_total", {
        "topic": "message.created", "group": group}) or 0.0


def consumed(group: str) -> float:
    return REGISTRY.get_sample_value("parley_events_consumed_total", {
        "topic": "message.created", "group": group}) or 0.0


async def test_an_event_the_service_had_applied_already_counts_as_a_duplicate(sleeps):
    already_applied = importlib.import_module("services.users.consumer").already_applied
    rpc = ScriptedRpc(applied({"message_id": "m1", "counted": True}),
                      applied({"message_id": "m1", "counted": False}))   # the replay
    before = duplicates("parley-users")
    for _ in range(2):
        await consumer.apply(rpc, "users", [record({"type": "message.created"})],
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
