"""Resume on the WebSocket (gateway_tornado/websocket.py, ws_resume.py): a client back
from a reconnect names its last seq per channel and gets every message after it, in
order, then the channel's live events, none missing and none twice; and the `read`
frame, which marks a channel read."""
from __future__ import annotations

import asyncio
import json

import pytest
from prometheus_client import REGISTRY
from tornado.websocket import websocket_connect

from gateway_tornado import websocket

from gateway_tornado.tests.test_socket_sessions import (  # noqa: F401 (fixtures)
    hub, open_socket)

GENERAL, RANDOM = "general", "random"
COUNTERS = ("parley_ws_resumes_total", "parley_ws_resume_replayed_messages_total")


def message(channel_id: str, seq: int, text: str = "") -> dict:
    return {"id": f"{channel_id}-m{seq}", "channel_id": channel_id, "seq": seq,
            "text": text or f"message {seq}"}


def created(msg: dict) -> dict:
    return {"type": "message.created", "event_id": f"e-{msg['id']}", "data": msg}


class Store:
    """messaging.catch_up and messaging.history over stored messages; ``during_read``
    runs inside a call, as if events were published while the gateway waited for the
    page."""

    def __init__(self, messages_by_channel: dict[str, list[dict]]):
        self.messages = messages_by_channel
        self.during_read = None
        self.pages = []

    def history(self, actor_id, channel_id, before=None, after=None, limit=50, **_):
        self.pages.append((channel_id, after, limit))
        page = [m for m in self.messages[channel_id] if m["seq"] > after][:limit]
        if self.during_read is not None:
            during, self.during_read = self.during_read, None
            during()
        return page

    def catch_up(self, actor_id, positions, limit=50):
        return {channel_id: {"messages": self.history(actor_id, channel_id, after=seq,
                                                      limit=limit)}
                for channel_id, seq in positions.items()}

    def serve(self, rpc):
        rpc.answer("messaging", "catch_up", self.catch_up)
        rpc.answer("messaging", "history", self.history)
        return self


@pytest.fixture
def channels(rpc, hub):
    rpc.answer("channels", "list_for_user", [{"id": GENERAL}, {"id": RANDOM}])


async def connected(open_socket):
    ws = await open_socket()
    assert json.loads(await ws.read_message())["type"] == "hello"
    return ws


async def frames_until(ws, kind: str) -> list[dict]:
    frames = []
    while True:
        frame = json.loads(await ws.read_message())
        frames.append(frame)
        if frame["type"] in (kind, "error"):
            return frames


async def test_resume_sends_the_missed_messages_in_order_then_the_held_live_ones_once(
        channels, open_socket, hub, rpc):
    store = Store({GENERAL: [message(GENERAL, seq) for seq in range(1, 13)]})
    store.serve(rpc)
    ws = await connected(open_socket)

    def published_while_the_page_was_read():
        hub.publish("channel.general", created(message(GENERAL, 12)))  # a resend's repeat
        edited = {**message(GENERAL, 11, "edited"), "edited_at": "2026-01-01T00:00:00Z"}
        hub.publish("channel.general", {"type": "message.updated", "event_id": "e-edit",
                                        "data": edited})
        hub.publish("channel.general", created(message(GENERAL, 13)))  # stored after the read
    store.during_read = published_while_the_page_was_read

    await ws.write_message(json.dumps({"type": "resume", "req_id": "r1",
                                       "channels": {GENERAL: 10}}))
    frames = await frames_until(ws, "resumed")
    assert [(f["type"], f.get("data", {}).get("seq"), f.get("replayed")) for f in frames] == [
        ("message.created", 11, True), ("message.created", 12, True),
        ("message.updated", 11, None), ("message.created", 13, None), ("resumed", None, None)]
    assert frames[-1] == {"type": "resumed", "req_id": "r1",
                          "channels": {GENERAL: {"replayed": 2, "last_seq": 12,
                                                 "complete": True}}}
    hub.publish("channel.general", created(message(GENERAL, 14)))  # live again
    assert json.loads(await ws.read_message())["data"]["seq"] == 14
    ws.close()


