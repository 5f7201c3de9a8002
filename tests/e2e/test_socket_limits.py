"""WebSocket limits on the running stack (docs/api/limits.md): a socket flooding one
gateway is refused with `rate_limited` and then closed with 1008, a frame over
`gateway.max_frame_bytes` is closed with 1009, and meanwhile another person's socket
on the same gateway is served as usual."""
from __future__ import annotations

import asyncio
import json

import pytest
from tornado.websocket import websocket_connect

from services.common.config import REPO_ROOT, load_config
from tests.support.client import Person, people_in_a_channel

GATEWAY = "ws://127.0.0.1:8101"   # both sockets on one gateway
CONFIG = load_config(REPO_ROOT / "config" / "parley.yaml")


@pytest.fixture
async def two_people_in_a_channel(base_url):
    (bob, ann), channel_id = await people_in_a_channel(base_url, "calm", "flood")
    return ann, bob, channel_id


async def connected(person: Person):
    ws = await websocket_connect(f"{GATEWAY}/ws?access_token={person.token}")
    while json.loads(await asyncio.wait_for(ws.read_message(), 10))["type"] != "hello":
        pass
    return ws


async def reply_to(ws, frame: dict) -> dict:
    await ws.write_message(json.dumps(frame))
    while True:
        answer = json.loads(await asyncio.wait_for(ws.read_message(), 10))
        if answer.get("req_id") == frame["req_id"]:
            return answer


async def test_a_flooding_socket_is_refused_then_closed_and_its_neighbour_is_served(
        two_people_in_a_channel):
    ann, bob, channel_id = two_people_in_a_channel
    flooder, calm = await connected(ann), await connected(bob)
    frames = CONFIG["gateway.ws_frame_burst"] + 3 * CONFIG["gateway.ws_flood_close_after"]
    for i in range(frames):
        await flooder.write_message(json.dumps({"type": "ping", "req_id": i}))

    answers = []
    while (raw := await asyncio.wait_for(flooder.read_message(), 30)) is not None:
        answers.append(json.loads(raw))
    refused = [a for a in answers if a["type"] == "error"]
    assert refused and all(a["code"] == "rate_limited" and a["retry_after"] > 0
                           for a in refused)
    assert (flooder.close_code, flooder.close_reason) == (
        1008, "too many frames: slow down, then reconnect")

    sent = await reply_to(calm, {"type": "send", "req_id": "calm-1", "channel_id": channel_id,
                                 "client_msg_id": "calm-1", "text": "still here"})
    assert sent["type"] == "ack" and sent["message"]["text"] == "still here"
    calm.close()


async def test_a_frame_over_max_frame_bytes_is_closed_with_1009_and_its_neighbour_is_served(
        two_people_in_a_channel):
    ann, bob, _ = two_people_in_a_channel
    sender, calm = await connected(ann), await connected(bob)
    await sender.write_message(json.dumps(
        {"type": "ping", "req_id": 1, "pad": "x" * CONFIG["gateway.max_frame_bytes"]}))
    while await asyncio.wait_for(sender.read_message(), 30) is not None:
        pass
    assert sender.close_code == 1009
    assert (await reply_to(calm, {"type": "ping", "req_id": "p"}))["type"] == "pong"
    calm.close()
