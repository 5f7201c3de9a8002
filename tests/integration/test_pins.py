"""A channel's pinned messages on the real stack, through Traefik and a gateway to
messaging on FerretDB: GET /channels/{id}/pins follows pin, unpin and delete, the
socket's events carry the pinned state a client needs to keep the list current,
racing pins all land (the index is claimed by inserts, never updated in place),
and only who may read the channel sees its pins."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.support.client import Person, unique_email


@pytest.fixture
async def room(base_url):
    ann = await Person(base_url, unique_email("ann")).sign_up()
    bob = await Person(base_url, unique_email("bob")).sign_up()
    eve = await Person(base_url, unique_email("eve")).sign_up()
    created = await ann.call("POST", "/channels", {"name": f"pins-{uuid.uuid4().hex[:8]}",
                                                   "is_private": True})
    assert created.status == 201, created.body
    channel_id = created.body["id"]
    invited = await ann.call("POST", f"/channels/{channel_id}/members",
                             {"user_ids": [bob.user_id]})
    assert invited.status in (200, 201), invited.body
    yield ann, bob, eve, channel_id
    for person in (ann, bob, eve):
        person.close()


async def send(person, channel_id, text) -> dict:
    sent = await person.call("POST", f"/channels/{channel_id}/messages",
                             {"client_msg_id": uuid.uuid4().hex, "text": text})
    assert sent.status == 201, sent.body
    return sent.body


async def pins(person, channel_id) -> list[str]:
    answer = await person.call("GET", f"/channels/{channel_id}/pins")
    assert answer.status == 200, answer.body
    assert all(m["pinned"] and m["channel_id"] == channel_id for m in answer.body)
    return [m["text"] for m in answer.body]


async def test_the_list_follows_pin_unpin_and_delete_and_the_socket_says_so(room):
    ann, bob, eve, channel_id = room
    await bob.connect()
    first, second, third = [await send(ann, channel_id, f"note {i}") for i in (1, 2, 3)]
    url = f"/channels/{channel_id}/messages"
    assert await pins(bob, channel_id) == []

    for message in (second, first, third):
        pinned = await bob.call("POST", f"{url}/{message['id']}/pin")
        assert pinned.status == 200, pinned.body
    assert await pins(ann, channel_id) == ["note 3", "note 1", "note 2"]  # newest pin first
    assert (await ann.call("POST", f"{url}/{first['id']}/pin")).status == 200  # again
    assert await pins(ann, channel_id) == ["note 3", "note 1", "note 2"]

    live = await bob.next_frame(lambda f: f["type"] == "message.updated"
                                and f["data"]["id"] == third["id"])
    assert (live["data"]["pinned"], live["data"]["pinned_by"]) == (True, bob.user_id)

    assert (await ann.call("DELETE", f"{url}/{first['id']}/pin")).status == 200
    assert await pins(bob, channel_id) == ["note 3", "note 2"]
    live = await bob.next_frame(lambda f: f["type"] == "message.updated"
                                and f["data"]["id"] == first["id"] and not f["data"]["pinned"])
    assert live["data"]["pinned_at"] is None

    assert (await ann.call("DELETE", f"{url}/{second['id']}")).status == 200
    assert await pins(bob, channel_id) == ["note 3"]  # a deleted message loses its pin
    live = await bob.next_frame(lambda f: f["type"] == "message.deleted")
    assert live["data"]["pinned"] is False


async def test_racing_pins_in_one_channel_all_land(room):
    ann, bob, eve, channel_id = room
    messages = [await send(ann, channel_id, f"racing {i}") for i in range(8)]
    url = f"/channels/{channel_id}/messages"
    answers = await asyncio.gather(*(
        person.call("POST", f"{url}/{m['id']}/pin")
        for m in messages for person in (ann, bob)))  # each message pinned by both at once
    assert {a.status for a in answers} == {200}
    assert sorted(await pins(ann, channel_id)) == sorted(m["text"] for m in messages)


async def test_only_who_may_read_the_channel_sees_its_pins(room):
    ann, bob, eve, channel_id = room
    message = await send(ann, channel_id, "private note")
    assert (await ann.call("POST", f"/channels/{channel_id}/messages/{message['id']}/pin")
            ).status == 200
    hidden = await eve.call("GET", f"/channels/{channel_id}/pins")
    assert (hidden.status, hidden.body["error"]["code"]) == (404, "not_found")
    unknown = await ann.call("GET", "/channels/no-such-channel/pins")
    assert unknown.status == 404
    assert (await Person(ann.base_url, "x@example.test").call(
        "GET", f"/channels/{channel_id}/pins")).status == 401
