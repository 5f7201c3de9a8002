"""Unread counts pushed live, on the real stack through Traefik with real sockets:
when a message is counted (Kafka → users) or someone reads, the person whose
counters changed hears `unread.changed` on their own sockets."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from services.common.events import Message, MessageCreated
from tests.support.client import Person, unique_email


@pytest.fixture
async def people(base_url):
    ann, bob = [await Person(base_url, unique_email(name)).sign_up() for name in ("ann", "bob")]
    yield ann, bob
    for person in (ann, bob):
        person.close()


def unread_frame(channel_id, unread):
    return lambda f: (f["type"] == "unread.changed" and f["data"]["channel_id"] == channel_id
                      and f["data"]["unread"] == unread)


async def test_a_member_hears_their_unread_count_rise_and_fall(people):
    ann, bob = people
    created = await ann.call("POST", "/channels",
                             {"name": f"unread-{uuid.uuid4().hex[:8]}", "is_private": False})
    assert created.status == 201, created.body
    channel = created.body["id"]
    invited = await ann.call("POST", f"/channels/{channel}/members", {"user_ids": [bob.user_id]})
    assert invited.status in (200, 201), invited.body
    await bob.connect()
    await ann.connect()

    sent = await ann.call("POST", f"/channels/{channel}/messages",
                          {"client_msg_id": uuid.uuid4().hex, "text": f"hi <@{bob.user_id}>"})
    assert sent.status == 201, sent.body
    risen = await bob.next_frame(unread_frame(channel, 1), timeout=20)
    assert risen["data"] == {"channel_id": channel, "unread": 1, "mentions": 1}

    read = await bob.call("POST", f"/channels/{channel}/read", {"seq": sent.body["seq"]})
    assert read.status == 200, read.body
    fallen = await bob.next_frame(unread_frame(channel, 0))
    assert fallen["data"] == {"channel_id": channel, "unread": 0, "mentions": 0}
    # the sender's own counters did not change: nothing about this channel reached Ann
    assert not [f for f in ann.frames if f["type"] == "unread.changed"
                and f["data"]["channel_id"] == channel]


async def test_someone_who_joins_is_counted_at_once_though_users_remembered_the_members(
        people, base_url):
    """Each users instance remembers a channel's members (services/common/channel_memory.py);
    channels tells them all when someone joins, so the next message counts for them."""
    ann, bob = people
    cy = await Person(base_url, unique_email("cy")).sign_up()
    created = await ann.call("POST", "/channels",
                             {"name": f"joiner-{uuid.uuid4().hex[:8]}", "is_private": False})
    channel = created.body["id"]
    await ann.call("POST", f"/channels/{channel}/members", {"user_ids": [cy.user_id]})
    await cy.connect()
    for n in range(1, 5):   # one batch each, so both users instances remember ann and cy
        sent = await ann.call("POST", f"/channels/{channel}/messages",
                              {"client_msg_id": uuid.uuid4().hex, "text": f"before {n}"})
        assert sent.status == 201, sent.body
        await cy.next_frame(unread_frame(channel, n), timeout=20)
    joined = await bob.call("POST", f"/channels/{channel}/join")
    assert joined.status == 200, joined.body
    await bob.connect()
    sent = await ann.call("POST", f"/channels/{channel}/messages",
                          {"client_msg_id": uuid.uuid4().hex, "text": "welcome"})
    assert sent.status == 201, sent.body
    counted = await bob.next_frame(unread_frame(channel, 1), timeout=20)
    assert counted["data"] == {"channel_id": channel, "unread": 1, "mentions": 0}
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
