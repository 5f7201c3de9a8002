"""gateway_tornado/heartbeat.py: one beat for all of a gateway's sockets renews their
presence sessions in chunked ``presence.renew`` calls and closes the sockets whose
session ended, even when the bus lost the ``session.revoked`` event, and notes its
people active in one ``users.touch_many`` call."""
from __future__ import annotations

import asyncio
import json

from services.common.errors import ServiceUnavailable
from services.common.revocation import revoked_session_key

from gateway_tornado import activity, heartbeat
from gateway_tornado.tests.test_socket_sessions import frames_until_closed, hub, open_socket  # noqa: F401 (fixtures)


async def open_with_hello(open_socket, user_id, session_id):
    ws = await open_socket(user_id, session_id)
    assert json.loads(await ws.read_message())["type"] == "hello"
    return ws


def renewed(rpc) -> list[list[dict]]:
    return [c["args"][0] for c in rpc.calls if c["method"] == "renew"]


async def test_one_beat_renews_every_open_sockets_presence_session(open_socket, gateway, rpc):
    rpc.answer("presence", "renew", {})
    sockets = [await open_with_hello(open_socket, f"user-{n}", f"session-{n}") for n in range(3)]
    await heartbeat.beat(gateway)
    (sessions,) = renewed(rpc)
    assert sorted(s["user_id"] for s in sessions) == ["user-0", "user-1", "user-2"]
    assert {s["state"] for s in sessions} == {"active"}
    assert len({s["session_id"] for s in sessions}) == 3   # each socket its own session
    for ws in sockets:
        ws.close()


async def test_sessions_go_to_presence_in_chunks(open_socket, gateway, rpc, monkeypatch):
    monkeypatch.setattr(heartbeat, "CHUNK", 2)
    rpc.answer("presence", "renew", {})
    sockets = [await open_with_hello(open_socket, f"user-{n}", f"session-{n}") for n in range(5)]
    await heartbeat.beat(gateway)
    assert [len(chunk) for chunk in renewed(rpc)] == [2, 2, 1]
    for ws in sockets:
        ws.close()


async def test_a_beat_closes_the_sockets_of_ended_sessions_and_renews_only_the_others(
        open_socket, gateway, rpc, revocations):
    rpc.answer("presence", "renew", {})
    ended = await open_with_hello(open_socket, "user-1", "session-1")
    live = await open_with_hello(open_socket, "user-2", "session-2")
    await revocations.set(revoked_session_key("session-1"), "logout")   # the event was lost
    await heartbeat.beat(gateway)
    assert await frames_until_closed(ended) == []
    assert ended.close_code == 4001
    assert [s["user_id"] for s in renewed(rpc)[0]] == ["user-2"]
    live.close()


async def test_presence_being_away_fails_one_beat_not_the_sockets(open_socket, gateway, rpc):
    rpc.answer("presence", "renew", ServiceUnavailable("no presence instance"))
    ws = await open_with_hello(open_socket, "user-1", "session-1")
    await heartbeat.beat(gateway)
    await ws.write_message(json.dumps({"type": "ping", "req_id": 7}))
    assert json.loads(await ws.read_message())["type"] == "pong"
    ws.close()


async def test_a_beat_notes_its_people_active_in_one_call_at_most_once_a_minute(
        open_socket, gateway, rpc):
    rpc.answer("presence", "renew", {})
    rpc.answer("users", "touch", {})
    rpc.answer("users", "touch_many", lambda user_ids: {"touched": len(user_ids)})
    sockets = [await open_with_hello(open_socket, f"user-{n}", f"session-{n}")
               for n in (1, 2, 2, 3)]
    activity._touched.clear()   # a minute after the sockets opened (each touched then)
    await heartbeat.beat(gateway)
    await heartbeat.beat(gateway)
    await asyncio.gather(*activity._pending)
    (touched,) = [c["args"][0] for c in rpc.calls if c["method"] == "touch_many"]
    assert sorted(touched) == ["user-1", "user-2", "user-3"]
    for ws in sockets:
        ws.close()
