"""Frames the WebSocket cannot read (gateway_tornado/websocket.py, ws_protocol.py):
each is refused with a clear code and the socket goes on serving, except a text
frame that is not UTF-8, which RFC 6455 says must end the connection: with 1007."""
from __future__ import annotations

import json

from gateway_tornado.tests.test_socket_sessions import (  # noqa: F401 (fixtures)
    frames_until_closed, hub, open_socket)


async def hello(ws) -> dict:
    frame = json.loads(await ws.read_message())
    assert frame["type"] == "hello"
    return frame


async def test_a_text_frame_that_is_not_utf8_closes_the_socket_with_1007_and_a_reason(
        open_socket, rpc):
    ws = await open_socket()
    await hello(ws)
    await ws.write_message(b'{"type": "ping", "req_id": 1, "x": "\xff\xfe"}', binary=False)
    assert await frames_until_closed(ws) == []
    assert (ws.close_code, ws.close_reason) == (1007, "a text frame must be valid UTF-8")


async def test_a_binary_frame_that_is_not_utf8_is_an_error_frame_and_the_socket_stays_open(
        open_socket):
    ws = await open_socket()
    await hello(ws)
    await ws.write_message(b'{"type": "ping", "req_id": 1, "x": "\xff\xfe"}', binary=True)
    error = json.loads(await ws.read_message())
    assert (error["type"], error["code"]) == ("error", "invalid_input")
    await ws.write_message(json.dumps({"type": "ping", "req_id": 2}))
    pong = json.loads(await ws.read_message())
    assert (pong["type"], pong["req_id"]) == ("pong", 2)
    ws.close()


async def test_a_valid_text_frame_still_reaches_the_handler(open_socket):
    ws = await open_socket()
    await hello(ws)
    await ws.write_message(json.dumps({"type": "ping", "req_id": "é ✓"}))
    pong = json.loads(await ws.read_message())
    assert (pong["type"], pong["req_id"]) == ("pong", "é ✓")
    ws.close()


async def test_a_frame_nested_too_deeply_is_an_error_frame_not_a_dropped_socket(open_socket):
    ws = await open_socket()
    await hello(ws)
    await ws.write_message("[" * 100_000 + "]" * 100_000)
    error = json.loads(await ws.read_message())
    assert (error["type"], error["code"]) == ("error", "invalid_input")
    await ws.write_message(json.dumps({"type": "ping", "req_id": 2}))
    assert json.loads(await ws.read_message())["type"] == "pong"
    ws.close()
