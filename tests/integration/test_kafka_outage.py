"""Kafka goes away and comes back: nothing that people see changes, nothing is lost.

With the broker stopped, sends keep succeeding and reach sockets in real time; their
events wait in the outbox. When Kafka returns, the relay publishes them, and every
consumer applies each message exactly once in effect, even when a consumer is killed
while it catches up."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from ops.stack import supervisor
from ops.stack.programs import infrastructure
from services.common.events import MESSAGE_CREATED
from services.common.stores import mongo_database
from tests.support.client import Person, eventually, unique_email

MESSAGES = 20


def kafka_healthy() -> bool:
    kafka = next(p for p in infrastructure() if p.name == "kafka")
    return supervisor.states()["kafka"]["statename"] == "RUNNING" and kafka.check() is None


@pytest.fixture
async def kafka_stopped(stack):
    """Kafka is stopped for the test and always started again afterwards."""
    await asyncio.to_thread(supervisor.stop_all, ["kafka"], 60)
    try:
        yield
    finally:
        supervisor.start("kafka")

        async def back():
            return await asyncio.to_thread(kafka_healthy)

        await eventually(back, timeout=120, interval=1)


async def events_on_kafka(stack, channel_id: str) -> list[dict]:
    """Every message.created record of one channel now on the topic."""
    consumer = AIOKafkaConsumer(MESSAGE_CREATED, bootstrap_servers=stack["kafka.bootstrap"],
                                group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        found = []
        while True:
            batches = await consumer.getmany(timeout_ms=2000, max_records=5000)
            if not batches:
                return found
            for records in batches.values():
                found += [json.loads(r.value) for r in records if r.key == channel_id.encode()]
    finally:
        await consumer.stop()


async def test_sends_survive_a_kafka_outage_and_each_event_counts_once(
        base_url, stack, kafka_stopped):
    ann = await Person(base_url, unique_email("ann")).sign_up()
    bob = await Person(base_url, unique_email("bob")).sign_up()
    created = await ann.call("POST", "/channels", {"name": f"outage-{uuid.uuid4().hex[:8]}"})
    channel_id = created.body["id"]
    assert (await bob.call("POST", f"/channels/{channel_id}/join")).status == 200
    await bob.connect()
    try:
        # Kafka is down: sends succeed and arrive live
        sent = []
        for i in range(MESSAGES):
            answer = await ann.call("POST", f"/channels/{channel_id}/messages",
                                    {"client_msg_id": f"o-{i}", "text": f"during outage {i}"})
            assert answer.status == 201, answer.body
            sent.append(answer.body["id"])
        for message_id in sent:
            await bob.next_frame(lambda f, m=message_id: f["type"] == "message.created"
                                 and f["data"]["id"] == m)
        waiting = mongo_database().messages.count_documents(
            {"channel_id": channel_id, "published": False})
        assert waiting == MESSAGES  # in the outbox, not lost

        # Kafka returns; a consumer dies while it catches up
        supervisor.start("kafka")
        await eventually(lambda: asyncio.to_thread(kafka_healthy), timeout=120, interval=1)
        os.kill(supervisor.states()["users-consumer"]["pid"], signal.SIGKILL)

        async def counted_once_everywhere():
            unread = (await bob.call("GET", "/me/unread")).body.get(channel_id, {})
            channel = (await ann.call("GET", f"/channels/{channel_id}")).body
            return (unread.get("unread") == MESSAGES and channel["message_count"] == MESSAGES
                    and channel["last_message_seq"] == MESSAGES)

        await eventually(counted_once_everywhere, timeout=90, interval=0.5)
        assert mongo_database().messages.count_documents(
            {"channel_id": channel_id, "published": False}) == 0

        # each message is on the topic (a duplicate would be deduped by event_id)
        events = await events_on_kafka(stack, channel_id)
        assert {e["event_id"] for e in events} == set(sent)
        await asyncio.sleep(2)  # nothing counted twice after the consumer's restart
        assert (await bob.call("GET", "/me/unread")).body[channel_id]["unread"] == MESSAGES
    finally:
        bob.close()
