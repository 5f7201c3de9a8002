"""Kafka goes away and comes back: nothing that people see changes, nothing is lost.

With the broker stopped, every kind of message change keeps succeeding and reaches
sockets in real time: sends, thread replies, edits, deletes, reactions added and
removed. Their events wait in messaging's outbox. When Kafka returns, the relay puts
each on its topic, and every consumer applies each exactly once in effect (unread and
mention counts, channel counts, the search index): even when consumers are killed
while they catch up, and even when restarted consumers read the whole outage again
from offsets behind what they had already applied."""
from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections import defaultdict

import pytest

from ops.stack import supervisor
from ops.stack.programs import infrastructure
from services.channels.consumer import ROUTES as CHANNELS_ROUTES
from services.common.events import (MESSAGE_CREATED, MESSAGE_DELETED, MESSAGE_UPDATED,
                                    REACTION_ADDED, REACTION_REMOVED, TOPICS)
from services.search.consumer import ROUTES as SEARCH_ROUTES
from services.users.consumer import ROUTES as USERS_ROUTES
from tests.support.client import Person, eventually, unique_email
from tests.support.kafka import committed_up_to, log_ends, records_since, rewind

MESSAGES = 8
# consumer program -> (its group, the topics it reads)
CONSUMERS = {"users-consumer": ("parley-users", tuple(USERS_ROUTES)),
             "channels-consumer": ("parley-channels", tuple(CHANNELS_ROUTES)),
             "search-consumer": ("parley-search", tuple(SEARCH_ROUTES))}


def kafka_healthy() -> bool:
    kafka = next(p for p in infrastructure() if p.name == "kafka")
    return supervisor.states()["kafka"]["statename"] == "RUNNING" and kafka.check() is None


async def kafka_back() -> None:
    supervisor.start("kafka")
    await eventually(lambda: asyncio.to_thread(kafka_healthy), timeout=120, interval=1)


@pytest.fixture
async def kafka_outage(stack):
    """Stops Kafka for the test (and always starts it again afterwards); yields the
    topics' end offsets from just before it stopped."""
    before = await log_ends(stack["kafka.bootstrap"])
    await asyncio.to_thread(supervisor.stop_all, ["kafka"], 60)
    try:
        yield before
    finally:
        if not await asyncio.to_thread(kafka_healthy):
            await kafka_back()
        for program in CONSUMERS:  # the replay step stops them; never leave them down
            if supervisor.states()[program]["statename"] != "RUNNING":
                supervisor.start(program)


