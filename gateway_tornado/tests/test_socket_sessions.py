"""The WebSocket (gateway_tornado/websocket.py) and ended sessions: a socket cannot
open with a token of an ended session, and an open one is closed when its session
ends, at once on auth's `session.revoked` event, or at the latest at its next frame."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest
import redis
from tornado.websocket import websocket_connect

from services.common.errors import RpcTimeout
from services.common.revocation import SESSION_REVOKED, revoked_session_key


class StubHub:
    """The hub without RabbitMQ: subscriptions in memory, events delivered directly."""

    def __init__(self):
        self.listeners = defaultdict(set)

    async def subscribe(self, key, listener):
        self.listeners[key].add(listener)

    async def unsubscribe(self, key, listener):
        self.listeners[key].discard(listener)

    def publish(self, key, event):
        for listener in list(self.listeners[key]):
            listener.deliver(key, event)


@pytest.fixture
def hub(gateway, rpc):
    gateway.hub = StubHub()
    rpc.answer("channels", "list_for_user", [])
    rpc.answer("presence", "connect", None)
    rpc.answer("presence", "disconnect", None)
    return gateway.hub


@pytest.fixture
def open_socket(base_url, tokens, hub):
    async def open_socket(user_id="user-1", session_id="session-1"):
        token = tokens.issue(user_id, session_id)
        return await websocket_connect(base_url.replace("http", "ws", 1)
                                       + f"/ws?access_token={token}")
    return open_socket


def logged(capsys, caplog) -> str:
    """Everything logged: structlog prints, or goes through logging once a test of
    the logging setup has routed it there."""
    return capsys.readouterr().out + "\n".join(str(r.__dict__) for r in caplog.records)


async def frames_until_closed(ws) -> list[dict]:
    frames = []
    while (raw := await ws.read_message()) is not None:
        frames.append(json.loads(raw))
    return frames


async def test_a_socket_opens_with_a_live_sessions_token(open_socket):
    ws = await open_socket()
    hello = json.loads(await ws.read_message())
    assert (hello["type"], hello["user_id"]) == ("hello", "user-1")
    ws.close()


async def test_a_token_of_an_ended_session_cannot_open_a_socket(open_socket, revocations):
    await revocations.set(revoked_session_key("session-1"), "logout")
    ws = await open_socket()
    assert await frames_until_closed(ws) == []
    assert (ws.close_code, ws.close_reason) == (4001, "session has ended")


async def test_an_open_socket_is_closed_at_its_next_frame_once_its_session_ended(
        open_socket, revocations, rpc):
    ws = await open_socket()
    await ws.read_message()  # hello
    await revocations.set(revoked_session_key("session-1"), "logout_all")
    await ws.write_message(json.dumps({"type": "ping", "req_id": 1}))
    assert await frames_until_closed(ws) == []
    assert (ws.close_code, ws.close_reason) == (4001, "session has ended")


async def test_auths_session_revoked_event_closes_the_socket_at_once(open_socket, hub):
    ws = await open_socket()
    await ws.read_message()  # hello
    hub.publish("user.user-1", {"type": SESSION_REVOKED, "data": {
        "user_id": "user-1", "session_ids": ["session-0", "session-1"]}})
    assert await frames_until_closed(ws) == []
    assert ws.close_code == 4001


async def test_the_event_for_another_session_is_neither_acted_on_nor_forwarded(
        open_socket, hub):
    ws = await open_socket(session_id="laptop")
    await ws.read_message()  # hello
    hub.publish("user.user-1", {"type": SESSION_REVOKED, "data": {
        "user_id": "user-1", "session_ids": ["phone"]}})
    await ws.write_message(json.dumps({"type": "ping", "req_id": 2}))
    reply = json.loads(await ws.read_message())
    assert (reply["type"], reply["req_id"]) == ("pong", 2)
    ws.close()


async def test_a_frame_refused_because_sessions_cannot_be_checked_is_answered_by_its_req_id(
        open_socket, revocations, monkeypatch):
    """Redis restarting ("loading the dataset"): the send is refused, and the refusal
    names the send, so the client sends it again instead of waiting for a reply."""
    ws = await open_socket()
    await ws.read_message()  # hello

    async def loading(*keys):
        raise redis.BusyLoadingError("Redis is loading the dataset in memory")

    monkeypatch.setattr(revocations, "exists", loading)
    await ws.write_message(json.dumps({"type": "send", "req_id": "c-1", "channel_id": "c",
                                       "client_msg_id": "c-1", "text": "hi"}))
    error = json.loads(await ws.read_message())
    assert (error["type"], error["code"], error["req_id"]) == (
        "error", "service_unavailable", "c-1")
    ws.close()


async def test_a_socket_whose_channels_cannot_be_read_is_asked_to_come_back_later(
        open_socket, rpc):
    rpc.answer("channels", "list_for_user",
               RpcTimeout("channels.list_for_user did not answer in 10.0s"))
    ws = await open_socket()
    assert await frames_until_closed(ws) == []
    assert (ws.close_code, ws.close_reason) == (
        1013, "channels.list_for_user did not answer in 10.0s")


async def test_a_late_presence_service_keeps_nobody_out(open_socket, rpc):
    rpc.answer("presence", "connect", RpcTimeout("presence.connect did not answer in 10.0s"))
    ws = await open_socket()
    hello = json.loads(await ws.read_message())
    assert (hello["type"], hello["user_id"]) == ("hello", "user-1")
    ws.close()


async def test_an_unexpected_failure_while_opening_is_logged_without_the_token(
        open_socket, rpc, capsys, caplog):
    rpc.answer("channels", "list_for_user", RuntimeError("a bug"))
    ws = await open_socket()
    assert await frames_until_closed(ws) == []
    text = logged(capsys, caplog)
    assert "socket_failed" in text and "/ws" in text
    assert "access_token" not in text


async def test_a_frame_whose_handling_fails_unexpectedly_ends_the_socket_with_1011(
        open_socket, gateway, monkeypatch, capsys, caplog):
    ws = await open_socket()
    assert json.loads(await ws.read_message())["type"] == "hello"

    async def broken(session_id):
        raise RuntimeError("a bug")
    monkeypatch.setattr(gateway.sessions, "is_revoked", broken)
    await ws.write_message(json.dumps({"type": "ping", "req_id": 1}))
    assert await frames_until_closed(ws) == []
    assert ws.close_code == 1011
    text = logged(capsys, caplog)
    assert "socket_failed" in text and "access_token" not in text