async def test_a_long_absence_is_replayed_page_by_page(channels, open_socket, rpc):
    store = Store({GENERAL: [message(GENERAL, seq) for seq in range(1, 451)]})
    store.serve(rpc)
    ws = await connected(open_socket)
    before = [REGISTRY.get_sample_value(name) or 0 for name in COUNTERS]
    await ws.write_message(json.dumps({"type": "resume", "channels": {GENERAL: 0}}))
    frames = await frames_until(ws, "resumed")
    assert [f["data"]["seq"] for f in frames[:-1]] == list(range(1, 451))
    assert store.pages == [(GENERAL, 0, 200), (GENERAL, 200, 200), (GENERAL, 400, 200)]
    assert frames[-1]["channels"][GENERAL]["replayed"] == 450
    after = [REGISTRY.get_sample_value(name) for name in COUNTERS]
    assert [a - b for a, b in zip(after, before)] == [1, 450]   # one resume, 450 replayed
    ws.close()


async def test_a_replay_stops_at_its_bound_and_says_it_is_incomplete(
        channels, open_socket, rpc, config):
    config._data["gateway"]["resume_max_messages"] = 3
    Store({GENERAL: [message(GENERAL, seq) for seq in range(1, 10)]}).serve(rpc)
    ws = await connected(open_socket)
    await ws.write_message(json.dumps({"type": "resume", "channels": {GENERAL: 2}}))
    frames = await frames_until(ws, "resumed")
    assert [f["data"]["seq"] for f in frames[:-1]] == [3, 4, 5]
    assert frames[-1]["channels"][GENERAL] == {"replayed": 3, "last_seq": 5,
                                               "complete": False}
    ws.close()


async def test_a_channel_the_person_left_is_an_error_entry_and_the_others_resume(
        channels, open_socket, hub, rpc):
    Store({GENERAL: [message(GENERAL, 1)]}).serve(rpc)
    ws = await connected(open_socket)
    await ws.write_message(json.dumps({"type": "resume",
                                       "channels": {"gone": 4, GENERAL: 0}}))
    frames = await frames_until(ws, "resumed")
    assert [f["data"]["seq"] for f in frames[:-1]] == [1]
    assert frames[-1]["channels"]["gone"]["error"]["code"] == "forbidden"
    assert frames[-1]["channels"][GENERAL]["replayed"] == 1
    assert [c["args"][1] for c in rpc.calls if c["method"] == "catch_up"] == [{GENERAL: 0}]
    assert "messaging.history" not in rpc.methods_called()   # one page was all there was
    ws.close()


async def test_every_channel_is_caught_up_in_one_call_and_a_refusal_is_its_own_entry(
        channels, open_socket, rpc):
    store = Store({GENERAL: [message(GENERAL, seq) for seq in range(1, 4)], RANDOM: []})

    def catch_up(actor_id, positions, limit=50):
        answer = store.catch_up(actor_id, {GENERAL: positions[GENERAL]}, limit)
        return answer | {RANDOM: {"error": {"code": "not_found", "message": "no such channel"}}}
    store.serve(rpc)
    rpc.answer("messaging", "catch_up", catch_up)
    ws = await connected(open_socket)
    await ws.write_message(json.dumps({"type": "resume", "channels": {GENERAL: 1, RANDOM: 0}}))
    frames = await frames_until(ws, "resumed")
    assert [f["data"]["seq"] for f in frames[:-1]] == [2, 3]
    assert frames[-1]["channels"][RANDOM]["error"]["code"] == "not_found"
    assert [c["method"] for c in rpc.calls if c["service"] == "messaging"] == ["catch_up"]
    ws.close()


async def test_a_person_in_more_channels_than_one_call_takes_is_caught_up_in_several(
        channels, open_socket, rpc, monkeypatch):
    from gateway_tornado import websocket
    monkeypatch.setattr(websocket, "CATCH_UP_CHANNELS", 1)
    Store({GENERAL: [message(GENERAL, 1)], RANDOM: [message(RANDOM, 1)]}).serve(rpc)
    ws = await connected(open_socket)
    await ws.write_message(json.dumps({"type": "resume", "channels": {GENERAL: 0, RANDOM: 0}}))
    frames = await frames_until(ws, "resumed")
    assert sorted(f["data"]["channel_id"] for f in frames[:-1]) == sorted([GENERAL, RANDOM])
    assert [c["args"][1] for c in rpc.calls if c["method"] == "catch_up"] == [
        {GENERAL: 0}, {RANDOM: 0}]
    ws.close()


async def test_a_history_that_fails_is_an_error_entry_and_the_held_events_still_arrive(
        channels, open_socket, hub, rpc):
    from services.common.errors import ServiceUnavailable

    def failing(*args, **kwargs):
        hub.publish("channel.random", created(message(RANDOM, 8)))
        return ServiceUnavailable("messaging is not answering")
    rpc.answer("messaging", "catch_up", failing)
    ws = await connected(open_socket)
    await ws.write_message(json.dumps({"type": "resume", "channels": {RANDOM: 5}}))
    frames = await frames_until(ws, "resumed")
    assert [(f["type"], f.get("data", {}).get("seq")) for f in frames] == [
        ("message.created", 8), ("resumed", None)]
    assert frames[-1]["channels"][RANDOM]["error"]["code"] == "service_unavailable"
    ws.close()


