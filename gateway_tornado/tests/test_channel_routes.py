"""The channel routes (gateway_tornado/handlers/channels.py): what reaches the
channels service, what the gateway refuses itself, how pages and statuses come
back; and how a socket follows its own joins and departures."""
from __future__ import annotations

import asyncio
import json

import pytest
from tornado.websocket import websocket_connect

CHANNEL = {"id": "chan-1", "kind": "public", "name": "general"}


def calls_to(rpc, method):
    return [c for c in rpc.calls if c["service"] == "channels" and c["method"] == method]


async def test_creating_passes_name_privacy_topic_and_purpose(fetch, rpc, bearer):
    rpc.answer("channels", "create", CHANNEL)
    response = await fetch("/api/v1/channels", method="POST", headers=bearer("ada"),
                           body={"name": "general", "is_private": True, "topic": "t"})
    assert response.code == 201
    assert calls_to(rpc, "create")[0]["args"] == ("ada", "general", True, "t", "")


@pytest.mark.parametrize("path, method, body", [
    ("/api/v1/channels", "POST", {"name": "x", "private": True}),
    ("/api/v1/channels/chan-1", "PATCH", {"title": "x"}),
    ("/api/v1/channels/chan-1/notifications", "PUT", {"level": "all", "sound": "on"}),
    ("/api/v1/dms", "POST", {"user_ids": ["u2"], "name": "x"}),
])
async def test_unknown_fields_are_refused_before_any_call(fetch, rpc, bearer, path, method, body):
    response = await fetch(path, method=method, headers=bearer(), body=body)
    assert response.code == 400
    assert json.loads(response.body)["error"]["code"] == "invalid_input"
    assert rpc.calls == []


async def test_patch_sends_only_the_fields_given(fetch, rpc, bearer):
    rpc.answer("channels", "update", CHANNEL)
    await fetch("/api/v1/channels/chan-1", method="PATCH", headers=bearer("ada"),
                body={"topic": "news"})
    (call,) = calls_to(rpc, "update")
    assert call["args"] == ("ada", "chan-1") and call["kwargs"] == {"topic": "news"}


async def test_member_pages_are_arrays_with_the_next_cursor_in_a_header(fetch, rpc, bearer):
    rpc.answer("channels", "members", {"members": ["u1", "u2"], "next_cursor": "abc"})
    response = await fetch("/api/v1/channels/chan-1/members?limit=2&cursor=xyz",
                           headers=bearer("ada"))
    assert json.loads(response.body) == ["u1", "u2"]
    assert response.headers["X-Next-Cursor"] == "abc"
    assert calls_to(rpc, "members")[0]["kwargs"] == {"cursor": "xyz", "limit": 2}


async def test_the_last_page_has_no_next_cursor_header(fetch, rpc, bearer):
    rpc.answer("channels", "members", {"members": ["u1"], "next_cursor": None})
    response = await fetch("/api/v1/channels/chan-1/members", headers=bearer())
    assert "X-Next-Cursor" not in response.headers
    assert calls_to(rpc, "members")[0]["kwargs"] == {"cursor": None}


async def test_the_directory_is_not_mistaken_for_a_channel_id(fetch, rpc, bearer):
    rpc.answer("channels", "directory", {"channels": [CHANNEL], "next_cursor": "n1"})
    response = await fetch("/api/v1/channels/directory?q=gen&limit=10&archived=true",
                           headers=bearer("ada"))
    assert json.loads(response.body)["channels"] == [CHANNEL]
    assert response.headers["X-Next-Cursor"] == "n1"
    assert calls_to(rpc, "directory")[0]["kwargs"] == {
        "prefix": "gen", "include_archived": True, "cursor": None, "limit": 10}


@pytest.mark.parametrize("query", ["limit=ten", "limit=-1", "archived=maybe"])
async def test_bad_query_arguments_are_refused(fetch, rpc, bearer, query):
    response = await fetch(f"/api/v1/channels/directory?{query}", headers=bearer())
    assert response.code == 400 and rpc.calls == []


async def test_inviting_sends_the_user_ids(fetch, rpc, bearer):
    rpc.answer("channels", "invite", {"channel_id": "chan-1", "added": ["u2"],
                                      "already_members": []})
    response = await fetch("/api/v1/channels/chan-1/members", method="POST",
                           headers=bearer("ada"), body={"user_ids": ["u2"]})
    assert response.code == 200
    assert calls_to(rpc, "invite")[0]["args"] == ("ada", "chan-1", ["u2"])


async def test_removing_names_the_channel_and_the_person(fetch, rpc, bearer):
    rpc.answer("channels", "remove", {"channel_id": "chan-1", "user_id": "u2",
                                      "removed": True})
    response = await fetch("/api/v1/channels/chan-1/members/u2", method="DELETE",
                           headers=bearer("ada"))
    assert response.code == 200
    assert calls_to(rpc, "remove")[0]["args"] == ("ada", "chan-1", "u2")


