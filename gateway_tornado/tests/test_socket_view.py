"""The socket's ``view`` frame: the channel a device shows goes to presence on
that socket's own session, so notifications spare people who are looking."""
from __future__ import annotations

import json

import pytest

from gateway_tornado.tests.test_socket_sessions import hub, open_socket  # noqa: F401 (fixtures)


async def request(ws, frame: dict) -> dict:
    await ws.write_message(json.dumps({**frame, "req_id": "r1"}))
    while True:
        reply = json.loads(await ws.read_message())
        if reply.get("req_id") == "r1":
            return reply


@pytest.mark.parametrize("channel_id", ["chan-1", None])
async def test_the_shown_channel_or_none_is_passed_on_for_this_session(open_socket, rpc,
                                                                      channel_id):
    rpc.answer("presence", "viewing", lambda user, session, channel: {"stored": True})
    ws = await open_socket("ada")
    hello = json.loads(await ws.read_message())
    reply = await request(ws, {"type": "view", "channel_id": channel_id})
    assert reply == {"type": "ack", "channel_id": channel_id, "req_id": "r1"}
    (call,) = [c for c in rpc.calls if c["method"] == "viewing"]
    assert call["args"] == ("ada", hello["session_id"], channel_id)


@pytest.mark.parametrize("channel_id", ["", 7, ["chan-1"]])
async def test_a_channel_that_is_not_an_id_or_null_is_invalid_input(open_socket, rpc,
                                                                    channel_id):
    ws = await open_socket("ada")
    await ws.read_message()
    reply = await request(ws, {"type": "view", "channel_id": channel_id})
    assert reply["type"] == "error" and reply["code"] == "invalid_input"
    assert "presence.viewing" not in rpc.methods_called()
