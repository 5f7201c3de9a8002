"""The client's frames on the Slack sockets (gateway_tornado/slack/sockets.py, rtm.py,
socket_mode.py), handled as /ws handles its own (listening.py): on the socket's own
task, one at a time, in order, so that Tornado goes on reading the keep-alive's pongs
while a frame waits on a busy service; at most ``gateway.ws_frame_burst`` waiting,
one more refused at once; an unexpected failure closes the socket with 1011."""
from __future__ import annotations

import asyncio
import json
import time

import pytest
from tornado.websocket import websocket_connect

from gateway_tornado.slack import ids, tickets
from gateway_tornado.slack.auth import APP, USER, Actor
from gateway_tornado.slack.socket_mode import SocketModeSocket
from gateway_tornado.tests.test_socket_limits import quick_pings  # noqa: F401 (fixture)
from gateway_tornado.tests.test_socket_sessions import (  # noqa: F401 (fixtures)
    frames_until_closed, hub, logged)

ME = "a" * 32
CH = ids.channel_id_of("c" * 32)
SENT = {"id": "m" * 24, "channel_id": "c" * 32, "seq": 7, "text": "hi",
        "created_at": "2024-01-02T03:04:05+00:00"}


@pytest.fixture
def slack_socket(base_url, gateway, hub):
    """``await slack_socket("rtm" or "socket_mode")``: a socket past its hello,
    and its URL (ticket included)."""
    async def connect(purpose: str = "rtm"):
        actor = Actor(user_id=ME, kind=USER if purpose == "rtm" else APP,
                      scopes=frozenset({"chat:write", "connections:write"}),
                      app_id="e" * 32 if purpose == "socket_mode" else None)
        ticket = await tickets.issue(gateway, actor, purpose)
        path = "/slack/rtm" if purpose == "rtm" else "/slack/socket-mode"
        url = base_url.replace("http", "ws", 1) + f"{path}?ticket={ticket}"
        ws = await websocket_connect(url)
        assert json.loads(await ws.read_message())["type"] == "hello"
        return ws, url
    return connect


def held_send(rpc, monkeypatch, release: asyncio.Event | None = None, seconds: float = 0):
    """messaging.send answers SENT, ``seconds`` late or once ``release`` is set."""
    answer = rpc.call

    async def send(service, method, *args, **kwargs):
        if method == "send":
            if release is not None:
                await release.wait()
            await asyncio.sleep(seconds)
        return await answer(service, method, *args, **kwargs)
    monkeypatch.setattr(rpc, "call", send)
    rpc.answer("messaging", "send", SENT)


def message(frame_id) -> str:
    return json.dumps({"id": frame_id, "type": "message", "channel": CH, "text": "hi"})


async def read(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.read_message(), 5))


async def test_an_rtm_message_waiting_on_a_slow_send_does_not_stop_the_keep_alive(
        quick_pings, slack_socket, rpc, monkeypatch):
    held_send(rpc, monkeypatch, seconds=1.5)    # several ping intervals and timeouts
    ws, _ = await slack_socket("rtm")
    await ws.write_message(message(1))
    await ws.write_message(json.dumps({"type": "ping", "id": 2}))   # after it, in order
    replies = [await read(ws) for _ in range(2)]
    assert [(r.get("type"), r["reply_to"], r.get("ok")) for r in replies] == [
        (None, 1, True), ("pong", 2, None)]
    assert replies[0]["ts"] == ids.message_ts(SENT)
    assert ws.close_code is None       # Tornado's pings were answered all along
    ws.close()


async def test_past_a_burst_of_rtm_frames_waiting_one_more_is_answered_ratelimited_at_once(
        slack_socket, rpc, config, monkeypatch):
    config._data["gateway"]["ws_frame_burst"] = 2
    release = asyncio.Event()
    held_send(rpc, monkeypatch, release)     # a service that does not answer yet
    ws, _ = await slack_socket("rtm")
    for frame in [message(0), message(1), message(2), message(3), "not JSON"]:
        await ws.write_message(frame)    # one handled, two waiting, then two too many
        await asyncio.sleep(0.05)
    refused = [await read(ws) for _ in range(2)]
    assert refused == [{"ok": False, "reply_to": 3, "error": {"code": 1, "msg": "ratelimited"}},
                       {"ok": False, "error": {"code": 1, "msg": "ratelimited"}}]
    release.set()
    assert [(r["ok"], r["reply_to"]) for r in [await read(ws) for _ in range(3)]] == [
        (True, 0), (True, 1), (True, 2)]
    ws.close()


async def test_an_rtm_frame_whose_handling_fails_unexpectedly_ends_the_socket_with_1011(
        slack_socket, rpc, monkeypatch, capsys, caplog):
    async def broken(service, method, *args, **kwargs):
        raise RuntimeError("a bug")
    ws, url = await slack_socket("rtm")
    monkeypatch.setattr(rpc, "call", broken)
    await ws.write_message(message(1))
    assert await asyncio.wait_for(frames_until_closed(ws), 5) == []
    assert (ws.close_code, ws.close_reason) == (1011, "something went wrong: reconnect")
    text = logged(capsys, caplog)
    assert "socket_failed" in text and "/slack/rtm" in text
    assert "ticket=" not in text and url.rsplit("=", 1)[1] not in text


async def test_socket_mode_acks_are_handled_in_order_and_one_past_a_burst_is_dropped_and_said(
        slack_socket, config, monkeypatch, capsys, caplog):
    config._data["gateway"]["ws_frame_burst"] = 2
    release, handled = asyncio.Event(), []
    recorded = SocketModeSocket.on_frame

    async def slow_ack(self, frame):
        await release.wait()    # Redis slow to record the acknowledgements
        handled.append(frame["envelope_id"])
        await recorded(self, frame)
    monkeypatch.setattr(SocketModeSocket, "on_frame", slow_ack)
    ws, _ = await slack_socket("socket_mode")
    for n in range(4):     # one handled, two waiting, one too many
        await ws.write_message(json.dumps({"envelope_id": f"e{n}"}))
        await asyncio.sleep(0.05)
    deadline = time.monotonic() + 5
    text = ""
    while "socket_mode_ack_dropped" not in text and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        text += logged(capsys, caplog)
        caplog.clear()
    assert "socket_mode_ack_dropped" in text and "e3" in text
    release.set()
    while len(handled) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert handled == ["e0", "e1", "e2"]
    assert ws.close_code is None
    ws.close()
