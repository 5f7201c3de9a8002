"""The REST handlers (gateway_tornado/handlers/): what the routes check themselves
and how they turn service answers into statuses (services scripted, see conftest.py)."""
from __future__ import annotations

import json

import pytest

from services.common.errors import Conflict

MESSAGE = {"id": "m1", "channel_id": "chan-1", "seq": 1, "sender_id": "user-1",
           "client_msg_id": "c-1", "text": "hi", "attachments": [],
           "created_at": "2026-01-01T00:00:00+00:00"}


@pytest.mark.parametrize("duplicate, status", [(False, 201), (True, 200)])
async def test_sending_answers_201_for_a_new_message_and_200_for_a_resend(
        fetch, rpc, bearer, duplicate, status):
    rpc.answer("messaging", "send", {**MESSAGE, "duplicate": duplicate})
    response = await fetch("/api/v1/channels/chan-1/messages", method="POST", headers=bearer(),
                           body={"client_msg_id": "c-1", "text": "hi"})
    assert response.code == status
    assert json.loads(response.body) == MESSAGE  # the internal flag is not shown


async def test_sending_passes_actor_channel_client_id_text_and_attachments(fetch, rpc, bearer):
    rpc.answer("messaging", "send", {**MESSAGE, "duplicate": False})
    await fetch("/api/v1/channels/chan-1/messages", method="POST", headers=bearer("user-9"),
                body={"client_msg_id": "c-1", "text": "hi", "attachments": ["f1"]})
    assert rpc.calls[0]["args"] == ("user-9", "chan-1", "c-1", "hi", ["f1"])


@pytest.mark.parametrize("created, status", [(True, 201), (False, 200)])
async def test_registering_answers_201_for_a_new_account_and_200_for_the_same_again(
        fetch, rpc, created, status):
    rpc.answer("auth", "register", {"user_id": "u1", "email": "ada@example.com",
                                    "created": created})
    rpc.answer("users", "ensure_profile", lambda user_id, email, name: {
        "user_id": user_id, "email": email, "display_name": name})
    response = await fetch("/api/v1/auth/register", method="POST", body={
        "email": "Ada@Example.com", "password": "correct horse", "display_name": " Ada "})
    assert response.code == status
    assert json.loads(response.body) == {"user_id": "u1", "email": "ada@example.com",
                                         "display_name": "Ada"}
    assert rpc.methods_called() == ["auth.register", "users.ensure_profile"]


async def test_a_refused_registration_creates_no_profile(fetch, rpc):
    rpc.answer("auth", "register", Conflict("email address is already registered"))
    response = await fetch("/api/v1/auth/register", method="POST",
                           body={"email": "a@b.co", "password": "x" * 8, "display_name": "A"})
    assert response.code == 409
    assert rpc.methods_called() == ["auth.register"]


@pytest.mark.parametrize("seq", [-1, "3", 1.5, None, [1], True, False])
async def test_marking_read_needs_a_non_negative_integer_seq(fetch, rpc, bearer, seq):
    response = await fetch("/api/v1/channels/chan-1/read", method="POST", headers=bearer(),
                           body={"seq": seq})
    assert response.code == 400
    assert json.loads(response.body)["error"]["code"] == "invalid_input"
    assert rpc.calls == []


async def test_history_query_arguments_are_passed_as_integers(fetch, rpc, bearer):
    rpc.answer("messaging", "history", [])
    response = await fetch("/api/v1/channels/chan-1/messages?after=5&limit=20", headers=bearer())
    assert response.code == 200
    assert rpc.calls[0]["args"] == ("user-1", "chan-1")
    assert rpc.calls[0]["kwargs"] == {"after": 5, "limit": 20}


@pytest.mark.parametrize("query", ["limit=ten", "after=-1", "before=1.5"])
async def test_history_refuses_a_query_argument_that_is_not_a_number(fetch, rpc, bearer, query):
    response = await fetch(f"/api/v1/channels/chan-1/messages?{query}", headers=bearer())
    assert response.code == 400
    assert json.loads(response.body)["error"]["code"] == "invalid_input"
    assert rpc.calls == []


async def test_presence_asks_for_at_most_200_non_empty_user_ids(fetch, rpc, bearer):
    rpc.answer("presence", "get", {})
    ids = ",".join(f"u{i}" for i in range(250))
    await fetch(f"/api/v1/presence?user_ids=,{ids},,", headers=bearer())
    (asked,) = rpc.calls[0]["args"]
    assert asked == [f"u{i}" for i in range(200)]


async def test_a_channel_id_outside_the_allowed_alphabet_matches_no_route(fetch, rpc, bearer):
    response = await fetch("/api/v1/channels/bad.id/messages", headers=bearer())
    assert response.code == 404
    assert rpc.calls == []