@pytest.mark.parametrize("channels_field", [
    None, [], {}, {GENERAL: -1}, {GENERAL: "3"}, {GENERAL: True}, {"": 1}])
async def test_a_resume_needs_channels_with_non_negative_seqs(
        channels, open_socket, rpc, channels_field):
    ws = await connected(open_socket)
    await ws.write_message(json.dumps({"type": "resume", "req_id": 1,
                                       "channels": channels_field}))
    reply = json.loads(await ws.read_message())
    assert (reply["type"], reply["code"], reply["req_id"]) == ("error", "invalid_input", 1)
    assert not {"messaging.history", "messaging.catch_up"} & set(rpc.methods_called())
    ws.close()


async def test_a_read_frame_marks_the_channel_read_and_acks_the_cursors(
        channels, open_socket, rpc):
    rpc.answer("channels", "mark_read", {"channel_id": GENERAL, "read_seq": 7,
                                         "delivered_seq": 7, "unread": 0, "mentions": 0})
    ws = await connected(open_socket)
    await ws.write_message(json.dumps({"type": "read", "req_id": "r", "channel_id": GENERAL,
                                       "seq": 7}))
    ack = json.loads(await ws.read_message())
    assert ack == {"type": "ack", "req_id": "r", "channel_id": GENERAL, "read_seq": 7,
                   "delivered_seq": 7, "unread": 0, "mentions": 0}
    call = [c for c in rpc.calls if c["method"] == "mark_read"][0]
    assert call["args"] == ("user-1", GENERAL, 7)
    await ws.write_message(json.dumps({"type": "read", "req_id": "s", "channel_id": GENERAL,
                                       "seq": -1}))
    assert json.loads(await ws.read_message())["code"] == "invalid_input"
    ws.close()


@pytest.fixture
def open_resuming(base_url, tokens, hub):
    """A socket opened with ?resume=1: it promises a resume frame after hello."""
    async def open_resuming():
        token = tokens.issue("user-1", "session-1")
        ws = await websocket_connect(base_url.replace("http", "ws", 1)
                                     + f"/ws?access_token={token}&resume=1")
        assert json.loads(await ws.read_message())["type"] == "hello"
        return ws
    return open_resuming


async def test_with_resume_1_events_before_the_resume_frame_wait_for_the_replay(
        channels, open_resuming, hub, rpc):
    store = Store({GENERAL: [message(GENERAL, seq) for seq in range(1, 7)]})
    store.serve(rpc)
    ws = await open_resuming()
    hub.publish("channel.general", created(message(GENERAL, 6)))   # before the resume frame
    hub.publish("channel.random", created(message(RANDOM, 3)))     # a channel not resumed
    await ws.write_message(json.dumps({"type": "resume", "channels": {GENERAL: 4}}))
    frames = await frames_until(ws, "resumed")
    assert [(f["type"], f.get("data", {}).get("channel_id"), f.get("data", {}).get("seq"))
            for f in frames] == [("message.created", GENERAL, 5),
                                 ("message.created", GENERAL, 6),
                                 ("message.created", RANDOM, 3), ("resumed", None, None)]
    ws.close()


async def test_with_resume_1_and_no_resume_frame_the_held_events_come_after_a_while(
        channels, open_resuming, hub, monkeypatch):
    monkeypatch.setattr(websocket, "RESUME_WAIT", 0.2)
    ws = await open_resuming()
    hub.publish("channel.general", created(message(GENERAL, 9)))
    frame = json.loads(await asyncio.wait_for(ws.read_message(), 10))
    assert frame["data"]["seq"] == 9
    ws.close()


async def test_hello_is_the_first_frame_even_when_an_event_comes_while_the_socket_opens(
        channels, open_socket, hub, rpc):
    def connect(*args):   # presence announces the person online before hello is sent
        hub.publish("user.user-1", {"type": "presence.changed", "event_id": "p1",
                                    "data": {"user_id": "user-1", "status": "online"}})
    rpc.answer("presence", "connect", connect)
    ws = await open_socket()
    assert json.loads(await ws.read_message())["type"] == "hello"
    assert json.loads(await ws.read_message())["type"] == "presence.changed"
    ws.close()
