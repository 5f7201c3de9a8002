"""What one WebSocket may cost the gateway (gateway_tornado/ws_limits.py, websocket.py):
a frame too large is closed with 1009, frames over the per-socket rate get
`rate_limited`, a socket that keeps flooding is closed with 1008, and a socket that
stops reading is cut off with 4008; every other socket goes on being served."""
from __future__ import annotations

import asyncio
import json

import pytest

from gateway_tornado.tests.test_socket_sessions import (  # noqa: F401 (fixtures)
    frames_until_closed, hub, open_socket)
from gateway_tornado import ws_protocol
from gateway_tornado.ws_limits import FrameBucket, FrameLimit


async def connected(open_socket, user_id="user-1"):
    ws = await open_socket(user_id=user_id, session_id=f"session-{user_id}")
    assert json.loads(await ws.read_message())["type"] == "hello"
    return ws


async def pong(ws, req_id) -> dict:
    await ws.write_message(json.dumps({"type": "ping", "req_id": req_id}))
    return json.loads(await asyncio.wait_for(ws.read_message(), 10))


def test_the_bucket_gives_its_burst_at_once_then_its_rate():
    now = [100.0]
    bucket = FrameBucket(rate=10, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == pytest.approx(0.1)
    now[0] += 0.1
    assert bucket.take() == 0
    now[0] += 60
    assert [bucket.take() for _ in range(4)][-1] == pytest.approx(0.1)  # never above burst


def test_refusals_count_towards_a_flood_until_a_quiet_second_forgives_them():
    now = [0.0]
    limit = FrameLimit(rate=1, burst=1, close_after=3, clock=lambda: now[0])
    assert limit.check() == 0
    assert limit.check() and limit.check() and not limit.flooding   # two refused
    now[0] += 1.5   # a quiet second (and a token back)
    assert limit.check() == 0
    assert limit.check() and limit.check() and not limit.flooding   # counted from one again
    assert limit.check() and limit.flooding


async def test_a_frame_larger_than_max_frame_bytes_is_closed_with_1009(open_socket, config):
    other = await connected(open_socket, "user-2")
    ws = await connected(open_socket)
    too_big = json.dumps({"type": "ping", "x": "a" * config["gateway.max_frame_bytes"]})
    await ws.write_message(too_big)
    assert await frames_until_closed(ws) == []
    assert ws.close_code == 1009
    assert (await pong(other, 1))["type"] == "pong"
    other.close()


async def test_a_frame_far_over_the_limit_is_read_to_its_end_so_the_1009_is_not_lost(
        base_url, tokens, hub, config, monkeypatch):
    """Closing the TCP connection with the frame unread would reset it, and a proxy in
    between may then drop the close frame (the client sees 1006). So the gateway reads
    the rest: the client can send all of it, and then gets a clean end, not a reset."""
    monkeypatch.setattr(ws_protocol, "DRAIN_FOR", 1.0)
    reader, writer = await asyncio.open_connection(*base_url[len("http://"):].split(":"))
    writer.write((f"GET /ws?access_token={tokens.issue('user-1', 'session-1')} HTTP/1.1\r\n"
                  "Host: gateway\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    assert b" 101 " in await reader.readuntil(b"\r\n\r\n")
    assert json.loads((await read_frame(reader))[1])["type"] == "hello"

    size = 40 * config["gateway.max_frame_bytes"]
    writer.write(bytes([0x81, 0xFF]) + size.to_bytes(8, "big") + bytes(4))  # mask 0: as is
    for _ in range(size // 65536):
        writer.write(b"a" * 65536)
        await writer.drain()          # a reset would raise ConnectionResetError here
    opcode, payload = await read_frame(reader)
    assert (opcode, int.from_bytes(payload[:2], "big"), payload[2:]) == (
        0x8, 1009, b"message too big")
    writer.write(bytes([0x88, 0x82]) + bytes(4) + (1000).to_bytes(2, "big"))  # close back
    await writer.drain()
    assert await reader.read() == b""   # a clean end of the stream, not a reset
    writer.close()


async def read_frame(reader) -> tuple[int, bytes]:
    """One unmasked frame from the server: (opcode, payload)."""
    first, length = await reader.readexactly(2)
    length &= 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    return first & 0x0F, await reader.readexactly(length)


async def test_a_frame_just_within_max_frame_bytes_is_read(open_socket, config):
    ws = await connected(open_socket)
    frame = json.dumps({"type": "ping", "req_id": 1, "x": ""})
    padding = config["gateway.max_frame_bytes"] - len(frame)
    await ws.write_message(json.dumps({"type": "ping", "req_id": 1, "x": "a" * padding}))
    assert json.loads(await ws.read_message())["type"] == "pong"
    ws.close()


async def test_frames_over_the_rate_are_refused_with_retry_after_then_a_flood_is_closed_1008(
        open_socket, config):
    config._data["gateway"].update(ws_frame_rate=1, ws_frame_burst=5, ws_flood_close_after=20)
    other = await connected(open_socket, "user-2")
    ws = await connected(open_socket)
    for i in range(5 + 20):
        await ws.write_message(json.dumps({"type": "ping", "req_id": i}))
    frames = await frames_until_closed(ws)
    assert [f["type"] for f in frames[:5]] == ["pong"] * 5
    refusals = frames[5:]
    assert len(refusals) == 19 and all(f["code"] == "rate_limited" for f in refusals)
    assert all(0 < f["retry_after"] <= 1.01 for f in refusals)
    assert ws.close_code == 1008 and "too many frames" in ws.close_reason
    assert (await pong(other, "still served"))["req_id"] == "still served"
    other.close()


async def test_a_socket_that_waits_as_told_is_served_again(open_socket, config):
    config._data["gateway"].update(ws_frame_rate=20, ws_frame_burst=1)
    ws = await connected(open_socket)
    assert (await pong(ws, 1))["type"] == "pong"
    refused = await pong(ws, 2)
    assert refused["code"] == "rate_limited"
    await asyncio.sleep(refused["retry_after"])
    assert (await pong(ws, 3))["type"] == "pong"
    ws.close()


async def test_a_socket_that_stops_reading_is_cut_off_with_4008_and_others_keep_up(
        open_socket, hub, config, rpc):
    config._data["gateway"]["max_pending_writes"] = 20
    rpc.answer("channels", "list_for_user", [{"id": "general"}])
    reader = await connected(open_socket, "user-2")
    stalled = await connected(open_socket)   # from here on it reads nothing
    big = "x" * 40_000
    for seq in range(1, 400):
        hub.publish("channel.general", {"type": "message.created", "event_id": f"e{seq}",
                                        "data": {"channel_id": "general", "seq": seq,
                                                 "text": big}})
        frame = json.loads(await asyncio.wait_for(reader.read_message(), 10))
        assert frame["data"]["seq"] == seq   # the reader gets each event at once
        await asyncio.sleep(0)
    assert await asyncio.wait_for(frames_until_closed_draining(stalled), 10) == 4008
    assert stalled.close_reason == "too slow: reconnect and resume"
    reader.close()


async def frames_until_closed_draining(ws) -> int:
    while await ws.read_message() is not None:
        pass
    return ws.close_code


@pytest.fixture
def quick_pings(config):
    """Keep-alive pings every 0.2 s, each to be answered within 0.2 s (before the app
    is made: Tornado reads them from its settings)."""
    config._data["gateway"]["ping_interval"] = 0.2


async def test_a_frame_waiting_on_a_slow_service_does_not_stop_the_keep_alive(
        quick_pings, open_socket, rpc, monkeypatch):
    answer = rpc.call

    async def slow_send(service, method, *args, **kwargs):
        if method == "send":
            await asyncio.sleep(1.5)    # several ping intervals and timeouts
        return await answer(service, method, *args, **kwargs)
    monkeypatch.setattr(rpc, "call", slow_send)
    rpc.answer("messaging", "send", {"id": "m1", "seq": 1, "duplicate": False})
    ws = await connected(open_socket)
    await ws.write_message(json.dumps({"type": "send", "req_id": "s1", "channel_id": "c1",
                                       "client_msg_id": "x1", "text": "hi"}))
    await ws.write_message(json.dumps({"type": "ping", "req_id": "p1"}))   # after it, in order
    replies = [json.loads(await asyncio.wait_for(ws.read_message(), 10)) for _ in range(2)]
    assert [(r["type"], r["req_id"]) for r in replies] == [("ack", "s1"), ("pong", "p1")]
    assert ws.close_code is None       # Tornado's pings were answered all along
    ws.close()


async def test_past_a_burst_of_frames_waiting_one_more_is_refused_at_once(
        open_socket, rpc, config, monkeypatch):
    config._data["gateway"].update(ws_frame_rate=1000, ws_frame_burst=3)
    answer, release = rpc.call, asyncio.Event()

    async def stuck_send(service, method, *args, **kwargs):
        if method == "send":
            await release.wait()     # a service that does not answer yet
        return await answer(service, method, *args, **kwargs)
    monkeypatch.setattr(rpc, "call", stuck_send)
    rpc.answer("messaging", "send", {"id": "m1", "seq": 1, "duplicate": False})
    ws = await connected(open_socket)
    for i in range(5):   # one being handled, three waiting, and one too many
        await ws.write_message(json.dumps({"type": "send", "req_id": i, "channel_id": "c1",
                                           "client_msg_id": f"x{i}", "text": "hi"}))
        await asyncio.sleep(0.02)   # within the rate: its bucket refills between frames
    refused = json.loads(await asyncio.wait_for(ws.read_message(), 10))
    assert (refused["code"], refused["message"]) == (
        "rate_limited", "too many frames waiting on this socket")
    release.set()
    acks = [json.loads(await asyncio.wait_for(ws.read_message(), 10)) for _ in range(4)]
    assert [a["req_id"] for a in acks] == [0, 1, 2, 3]
    ws.close()
