"""What the WebSocket tells Prometheus (gateway_tornado/websocket.py, ws_protocol.py):
why each socket ended (``parley_ws_disconnects_total{reason}``), how long a send
waited for its ack (``parley_ws_send_ack_seconds``) and how long an event from the
bus waited before it was written to a socket (``parley_ws_fanout_delay_seconds``)."""
from __future__ import annotations

import asyncio
import json
import time

import pytest
from prometheus_client import REGISTRY

from gateway_tornado.__main__ import close_sockets
from gateway_tornado.hub import RECEIVED_AT
from gateway_tornado.tests.test_socket_sessions import (  # noqa: F401 (fixtures)
    frames_until_closed, hub, open_socket)
from gateway_tornado.websocket import DISCONNECT_REASONS
from gateway_tornado.ws_protocol import ended_by
from services.common.revocation import SESSION_REVOKED, revoked_session_key


def disconnects(reason: str) -> float:
    return REGISTRY.get_sample_value("parley_ws_disconnects_total", {"reason": reason}) or 0.0


def observed(histogram: str) -> float:
    return REGISTRY.get_sample_value(f"{histogram}_count") or 0.0


async def counted(reason: str, before: float, timeout: float = 10.0) -> float:
    """The disconnects counted for ``reason`` since ``before``, once the gateway's
    side of the close has run (it may trail the client's by a moment)."""
    deadline = time.monotonic() + timeout
    while disconnects(reason) == before and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return disconnects(reason) - before


async def connected(open_socket, user_id="user-1"):
    ws = await open_socket(user_id=user_id, session_id=f"session-{user_id}")
    assert json.loads(await ws.read_message())["type"] == "hello"
    return ws


async def test_a_socket_the_client_closes_counts_as_client_closed(open_socket):
    before = disconnects("client_closed")
    ws = await connected(open_socket)
    ws.close(1000)
    assert await counted("client_closed", before) == 1


async def test_a_frame_too_big_counts_as_frame_too_big(open_socket, config):
    before = disconnects("frame_too_big")
    ws = await connected(open_socket)
    await ws.write_message("x" * (config["gateway.max_frame_bytes"] + 1))
    assert await frames_until_closed(ws) == []
    assert ws.close_code == 1009
    assert await counted("frame_too_big", before) == 1


async def test_a_socket_whose_session_ended_counts_as_auth_expired(open_socket, hub):
    before = disconnects("auth_expired")
    ws = await connected(open_socket)
    hub.publish("user.user-1", {"type": SESSION_REVOKED, "data": {
        "user_id": "user-1", "session_ids": ["session-user-1"]}})
    assert await frames_until_closed(ws) == []
    assert await counted("auth_expired", before) == 1


async def test_a_socket_refused_at_open_counts_as_refused(open_socket, revocations):
    before = disconnects("refused")
    await revocations.set(revoked_session_key("session-user-1"), "logout")
    ws = await open_socket(user_id="user-1", session_id="session-user-1")
    assert await frames_until_closed(ws) == []
    assert await counted("refused", before) == 1


async def test_a_gateway_going_away_counts_as_server_shutdown(open_socket, gateway):
    before = disconnects("server_shutdown")
    ws = await connected(open_socket)
    closing = asyncio.ensure_future(close_sockets(gateway, grace=2))
    assert await frames_until_closed(ws) == []
    await closing
    assert await counted("server_shutdown", before) == 1


async def test_a_send_is_timed_from_its_frame_to_its_ack(open_socket, rpc):
    rpc.answer("messaging", "send", {"id": "m1", "channel_id": "c1", "seq": 1})
    ws = await connected(open_socket)
    before = observed("parley_ws_send_ack_seconds")
    await ws.write_message(json.dumps({"type": "send", "req_id": 1, "channel_id": "c1",
                                       "client_msg_id": "x1", "text": "hi"}))
    assert json.loads(await ws.read_message())["type"] == "ack"
    await ws.write_message(json.dumps({"type": "ping", "req_id": 2}))   # not a send
    assert json.loads(await ws.read_message())["type"] == "pong"
    assert observed("parley_ws_send_ack_seconds") - before == 1
    ws.close()


async def test_an_event_from_the_bus_is_timed_until_written_and_the_stamp_stays_home(
        open_socket, hub):
    ws = await connected(open_socket)
    before = observed("parley_ws_fanout_delay_seconds")
    hub.publish("user.user-1", {"type": "unread.changed", "event_id": "e1",
                                "data": {"channel_id": "c1", "unread": 1},
                                RECEIVED_AT: time.perf_counter()})
    frame = json.loads(await ws.read_message())
    assert frame == {"type": "unread.changed", "data": {"channel_id": "c1", "unread": 1}}
    assert observed("parley_ws_fanout_delay_seconds") - before == 1
    ws.close()


class Ended:
    """A protocol as ws_protocol.StrictTextProtocol leaves it: who closed first."""

    def __init__(self, ended):
        self.ended = ended


@pytest.mark.parametrize("ended, reason", [
    (None, "connection_lost"),                       # no close frame either way
    (("client", 1001, None), "client_closed"),
    (("server", None, "ping timed out"), "ping_timeout"),   # Tornado's own close
    (("server", 4008, "too slow"), "backpressure"),
    (("server", 1008, "too many frames"), "rate_limited"),
    (("server", 1007, "bad UTF-8"), "invalid_payload"),
    (("server", 4999, "?"), "server_closed"),          # a code not listed: still bounded
])
def test_every_end_has_a_bounded_reason(ended, reason):
    assert ended_by(Ended(ended), DISCONNECT_REASONS) == reason
