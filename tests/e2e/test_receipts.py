"""Message receipts on the real stack, through Traefik with real sockets: a device
acknowledges what it received (`delivered` frame), reading marks seen; in a DM the
sender hears both live (`receipt`) and sees them per person over REST; in a channel
the sender gets counts."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.support.client import Person, eventually, unique_email


@pytest.fixture
async def people(base_url):
    ann, bob, cy, eve = [await Person(base_url, unique_email(name)).sign_up()
                         for name in ("ann", "bob", "cy", "eve")]
    yield ann, bob, cy, eve
    for person in (ann, bob, cy, eve):
        person.close()


async def send(person, channel_id, text="hello") -> dict:
    sent = await person.call("POST", f"/channels/{channel_id}/messages",
                             {"client_msg_id": uuid.uuid4().hex, "text": text})
    assert sent.status == 201, sent.body
    return sent.body


async def receipts(person, message) -> dict:
    answer = await person.call(
        "GET", f"/channels/{message['channel_id']}/messages/{message['id']}/receipts")
    assert answer.status == 200, answer.body
    return answer.body


def receipt_frame(channel_id, user_id, **at_least):
    """A `receipt` frame about ``user_id`` with each cursor at least as given."""
    def match(frame):
        data = frame.get("data") or {}
        return (frame["type"] == "receipt" and data.get("channel_id") == channel_id
                and data.get("user_id") == user_id
                and all(data.get(k, -1) >= v for k, v in at_least.items()))
    return match


async def test_in_a_dm_the_sender_sees_delivered_then_seen_live_and_per_person(people):
    ann, bob, _, _ = people
    opened = await ann.call("POST", "/dms", {"user_ids": [bob.user_id]})
    assert opened.status == 201, opened.body
    dm = opened.body["id"]
    await ann.connect()
    await bob.connect()

    message = await send(ann, dm)
    before = await receipts(ann, message)
    assert before["recipients"] == [{"user_id": bob.user_id, "delivered": False,
                                     "seen": False, "delivered_seq": 0, "read_seq": 0}]

    # Bob's device gets the message and acknowledges it
    arrived = await bob.next_frame(lambda f: f["type"] == "message.created"
                                   and f["data"]["id"] == message["id"])
    ack = await bob.request({"type": "delivered", "channel_id": dm,
                             "seq": arrived["data"]["seq"]})
    assert ack["type"] == "ack" and ack["channel_id"] == dm, ack
    live = await ann.next_frame(receipt_frame(dm, bob.user_id, delivered_seq=message["seq"]))
    assert live["data"]["read_seq"] == 0
    delivered = await receipts(ann, message)
    assert delivered["counts"] == {"members": 1, "delivered": 1, "seen": 0}
    assert (delivered["recipients"][0]["delivered"], delivered["recipients"][0]["seen"]) \
        == (True, False)

    # Bob reads it
    read = await bob.call("POST", f"/channels/{dm}/read", {"seq": message["seq"]})
    assert read.status == 200, read.body
    await ann.next_frame(receipt_frame(dm, bob.user_id, read_seq=message["seq"]))
    seen = await receipts(ann, message)
    assert seen["recipients"][0] | {"user_id": None} == {
        "user_id": None, "delivered": True, "seen": True,
        "delivered_seq": message["seq"], "read_seq": message["seq"]}
    assert await receipts(bob, message) == seen  # the same answer whoever of them asks


async def test_in_a_channel_the_sender_gets_counts_of_delivered_and_seen(people):
    ann, bob, cy, eve = people
    created = await ann.call("POST", "/channels", {"name": f"rcpt-{uuid.uuid4().hex[:8]}"})
    assert created.status == 201, created.body
    channel = created.body["id"]
    for person in (bob, cy):
        assert (await person.call("POST", f"/channels/{channel}/join")).status == 200
    await ann.connect()
    await bob.connect()
    message = await send(ann, channel)

    await bob.next_frame(lambda f: f["type"] == "message.created"
                         and f["data"]["id"] == message["id"])
    await bob.request({"type": "delivered", "channel_id": channel, "seq": message["seq"]})
    assert (await cy.call("POST", f"/channels/{channel}/read",
                          {"seq": message["seq"]})).status == 200

    async def counted():
        answer = await receipts(ann, message)
        return answer["counts"] == {"members": 2, "delivered": 2, "seen": 1} and answer
    answer = await eventually(counted)
    assert answer["recipients"] is None  # who is not told in a channel
    assert not [f for f in ann.frames if f["type"] == "receipt"]

    outsider = await eve.call(
        "GET", f"/channels/{channel}/messages/{message['id']}/receipts")
    assert outsider.status == 403, outsider.body  # may see the channel, is not in it


async def test_a_device_cannot_mark_messages_delivered_that_do_not_exist(people):
    ann, bob, cy, _ = people
    dm = (await ann.call("POST", "/dms", {"user_ids": [bob.user_id]})).body["id"]
    message = await send(ann, dm)
    await bob.connect()
    ack = await bob.request({"type": "delivered", "channel_id": dm, "seq": 1000})
    assert ack["type"] == "ack" and ack["delivered_seq"] <= message["seq"], ack

    async def delivered():
        answer = await receipts(ann, message)
        return answer["recipients"][0]["delivered"] and answer
    answer = await eventually(delivered)
    await asyncio.sleep(0.5)  # the gateway has asked again meanwhile, for seq 1000
    assert (await receipts(ann, message))["recipients"][0]["delivered_seq"] == message["seq"]
    assert answer["recipients"][0]["delivered_seq"] == message["seq"]

    stranger = await cy.call("GET", f"/channels/{dm}/messages/{message['id']}/receipts")
    assert stranger.status == 404, stranger.body
    refused = await bob.request({"type": "delivered", "channel_id": dm, "seq": "1"})
    assert (refused["type"], refused["code"]) == ("error", "invalid_input")