async def test_every_change_survives_a_kafka_outage_and_each_event_counts_once(
        base_url, stack, kafka_outage):
    bootstrap = stack["kafka.bootstrap"]
    ann = await Person(base_url, unique_email("ann")).sign_up()
    bob = await Person(base_url, unique_email("bob")).sign_up()
    created = await ann.call("POST", "/channels", {"name": f"outage-{uuid.uuid4().hex[:8]}"})
    channel_id = created.body["id"]
    assert (await bob.call("POST", f"/channels/{channel_id}/join")).status == 200
    word = f"zq{uuid.uuid4().hex[:8]}"   # this run's words, unique in the search index
    await bob.connect()
    try:
        def live(kind, match=lambda data: True):
            return bob.next_frame(lambda f: f["type"] == kind and match(f["data"]))

        # -- Kafka is down: every kind of change succeeds and arrives live ---------------
        sent = []
        for i in range(MESSAGES):
            mention = f" <@{bob.user_id}>" if i in (4, 5) else ""
            answer = await ann.call("POST", f"/channels/{channel_id}/messages",
                                    {"client_msg_id": f"o-{i}",
                                     "text": f"during outage {word}{i}x{mention}"})
            assert answer.status == 201, answer.body
            sent.append(answer.body["id"])
        for message_id in sent:
            await live(MESSAGE_CREATED, lambda d, m=message_id: d["id"] == m)

        edited, deleted, reacted, parent = sent[1], sent[2], sent[3], sent[0]
        answer = await ann.call("PATCH", f"/channels/{channel_id}/messages/{edited}",
                                {"text": f"edited {word}edit"})
        assert answer.status == 200, answer.body
        await live(MESSAGE_UPDATED, lambda d: d["id"] == edited and d["edited_at"])

        answer = await ann.call("DELETE", f"/channels/{channel_id}/messages/{deleted}")
        assert answer.status == 200, answer.body
        await live(MESSAGE_DELETED, lambda d: d["id"] == deleted)

        for emoji in ("thumbsup", "tada"):   # bob, over his socket
            ack = await bob.request({"type": "react", "channel_id": channel_id,
                                     "message_id": reacted, "emoji": emoji})
            assert ack["type"] == "ack", ack
            await live(REACTION_ADDED, lambda d, e=emoji: (d["message_id"], d["emoji"])
                       == (reacted, e))
        answer = await bob.call("DELETE",
                                f"/channels/{channel_id}/messages/{reacted}/reactions/tada")
        assert answer.status == 200, answer.body
        await live(REACTION_REMOVED, lambda d: (d["message_id"], d["emoji"]) == (reacted, "tada"))

        answer = await ann.call("POST", f"/channels/{channel_id}/messages",
                                {"client_msg_id": "o-reply", "thread_parent_id": parent,
                                 "text": f"a reply {word}reply"})
        assert answer.status == 201, answer.body
        reply = answer.body["id"]
        sent.append(reply)
        await live(MESSAGE_CREATED, lambda d: d["id"] == reply and d["thread_parent_id"] == parent)
        await live(MESSAGE_UPDATED, lambda d: d["id"] == parent and d["reply_count"] == 1)

        # -- Kafka returns; consumers are killed while they catch up ---------------------
        await kafka_back()
        for program in CONSUMERS:
            os.kill(supervisor.states()[program]["pid"], signal.SIGKILL)

        async def applied_by_every_consumer():
            """Counted once (counts only ever grow), indexed as it is now."""
            answers = [await bob.call("GET", "/me/unread"),
                       await ann.call("GET", f"/channels/{channel_id}"),
                       *[await bob.search(q, channel_id=channel_id) for q in indexed]]
            if any(a.status != 200 for a in answers):  # a gateway restarting: ask again
                return False
            unread, channel = answers[0].body.get(channel_id, {}), answers[1].body
            found = {q: [r["id"] for r in a.body["results"]]
                     for q, a in zip(indexed, answers[2:])}
            return (unread.get("unread") == MESSAGES + 1 and unread.get("mentions") == 2
                    and channel["message_count"] == MESSAGES + 1
                    and channel["last_message_seq"] == MESSAGES + 1
                    and found == indexed)

        # Each kind of change travels on its own topic, so the search consumer may apply
        # the edit before the deletion: wait for every change, not only some of them.
        indexed = {f"{word}edit": [edited], f"{word}reply": [reply],
                   f"{word}1x": [],            # the edit replaced the words
                   f"{word}2x": [],            # the deleted message is gone
                   f"{word}3x": [reacted]}

        await eventually(applied_by_every_consumer, timeout=60, interval=0.5)

        # -- every event is on its topic; each change is one event (replays share its id)
        records = await records_since(bootstrap, kafka_outage, {channel_id})
        assert {topic for topic, _ in records} <= set(TOPICS)
        assert all(topic == event["type"] for topic, event in records)
        by_id = defaultdict(list)
        for _, event in records:
            by_id[event["event_id"]].append(event)
        assert all(e == copies[0] for copies in by_id.values() for e in copies)  # replays
        events = [copies[0] for copies in by_id.values()]

        def of(kind, match):
            return [e for e in events if e["type"] == kind and match(e["data"])]

        assert {e["event_id"] for e in events if e["type"] == MESSAGE_CREATED} == set(sent)
        assert [e["data"]["text"] for e in of(MESSAGE_UPDATED, lambda d: d["id"] == edited)] \
            == [f"edited {word}edit"]
        assert len(of(MESSAGE_DELETED, lambda d: d["id"] == deleted)) == 1
        assert sorted(e["data"]["emoji"] for e in of(REACTION_ADDED, lambda d: True)) \
            == ["tada", "thumbsup"]
        assert [(e["data"]["emoji"], e["data"]["user_id"])
                for e in of(REACTION_REMOVED, lambda d: True)] == [("tada", bob.user_id)]
        assert [e["data"]["reply_count"] for e in of(MESSAGE_UPDATED, lambda d: d["id"] == parent)] \
            == [1]
        assert len(events) == len(sent) + 6  # nothing else was said about this channel

        async def hits(q):
            return [r["id"] for r in (await bob.search(q, channel_id=channel_id)).body["results"]]

        # -- consumers restarted behind what they applied read the outage again: no effect
        ends = await log_ends(bootstrap)
        await asyncio.to_thread(supervisor.stop_all, list(CONSUMERS), 60)
        for group, topics in CONSUMERS.values():
            await eventually(lambda g=group, t=topics: rewind(
                bootstrap, g, {tp: o for tp, o in kafka_outage.items() if tp.topic in t}),
                timeout=30, interval=1)
        for program in CONSUMERS:
            supervisor.start(program)
        for group, topics in CONSUMERS.values():
            await eventually(lambda g=group, t=topics: committed_up_to(
                bootstrap, g, {tp: o for tp, o in ends.items() if tp.topic in t}),
                timeout=30, interval=0.5)
        await eventually(applied_by_every_consumer, timeout=10, interval=0.5)
        assert await hits(f"{word}1x") == [] and await hits(f"{word}2x") == []
    finally:
        bob.close()
