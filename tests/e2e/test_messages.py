"""Messages after sending, on the real stack through Traefik: mentions and links,
edit, delete, pin, reactions, history around a message and newest first, fetch
by id; live events on the sockets and the change events on Kafka."""
from __future__ import annotations

import asyncio
import json
import uuid
from urllib.parse import quote

import pytest
from aiokafka import AIOKafkaConsumer

from services.common.config import get_config
from tests.support.client import Person, eventually, unique_email


@pytest.fixture
async def room(base_url):
    ann = await Person(base_url, unique_email("ann")).sign_up()
    bob = await Person(base_url, unique_email("bob")).sign_up()
    eve = await Person(base_url, unique_email("eve")).sign_up()
    created = await ann.call("POST", "/channels", {"name": f"msgs-{uuid.uuid4().hex[:8]}"})
    assert created.status == 201, created.body
    channel = created.body
    assert (await bob.call("POST", f"/channels/{channel['id']}/join")).status == 200
    yield ann, bob, eve, channel
    for person in (ann, bob, eve):
        person.close()


async def send(person, channel, text, client_msg_id=None):
    sent = await person.call("POST", f"/channels/{channel['id']}/messages",
                             {"client_msg_id": client_msg_id or uuid.uuid4().hex, "text": text})
    assert sent.status == 201, sent.body
    return sent.body


