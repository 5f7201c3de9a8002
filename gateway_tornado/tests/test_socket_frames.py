"""How the gateway writes frames (gateway_tornado/ws_protocol.py, ``text_frame`` and
``StrictTextProtocol.write_frame``): an event's frame is built once, as the bytes on the
wire, and written as it is to every socket listening. A client (here Tornado's own,
an implementation of RFC 6455 the gateway's code does not share) reads each frame
whole, whatever form its length takes on the wire."""
from __future__ import annotations

import asyncio
import json
import struct

import pytest

from gateway_tornado.tests.test_socket_sessions import hub, open_socket  # noqa: F401
from gateway_tornado.ws_protocol import text_frame

EVENT = "test.sized"


def sized_event(wire_bytes: int) -> dict:
    """An event whose frame's payload is exactly ``wire_bytes`` long."""
    empty = len(json.dumps({"type": EVENT, "data": {"text": ""}}))
    return {"type": EVENT, "data": {"text": "x" * (wire_bytes - empty)}}


def test_a_frame_is_fin_text_unmasked_with_its_length_in_the_shortest_form():
    assert text_frame("hi") == b"\x81\x02hi"
    assert text_frame("é✓") == b"\x81\x05" + "é✓".encode()   # the length counts bytes
    assert text_frame("x" * 125)[:2] == b"\x81\x7d"
    assert text_frame("x" * 126)[:4] == b"\x81\x7e" + struct.pack("!H", 126)
    assert text_frame("x" * 65535)[:4] == b"\x81\x7e" + struct.pack("!H", 65535)
    assert text_frame("x" * 65536)[:10] == b"\x81\x7f" + struct.pack("!Q", 65536)
    assert len(text_frame("x" * 65536)) == 10 + 65536


@pytest.mark.parametrize("wire_bytes", [125, 126, 65535, 65536, 200_000])
async def test_every_listening_socket_reads_an_event_whole_at_every_length_form(
        open_socket, hub, rpc, wire_bytes):
    rpc.answer("channels", "list_for_user", [{"id": "general"}])
    sockets = [await open_socket("user-1"), await open_socket("user-2", "session-2")]
    for ws in sockets:
        assert json.loads(await ws.read_message())["type"] == "hello"
    event = sized_event(wire_bytes)
    hub.publish("channel.general", dict(event))
    for ws in sockets:
        raw = await asyncio.wait_for(ws.read_message(), 10)
        assert len(raw.encode()) == wire_bytes
        assert json.loads(raw) == event
        ws.close()


async def test_frames_written_one_after_another_arrive_in_order_and_apart(open_socket, hub,
                                                                          rpc):
    rpc.answer("channels", "list_for_user", [{"id": "general"}])
    ws = await open_socket()
    assert json.loads(await ws.read_message())["type"] == "hello"
    sizes = [10, 70_000, 126, 65536, 125, 40]
    for seq, size in enumerate(sizes):
        hub.publish("channel.general", {"type": EVENT, "event_id": f"e{seq}",
                                        "data": {"seq": seq, "text": "é" * size}})
    for seq, size in enumerate(sizes):
        frame = json.loads(await asyncio.wait_for(ws.read_message(), 10))
        assert frame["data"] == {"seq": seq, "text": "é" * size}
    ws.close()
