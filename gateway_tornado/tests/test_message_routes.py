"""The REST routes of one message (gateway_tornado/handlers/messages.py): what
each passes to messaging (services scripted, see conftest.py)."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest

MESSAGE = {"id": "6742a1b2c3d4e5f601234567", "channel_id": "chan-1", "seq": 1}
URL = "/api/v1/channels/chan-1/messages/6742a1b2c3d4e5f601234567"


@pytest.mark.parametrize("method, path, body, rpc_method, extra", [
    ("GET", "", None, "get", ()),
    ("PATCH", "", {"text": "new"}, "edit", ("new",)),
    ("DELETE", "", None, "delete", ()),
    ("POST", "/pin", None, "pin", (True,)),
    ("DELETE", "/pin", None, "pin", (False,)),
    ("PUT", f"/reactions/{quote('👍')}", None, "react", ("👍", True)),
    ("DELETE", "/reactions/thumbsup", None, "react", ("thumbsup", False)),
])
async def test_each_route_calls_messaging_with_the_actor_and_the_message(
        fetch, rpc, bearer, method, path, body, rpc_method, extra):
    rpc.answer("messaging", rpc_method, MESSAGE)
    response = await fetch(URL + path, method=method, headers=bearer("user-9"), body=body)
    assert response.code == 200
    assert json.loads(response.body) == MESSAGE
    assert rpc.calls[0]["method"] == rpc_method
    assert rpc.calls[0]["args"] == ("user-9", "chan-1", MESSAGE["id"], *extra)


async def test_the_pinned_list_asks_messaging_for_the_channel(fetch, rpc, bearer):
    rpc.answer("messaging", "pins", [MESSAGE])
    response = await fetch("/api/v1/channels/chan-1/pins", headers=bearer("user-9"))
    assert response.code == 200
    assert json.loads(response.body) == [MESSAGE]
    assert (rpc.calls[0]["method"], rpc.calls[0]["args"]) == ("pins", ("user-9", "chan-1"))


@pytest.mark.parametrize("body", [{}, {"text": 5}, {"text": None}])
async def test_an_edit_needs_text(fetch, rpc, bearer, body):
    response = await fetch(URL, method="PATCH", headers=bearer(), body=body)
    assert response.code == 400
    assert rpc.calls == []


async def test_history_passes_around_and_order_and_replies_page(fetch, rpc, bearer):
    rpc.answer("messaging", "history", [])
    rpc.answer("messaging", "thread", [])
    await fetch("/api/v1/channels/chan-1/messages?around=7&order=newest", headers=bearer())
    assert rpc.calls[0]["kwargs"] == {"around": 7, "order": "newest"}
    await fetch(f"{URL}/replies?after=3&limit=10", headers=bearer())
    assert rpc.calls[1]["args"] == ("user-1", "chan-1", MESSAGE["id"])
    assert rpc.calls[1]["kwargs"] == {"after": 3, "limit": 10}


async def test_a_reply_passes_its_parent_and_whether_the_channel_sees_it(fetch, rpc, bearer):
    rpc.answer("messaging", "send", {**MESSAGE, "duplicate": False})
    await fetch("/api/v1/channels/chan-1/messages", method="POST", headers=bearer(),
                body={"client_msg_id": "c-1", "text": "hi", "thread_parent_id": "p1",
                      "also_to_channel": True})
    assert rpc.calls[0]["kwargs"] == {"thread_parent_id": "p1", "also_to_channel": True}
