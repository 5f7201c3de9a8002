"""Unread counts on the real stack through Traefik with real sockets: a message reaches
a member's sockets as `message.created` alone (their client counts it, past the
`counted_seq` that `GET /me/unread` gives), the users service counts it for
`/me/unread`, and a read tells the reader's other devices with `unread.changed`."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from services.common.events import Message, MessageCreated
from tests.support.client import Person, eventually, unique_email


@pytest.fixture
async def people(base_url):
    ann, bob = [await Person(base_url, unique_email(name)).sign_up() for name in ("ann", "bob")]
    yield ann, bob
    for person in (ann, bob):
        person.close()


async def channel_with(ann, *others) -> str:
    created = await ann.call("POST", "/channels",
                             {"name": f"unread-{uuid.uuid4().hex[:8]}", "is_private": False})
    assert created.status == 201, created.body
    invited = await ann.call("POST", f"/channels/{created.body['id']}/members",
                             {"user_ids": [other.user_id for other in others]})
    assert invited.status in (200, 201), invited.body
    return created.body["id"]


async def counters(person, channel_id, unread):
    """``GET /me/unread`` for the channel once it holds ``unread`` messages."""
    async def counted():
        counts = (await person.call("GET", "/me/unread")).body.get(channel_id)
        return counts if counts and counts["unread"] == unread else None
    return await eventually(counted, timeout=20)


def unread_frame(channel_id):
    return lambda f: f["type"] == "unread.changed" and f["data"]["channel_id"] == channel_id


def unread_frames(person, channel_id):
    return [f for f in person.frames if unread_frame(channel_id)(f)]


async def test_a_message_reaches_the_members_socket_and_is_counted_without_a_counter_frame(
        people):
    ann, bob = people
    channel = await channel_with(ann, bob)
    await bob.connect()
    sent = await ann.call("POST", f"/channels/{channel}/messages",
                          {"client_msg_id": uuid.uuid4().hex, "text": f"hi <@{bob.user_id}>"})
    assert sent.status == 201, sent.body
    arrived = await bob.next_frame(lambda f: f["type"] == "message.created"
                                   and f["data"]["id"] == sent.body["id"], timeout=20)
    assert arrived["data"]["mentions"] == [bob.user_id]   # what a client counts a mention by
    assert await counters(bob, channel, 1) == {
        "unread": 1, "mentions": 1, "read_seq": 0, "counted_seq": sent.body["seq"]}
    assert unread_frames(bob, channel) == []


async def test_reading_on_one_device_tells_the_readers_other_devices_only(people, base_url):
    ann, bob = people
    channel = await channel_with(ann, bob)
    phone = Person(base_url, bob.email)
    assert (await phone.log_in()).status == 200
    await phone.connect()
    await ann.connect()
    sent = await ann.call("POST", f"/channels/{channel}/messages",
                          {"client_msg_id": uuid.uuid4().hex, "text": "read me"})
    assert sent.status == 201, sent.body
    await counters(bob, channel, 1)

    read = await bob.call("POST", f"/channels/{channel}/read", {"seq": sent.body["seq"]})
    assert read.status == 200, read.body
    told = await phone.next_frame(unread_frame(channel), timeout=20)
    assert told["data"] == {"channel_id": channel, "unread": 0, "mentions": 0,
                            "read_seq": sent.body["seq"], "counted_seq": sent.body["seq"]}
    # the sender's cursor did not move: nothing about this channel reached Ann
    assert unread_frames(ann, channel) == []
    phone.close()


async def test_someone_who_joins_is_counted_at_once_though_users_remembered_the_members(
        people, base_url):
    """Each users instance remembers a channel's members (services/common/channel_memory.py);
    channels tells them all when someone joins, so the next message counts for them."""
    ann, bob = people
    cy = await Person(base_url, unique_email("cy")).sign_up()
    channel = await channel_with(ann, cy)
    for n in range(1, 5):   # one batch each, so both users instances remember ann and cy
        sent = await ann.call("POST", f"/channels/{channel}/messages",
                              {"client_msg_id": uuid.uuid4().hex, "text": f"before {n}"})
        assert sent.status == 201, sent.body
        await counters(cy, channel, n)
    joined = await bob.call("POST", f"/channels/{channel}/join")
    assert joined.status == 200, joined.body
    sent = await ann.call("POST", f"/channels/{channel}/messages",
                          {"client_msg_id": uuid.uuid4().hex, "text": "welcome"})
    assert sent.status == 201, sent.body
    assert (await counters(bob, channel, 1))["counted_seq"] == sent.body["seq"]
    cy.close()


async def test_a_batch_of_events_with_one_refused_counts_every_other_once(people, system):
    """users.apply_events on the running service and its PostgreSQL: the batch's events
    share one transaction, so the refusal rolls back those before it and the batch is
    applied again without it; sent again whole (a consumer's retry), nothing counts twice."""
    ann, bob = people
    created = await ann.call("POST", "/channels",
                             {"name": f"batch-{uuid.uuid4().hex[:8]}", "is_private": False})
    channel = created.body["id"]
    invited = await ann.call("POST", f"/channels/{channel}/members", {"user_ids": [bob.user_id]})
    assert invited.status in (200, 201), invited.body

    def message_created(seq):
        return MessageCreated.of(Message(
            id=uuid.uuid4().hex[:24], channel_id=channel, seq=seq, sender_id=ann.user_id,
            client_msg_id=uuid.uuid4().hex, text="hi", created_at=datetime.now(timezone.utc),
            mentions=[])).model_dump(mode="json")
    batch = [message_created(100), {"type": "message.created", "data": {"seq": "x"}},
             message_created(101)]
    outcomes = await system.call("users", "apply_events", "message.created", batch)
    assert [next(iter(o)) for o in outcomes] == ["answer", "refused", "answer"]
    assert outcomes[1]["refused"]["code"] == "invalid_input"
    again = await system.call("users", "apply_events", "message.created", batch)
    assert [o.get("answer", {}).get("counted") for o in again] == [False, None, False]
    counts = await system.call("users", "unread_counts", bob.user_id)
    assert counts[channel]["unread"] == 2
