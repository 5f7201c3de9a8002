"""services/messaging/relay.py over the outbox (storage.enqueue): what it
produces, in which order, and what it does with entries whose write is still
under way or never happened. A recording producer stands in for Kafka here;
tests/integration/test_kafka_outage.py runs the real relay against real Kafka."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from bson import ObjectId

from services.messaging import relay, storage
from services.messaging.tests.mongo_races import stored


class Producer:
    """Records what would go to Kafka; every send is acknowledged at once."""

    def __init__(self):
        self.sent: list[tuple[str, bytes, dict]] = []

    async def send(self, topic, value, key=None, headers=None):
        self.sent.append((topic, key, json.loads(value)))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@pytest.fixture
def producer() -> Producer:
    return Producer()


def relay_once(mongo, producer) -> int:
    return asyncio.run(relay.relay_once(mongo, producer))


def test_messages_and_their_changes_are_produced_in_the_order_made_keyed_by_channel(
        messaging, mongo, producer):
    sent = messaging.send("ada", "general", "c-1", "hello")
    messaging.react("bob", "general", sent["id"], "tada")
    messaging.edit("ada", "general", sent["id"], "hello!")
    assert relay_once(mongo, producer) == 3
    assert [(topic, key) for topic, key, _ in producer.sent] == [
        ("message.created", b"general"), ("reaction.added", b"general"),
        ("message.updated", b"general")]
    created, _, updated = (event for _, _, event in producer.sent)
    assert created["event_id"] == sent["id"] and created["request_id"] == "req-1"
    assert updated["data"]["text"] == "hello!"


def test_produced_entries_leave_the_outbox_so_nothing_is_produced_twice(
        messaging, mongo, producer):
    messaging.send("ada", "general", "c-1", "hello")
    relay_once(mongo, producer)
    assert stored(mongo.outbox) == []
    assert relay_once(mongo, producer) == 0
    assert len(producer.sent) == 1


def test_an_entry_whose_message_is_not_stored_yet_waits_without_holding_up_others(
        messaging, mongo, producer):
    storage.enqueue(mongo, "message", str(ObjectId()), "general")  # its insert under way
    messaging.send("ada", "general", "c-1", "hello")
    assert relay_once(mongo, producer) == 1
    assert [topic for topic, _, _ in producer.sent] == ["message.created"]
    assert len(stored(mongo.outbox)) == 1


def test_an_entry_whose_write_never_happened_is_dropped_after_a_while(mongo, producer,
                                                                       monkeypatch):
    storage.enqueue(mongo, "message", str(ObjectId()), "general")
    storage.enqueue(mongo, "change", "x:000001", "general", "e-1")
    later = storage._now() + storage.ORPHAN_AFTER + timedelta(seconds=1)
    monkeypatch.setattr(storage, "_now", lambda: later)
    assert relay_once(mongo, producer) == 2
    assert producer.sent == [] and stored(mongo.outbox) == []


def test_the_entry_of_a_change_that_lost_its_race_produces_nothing(mongo, producer):
    storage.enqueue(mongo, "change", "m:000001", "general", "loser")
    mongo.message_changes.insert_one({"_id": "m:000001", "event": "{}", "event_id": "winner"})
    assert relay_once(mongo, producer) == 1
    assert producer.sent == []


def test_the_backlog_counts_waiting_events_and_the_oldest_ones_age(mongo):
    assert storage.outbox_backlog(mongo) == (0, 0.0)
    storage.enqueue(mongo, "message", str(ObjectId()), "general")
    count, age = storage.outbox_backlog(mongo, now=storage._now() + timedelta(seconds=5))
    assert count == 1 and 4.9 < age < 6