@pytest.mark.parametrize("path, method", [("archive", "archive"), ("unarchive", "unarchive"),
                                          ("join", "join"), ("leave", "leave")])
async def test_the_one_word_actions_call_their_rpc(fetch, rpc, bearer, path, method):
    rpc.answer("channels", method, CHANNEL)
    response = await fetch(f"/api/v1/channels/chan-1/{path}", method="POST", headers=bearer("ada"))
    assert response.code == 200
    assert calls_to(rpc, method)[0]["args"] == ("ada", "chan-1")


async def test_the_read_cursor_goes_to_the_channels_service(fetch, rpc, bearer):
    rpc.answer("channels", "mark_read", {"channel_id": "chan-1", "read_seq": 4, "unread": 0})
    response = await fetch("/api/v1/channels/chan-1/read", method="POST", headers=bearer("ada"),
                           body={"seq": 4})
    assert json.loads(response.body)["unread"] == 0
    assert rpc.methods_called() == ["channels.mark_read"]
    assert rpc.calls[0]["args"] == ("ada", "chan-1", 4)


async def test_notification_settings_are_passed_as_given(fetch, rpc, bearer):
    rpc.answer("channels", "set_notifications", {"notification_level": "mentions"})
    await fetch("/api/v1/channels/chan-1/notifications", method="PUT", headers=bearer("ada"),
                body={"level": "mentions", "muted": True})
    assert calls_to(rpc, "set_notifications")[0]["kwargs"] == {"level": "mentions",
                                                               "muted": True}


@pytest.mark.parametrize("created, status", [(True, 201), (False, 200)])
async def test_opening_a_dm_answers_201_when_created_and_200_when_found(
        fetch, rpc, bearer, created, status):
    rpc.answer("channels", "open_dm", {**CHANNEL, "kind": "dm", "created": created})
    response = await fetch("/api/v1/dms", method="POST", headers=bearer("ada"),
                           body={"user_ids": ["bob"]})
    assert response.code == status
    assert "created" not in json.loads(response.body)
    assert calls_to(rpc, "open_dm")[0]["args"] == ("ada", ["bob"])


# -- sockets follow their own membership -------------------------------------------------
class FakeHub:
    """Records which socket listens to which routing key."""

    def __init__(self):
        self.listeners: dict[str, set] = {}

    async def subscribe(self, key, listener):
        self.listeners.setdefault(key, set()).add(listener)

    async def unsubscribe(self, key, listener):
        self.listeners.get(key, set()).discard(listener)

    def deliver(self, key, event):
        event = dict(event)   # like the hub: a fresh dict off the wire, shared by its listeners
        for listener in list(self.listeners.get(key, ())):
            listener.deliver(key, event)

    def keys(self) -> set[str]:
        return {key for key, listeners in self.listeners.items() if listeners}


async def eventually(check):
    for _ in range(100):
        if check():
            return True
        await asyncio.sleep(0.01)
    return False


async def test_a_socket_stops_hearing_a_channel_it_left_and_starts_on_joining(
        gateway, base_url, rpc, tokens):
    hub = gateway.hub = FakeHub()
    rpc.answer("channels", "list_for_user", [{"id": "chan-1"}])
    rpc.answer("presence", "connect", {})
    rpc.answer("presence", "disconnect", {})
    if hasattr(gateway, "sessions"):  # the socket may check its session is live
        async def live(session_id):
            return None
        gateway.sessions.ensure_live = live
    token = tokens.issue("ada", "session-1")
    socket = await websocket_connect(base_url.replace("http", "ws") + f"/ws?access_token={token}")
    try:
        assert json.loads(await socket.read_message())["type"] == "hello"
        assert hub.keys() == {"user.ada", "channel.chan-1"}

        left = {"type": "member.left",
                "data": {"channel_id": "chan-1", "user_id": "ada", "removed_by": "bob"}}
        hub.deliver("channel.chan-1", left)
        assert json.loads(await socket.read_message()) == left  # told, then no more
        assert await eventually(lambda: hub.keys() == {"user.ada"})

        someone_else = {"type": "member.left", "data": {"channel_id": "chan-2", "user_id": "cy"}}
        joined = {"type": "member.joined", "data": {"channel_id": "chan-2", "user_id": "ada"}}
        hub.deliver("user.ada", joined)
        assert json.loads(await socket.read_message()) == joined
        assert await eventually(lambda: hub.keys() == {"user.ada", "channel.chan-2"})
        hub.deliver("channel.chan-2", someone_else)
        assert json.loads(await socket.read_message()) == someone_else
        assert hub.keys() == {"user.ada", "channel.chan-2"}  # others leaving changes nothing
    finally:
        socket.close()