async def kafka_events(topic: str, match, count: int = 1, timeout: float = 20.0) -> list[dict]:
    """Read ``topic`` from the start (no group) until ``count`` events match."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=get_config()["kafka.bootstrap"],
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found: list[dict] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline and len(found) < count:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    event = json.loads(record.value)
                    if match(event):
                        found.append({**event, "_key": record.key})
    finally:
        await consumer.stop()
    return found


async def test_mentions_of_members_and_links_are_parsed_at_send(room):
    ann, bob, eve, channel = room
    message = await send(ann, channel, f"<@{bob.user_id}> <@{eve.user_id}> @here "
                                       "see https://parley.test/doc.")
    assert message["mentions"] == [bob.user_id, "here"]  # eve is not a member
    assert message["links"] == ["https://parley.test/doc"]

    async def bob_is_mentioned_once():  # users counts mentions from message.created
        unread = (await bob.call("GET", "/me/unread")).body.get(channel["id"], {})
        return unread.get("mentions") == 1 and unread
    await eventually(bob_is_mentioned_once)


async def test_edit_delete_pin_and_react_reach_sockets_history_and_kafka(room):
    ann, bob, eve, channel = room
    await bob.connect()
    base = f"/channels/{channel['id']}/messages"
    message = await send(ann, channel, "first draft")
    url = f"{base}/{message['id']}"

    edited = await ann.call("PATCH", url, {"text": "final text"})
    assert edited.status == 200, edited.body
    assert edited.body["text"] == "final text" and edited.body["edited_at"]
    assert (await ann.call("PATCH", url, {"text": "final text"})).body == edited.body
    assert (await bob.call("PATCH", url, {"text": "bob's"})).status == 403
    live = await bob.next_frame(lambda f: f["type"] == "message.updated")
    assert live["data"]["text"] == "final text"

    pinned = await bob.call("POST", f"{url}/pin")
    assert pinned.status == 200 and pinned.body["pinned_by"] == bob.user_id
    assert (await eve.call("POST", f"{url}/pin")).status == 403  # not a member

    thumbs = quote("👍")
    for person in (ann, bob, bob):
        reacted = await person.call("PUT", f"{url}/reactions/{thumbs}")
        assert reacted.status == 200, reacted.body
    assert reacted.body["reactions"] == [
        {"emoji": "👍", "count": 2, "user_ids": [ann.user_id, bob.user_id]}]
    assert (await bob.call("PUT", f"{url}/reactions/not%20emoji")).status == 400
    removed = await bob.call("DELETE", f"{url}/reactions/{thumbs}")
    assert removed.body["reactions"][0]["count"] == 1
    live = await bob.next_frame(lambda f: f["type"] == "reaction.removed")
    assert live["data"]["emoji"] == "👍" and live["data"]["user_id"] == bob.user_id

    got = await eve.call("GET", url)  # a public channel: anyone may read
    assert got.status == 200 and got.body["pinned"] is True

    assert (await bob.call("DELETE", url)).status == 403
    deleted = await ann.call("DELETE", url)
    assert deleted.status == 200 and deleted.body["deleted_at"]
    assert (deleted.body["text"], deleted.body["reactions"]) == ("", [])
    assert (await ann.call("DELETE", url)).body == deleted.body
    live = await bob.next_frame(lambda f: f["type"] == "message.deleted")
    assert live["data"]["id"] == message["id"]
    history = await bob.call("GET", base)
    assert history.body[-1]["deleted_at"] == deleted.body["deleted_at"]

    def about(event):
        data = event["data"]
        return data.get("id", data.get("message_id")) == message["id"]
    (kafka_deleted,) = await kafka_events("message.deleted", about)
    assert kafka_deleted["_key"] == channel["id"].encode()
    assert kafka_deleted["version"] == 1
    updates = await kafka_events("message.updated", about, count=2)
    assert len(updates) == 2  # the edit and the pin; the repeats made no event
    added = await kafka_events("reaction.added", about, count=3, timeout=5)
    assert len(added) == 2


async def test_reacting_and_editing_over_the_socket(room):
    ann, bob, eve, channel = room
    await ann.connect()
    message = await send(ann, channel, "hi")
    frame = {"channel_id": channel["id"], "message_id": message["id"]}
    ack = await ann.request({"type": "react", **frame, "emoji": "tada"})
    assert ack["type"] == "ack" and ack["message"]["reactions"][0]["emoji"] == "tada"
    ack = await ann.request({"type": "react", **frame, "emoji": "tada", "remove": True})
    assert ack["message"]["reactions"] == []
    ack = await ann.request({"type": "edit", **frame, "text": "hi all"})
    assert ack["message"]["text"] == "hi all"
    ack = await ann.request({"type": "delete", **frame})
    assert ack["message"]["deleted_at"]


async def test_history_around_a_message_newest_first_and_private_fetch(room):
    ann, bob, eve, channel = room
    sent = [await send(ann, channel, f"m{i}") for i in range(1, 8)]
    base = f"/channels/{channel['id']}/messages"
    around = await bob.call("GET", f"{base}?around=4&limit=3")
    assert [m["seq"] for m in around.body] == [3, 4, 5]
    newest = await bob.call("GET", f"{base}?limit=3&order=newest")
    assert [m["seq"] for m in newest.body] == [7, 6, 5]
    assert (await bob.call("GET", f"{base}?order=sideways")).status == 400

    secret = await ann.call("POST", "/channels", {"name": f"s-{uuid.uuid4().hex[:8]}",
                                                  "is_private": True})
    hidden = await send(ann, secret.body, "members only")
    hidden_url = f"/channels/{secret.body['id']}/messages/{hidden['id']}"
    assert (await ann.call("GET", hidden_url)).status == 200
    assert (await eve.call("GET", hidden_url)).status == 404
    # a message id under the wrong channel is not found
    wrong = f"/channels/{secret.body['id']}/messages/{sent[0]['id']}"
    assert (await ann.call("GET", wrong)).status == 404


async def test_concurrent_reactions_on_one_message_all_count(room):
    """Twelve reactions at once on FerretDB (whose updates are not isolated):
    each change claims its own revision, so none is lost."""
    ann, bob, eve, channel = room
    message = await send(ann, channel, "react to me")
    url = f"/channels/{channel['id']}/messages/{message['id']}/reactions"
    emoji = ["tada", "eyes", "rocket", "fire", "heart", "wave"]
    replies = await asyncio.gather(*(person.call("PUT", f"{url}/{e}")
                                     for person in (ann, bob) for e in emoji))
    assert all(r.status == 200 for r in replies), [r.body for r in replies]
    final = await ann.call("GET", f"/channels/{channel['id']}/messages/{message['id']}")
    assert sorted(r["emoji"] for r in final.body["reactions"]) == sorted(emoji)
    assert all(r["count"] == 2 for r in final.body["reactions"])
    added = await kafka_events("reaction.added",
                               lambda e: e["data"]["message_id"] == message["id"], count=12)
    assert len({e["event_id"] for e in added}) == 12


async def test_a_thread_counts_its_replies_and_pages_them(room):
    ann, bob, eve, channel = room
    base = f"/channels/{channel['id']}/messages"
    parent = await send(ann, channel, "a question")
    for i, person in enumerate((bob, ann, bob)):
        answered = await person.call("POST", base, {
            "client_msg_id": f"r-{i}", "text": f"answer {i}", "thread_parent_id": parent["id"],
            "also_to_channel": i == 2})
        assert answered.status == 201, answered.body
    again = await bob.call("POST", base, {"client_msg_id": "r-0", "text": "answer 0",
                                          "thread_parent_id": parent["id"]})
    assert again.status == 200
    now = (await eve.call("GET", f"{base}/{parent['id']}")).body
    assert now["reply_count"] == 3
    assert now["participants"] == [bob.user_id, ann.user_id]
    replies = await eve.call("GET", f"{base}/{parent['id']}/replies?limit=2")
    assert [m["text"] for m in replies.body] == ["answer 0", "answer 1"]
    rest = await eve.call("GET", f"{base}/{parent['id']}/replies?after={replies.body[-1]['seq']}")
    assert [(m["text"], m["also_to_channel"]) for m in rest.body] == [("answer 2", True)]
