"""Receipts in the gateway: GET …/messages/{id}/receipts turns a message into its seq
and sender for the channels service; the socket's `delivered` frame records a
device's delivered cursor, coalescing repeats and catching up when channels has
not counted the message yet."""
from __future__ import annotations

import asyncio
import json

import pytest
from tornado.websocket import websocket_connect

from gateway_tornado import websocket
from services.common.errors import Forbidden, NotFound

MESSAGE = {"id": "6742a1b2c3d4e5f601234567", "channel_id": "dm-1", "seq": 7,
           "sender_id": "ada"}
RECEIPTS = {"channel_id": "dm-1", "kind": "dm", "seq": 7,
            "counts": {"members": 1, "delivered": 1, "seen": 0},
            "recipients": [{"user_id": "bob", "delivered": True, "seen": False,
                            "delivered_seq": 7, "read_seq": 3}]}


def marks(rpc) -> list[int]:
    """The seqs sent to channels.mark_delivered, in order."""
    return [c["args"][2] for c in rpc.calls if c["method"] == "mark_delivered"]


# -- REST -------------------------------------------------------------------------------
async def test_receipts_are_asked_for_the_messages_seq_leaving_out_its_sender(
        fetch, rpc, bearer):
    rpc.answer("messaging", "get", MESSAGE)
    rpc.answer("channels", "receipts", RECEIPTS)
    response = await fetch(f"/api/v1/channels/dm-1/messages/{MESSAGE['id']}/receipts",
                           headers=bearer("ada"))
    assert response.code == 200
    assert json.loads(response.body) == {"message_id": MESSAGE["id"], **RECEIPTS}
    assert rpc.calls[0]["args"] == ("ada", "dm-1", MESSAGE["id"])
    assert rpc.calls[1]["args"] == ("ada", "dm-1", 7, "ada")


async def test_a_message_the_caller_cannot_see_has_no_receipts(fetch, rpc, bearer):
    rpc.answer("messaging", "get", NotFound("no such message"))
    response = await fetch("/api/v1/channels/dm-1/messages/nope/receipts", headers=bearer())
    assert response.code == 404
    assert rpc.methods_called() == ["messaging.get"]


# -- the delivered frame -------------------------------------------------------------------
@pytest.fixture
async def socket(gateway, base_url, rpc, tokens):
    """Bob's socket, past hello; the hub stands in (no RabbitMQ)."""
    class Hub:
        async def subscribe(self, key, listener): pass
        async def unsubscribe(self, key, listener): pass
    gateway.hub = Hub()
    rpc.answer("channels", "list_for_user", [{"id": "dm-1"}])
    rpc.answer("presence", "connect", {})
    rpc.answer("presence", "disconnect", {})
    token = tokens.issue("bob", "session-1")
    connection = await websocket_connect(
        base_url.replace("http", "ws") + f"/ws?access_token={token}")
    assert json.loads(await connection.read_message())["type"] == "hello"
    yield connection
    connection.close()


async def request(connection, frame: dict) -> dict:
    await connection.write_message(json.dumps({"req_id": "r", **frame}))
    return json.loads(await connection.read_message())


def counted_up_to(last: int):
    """channels.mark_delivered as the service answers it: clamped to ``last[0]``."""
    def mark_delivered(actor, channel_id, seq):
        return {"channel_id": channel_id, "delivered_seq": min(seq, last[0]), "read_seq": 0}
    return mark_delivered


async def test_a_delivered_frame_moves_the_cursor_and_repeats_cost_no_call(socket, rpc):
    rpc.answer("channels", "mark_delivered", counted_up_to([10]))
    assert await request(socket, {"type": "delivered", "channel_id": "dm-1", "seq": 4}) == {
        "type": "ack", "req_id": "r", "channel_id": "dm-1", "delivered_seq": 4}
    await request(socket, {"type": "delivered", "channel_id": "dm-1", "seq": 4})
    await request(socket, {"type": "delivered", "channel_id": "dm-1", "seq": 2})
    await request(socket, {"type": "delivered", "channel_id": "dm-1", "seq": 6})
    assert marks(rpc) == [4, 6]
    assert rpc.calls[-1]["args"][:2] == ("bob", "dm-1")


async def test_a_seq_channels_has_not_counted_yet_is_asked_for_again_until_it_is(
        socket, rpc, monkeypatch):
    monkeypatch.setattr(websocket, "CATCH_UP_EVERY", 0.3)
    counted = [3]  # the Kafka consumer has counted messages 1-3 so far
    rpc.answer("channels", "mark_delivered", counted_up_to(counted))
    ack = await request(socket, {"type": "delivered", "channel_id": "dm-1", "seq": 5})
    assert ack["delivered_seq"] == 3
    # until the catch-up asks again (in 0.3 s), further frames only raise what is owed
    ack = await request(socket, {"type": "delivered", "channel_id": "dm-1", "seq": 6})
    assert ack["delivered_seq"] == 3 and marks(rpc) == [5]
    counted[0] = 6  # the consumer catches up: the next ask records 6
    for _ in range(200):
        if marks(rpc)[-1] == 6:
            break
        await asyncio.sleep(0.02)
    asked = len(marks(rpc))
    await asyncio.sleep(0.7)
    assert marks(rpc)[-1] == 6 and len(marks(rpc)) == asked  # recorded: asking stops
    ack = await request(socket, {"type": "delivered", "channel_id": "dm-1", "seq": 6})
    assert ack["delivered_seq"] == 6 and len(marks(rpc)) == asked


async def test_the_catch_up_stops_when_channels_refuses_for_good(socket, rpc, monkeypatch):
    monkeypatch.setattr(websocket, "CATCH_UP_EVERY", 0.02)
    rpc.answer("channels", "mark_delivered", counted_up_to([3]))
    await request(socket, {"type": "delivered", "channel_id": "dm-1", "seq": 5})
    rpc.answer("channels", "mark_delivered", Forbidden("you are not a member of this channel"))
    await asyncio.sleep(0.2)
    asked = len(marks(rpc))
    await asyncio.sleep(0.2)
    assert len(marks(rpc)) == asked  # left the channel: nothing more to record


@pytest.mark.parametrize("frame", [{"channel_id": "dm-1", "seq": -1},
                                   {"channel_id": "dm-1", "seq": "3"},
                                   {"channel_id": "dm-1", "seq": True},
                                   {"channel_id": "dm-1"},
                                   {"seq": 3}])
async def test_a_delivered_frame_needs_a_channel_and_a_non_negative_seq(socket, rpc, frame):
    reply = await request(socket, {"type": "delivered", **frame})
    assert (reply["type"], reply["code"], reply["req_id"]) == ("error", "invalid_input", "r")
    assert marks(rpc) == []
