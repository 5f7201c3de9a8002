"""Presence and typing across both gateways (Traefik places each socket): a
person's status changes reach the people who share a channel with them, and
nobody else; typing notices reach the channel's members."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.support.client import Person, unique_email


@pytest.fixture
async def three_people(base_url):
    """Ann and Bob share a channel; Carl shares nothing with Ann. Bob and Carl are
    connected; Ann is not yet."""
    ann, bob, carl = [await Person(base_url, unique_email(n)).sign_up()
                      for n in ("ann", "bob", "carl")]
    created = await ann.call("POST", "/channels", {"name": f"pres-{uuid.uuid4().hex[:8]}"})
    assert created.status == 201, created.body
    assert (await bob.call("POST", f"/channels/{created.body['id']}/join")).status == 200
    await bob.connect()
    await carl.connect()
    yield ann, bob, carl, created.body["id"]
    for person in (ann, bob, carl):
        person.close()


def presence_of(user_id: str, status: str):
    return lambda f: (f["type"] == "presence.changed" and f["data"]["user_id"] == user_id
                      and f["data"]["status"] == status)


async def test_status_changes_reach_those_who_share_a_channel_and_nobody_else(three_people):
    ann, bob, carl, _ = three_people
    first = await ann.connect()
    online = await bob.next_frame(presence_of(ann.user_id, "online"))
    assert online["data"]["last_seen_at"] is not None

    # a dropped connection that comes back at once is no change: nobody hears of it
    ann.close()
    await ann.connect()
    await ann.next_frame(lambda f: f["type"] == "hello"
                         and f["session_id"] != first["session_id"])

    idle = await ann.request({"type": "presence", "state": "idle"})
    assert idle == {"type": "ack", "status": "away", "req_id": idle["req_id"]}
    await bob.next_frame(presence_of(ann.user_id, "away"))
    seen = (await bob.call("GET", f"/presence?user_ids={ann.user_id}")).body[ann.user_id]
    assert seen["status"] == "away"

    ann.close()  # offline once the closed session's grace has passed, and the sweep ran
    await bob.next_frame(presence_of(ann.user_id, "offline"), timeout=25)
    # Bob heard each change once, though he may hear Ann on two keys (user and channel)
    heard = [f["data"]["status"] for f in bob.frames if f["type"] == "presence.changed"
             and f["data"]["user_id"] == ann.user_id]
    assert heard == ["online", "away", "offline"]
    assert not [f for f in carl.frames if f["type"] == "presence.changed"
                and f["data"]["user_id"] == ann.user_id]


async def test_setting_oneself_away_shows_away_while_connected(three_people):
    ann, bob, _, _ = three_people
    await ann.connect()
    await bob.next_frame(presence_of(ann.user_id, "online"))
    answer = await ann.call("PUT", "/me/presence", {"presence": "away"})
    assert answer.status == 200 and answer.body["status"] == "away"
    await bob.next_frame(presence_of(ann.user_id, "away"))
    assert (await ann.call("PUT", "/me/presence", {"presence": "auto"})).body["status"] == \
        "online"
    bad = await ann.call("PUT", "/me/presence", {"presence": "invisible"})
    assert bad.status == 400 and bad.body["error"]["code"] == "invalid_input"


async def test_typing_reaches_the_channel_and_repeats_are_throttled(three_people):
    ann, bob, carl, channel_id = three_people
    await ann.connect()
    for _ in range(3):  # a client sending a notice per keystroke
        await ann.ws.write_message(
            '{"type": "typing", "channel_id": "%s"}' % channel_id)
    typing = await bob.next_frame(lambda f: f["type"] == "typing")
    assert typing["data"]["user_id"] == ann.user_id
    assert typing["data"]["channel_id"] == channel_id
    assert typing["data"]["state"] == "started" and typing["data"]["expires_in"] > 0
    stop = {"type": "typing", "channel_id": channel_id, "state": "stopped"}
    await ann.ws.write_message(__import__("json").dumps(stop))
    await bob.next_frame(lambda f: f["type"] == "typing" and f["data"]["state"] == "stopped")
    await asyncio.sleep(0.3)
    started = [f for f in bob.frames if f["type"] == "typing" and f["data"]["state"] == "started"]
    assert len(started) == 1
    assert not [f for f in carl.frames if f["type"] == "typing"]


async def test_typing_where_one_is_not_a_member_is_refused(three_people):
    _, _, carl, channel_id = three_people
    refused = await carl.request({"type": "typing", "channel_id": channel_id})
    assert refused["type"] == "error" and refused["code"] == "not_found"
