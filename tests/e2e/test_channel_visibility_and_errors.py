"""Channels as their members and outsiders see them, and what every error carries."""
from __future__ import annotations

import uuid

from tests.support.client import Person, http, unique_email


def channel_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_a_private_channel_is_invisible_to_people_outside_it(base_url):
    owner = await Person(base_url, unique_email("owner")).sign_up()
    outsider = await Person(base_url, unique_email("outsider")).sign_up()
    created = await owner.call("POST", "/channels", {"name": channel_name("secret"),
                                                     "is_private": True})
    assert created.status == 201 and created.body["is_private"] is True
    path = f"/channels/{created.body['id']}"

    assert (await owner.call("GET", path)).status == 200
    assert (await owner.call("GET", f"{path}/members")).body == [owner.user_id]

    # every request about it answers like an unknown id (docs/permissions.md)
    for probe in (outsider.call("GET", path), outsider.call("GET", f"{path}/members"),
                  outsider.call("POST", f"{path}/join"),
                  outsider.call("POST", f"{path}/read", {"seq": 1})):
        answer = await probe
        assert answer.status == 404 and answer.body["error"]["code"] == "not_found"
    assert created.body["id"] not in (await outsider.call("GET", "/me/unread")).body


async def test_a_public_channel_is_visible_to_everyone_signed_in(base_url):
    owner = await Person(base_url, unique_email("owner")).sign_up()
    colleague = await Person(base_url, unique_email("colleague")).sign_up()
    created = await owner.call("POST", "/channels", {"name": channel_name("general")})
    path = f"/channels/{created.body['id']}"
    seen = await colleague.call("GET", path)
    assert seen.status == 200 and seen.body["name"] == created.body["name"]
    assert (await colleague.call("GET", f"{path}/members")).body == [owner.user_id]


async def test_a_creators_open_socket_hears_the_new_channel_without_reconnecting(base_url):
    ann = await Person(base_url, unique_email("ann")).sign_up()
    await ann.connect()  # opened before the channel exists
    try:
        created = await ann.call("POST", "/channels", {"name": channel_name("fresh")})
        channel_id = created.body["id"]
        joined = await ann.next_frame(lambda f: f["type"] == "member.joined")
        assert joined["data"] == {"channel_id": channel_id, "user_id": ann.user_id}

        sent = await ann.call("POST", f"/channels/{channel_id}/messages",
                              {"client_msg_id": "first", "text": "anyone here?"})
        assert sent.status == 201
        live = await ann.next_frame(lambda f: f["type"] == "message.created")
        assert live["data"]["id"] == sent.body["id"]
    finally:
        ann.close()


async def test_errors_keep_the_request_id_and_the_json_envelope(base_url):
    request_id = uuid.uuid4().hex
    answer = await http("GET", f"{base_url}/api/v1/me", headers={"X-Request-Id": request_id})
    assert answer.status == 401 and answer.body["error"]["code"] == "unauthenticated"
    assert answer.headers["X-Request-Id"] == request_id

    unknown = await http("GET", f"{base_url}/api/v1/no-such-route")
    assert unknown.status == 404 and unknown.body["error"]["code"] == "not_found"
    assert len(unknown.headers["X-Request-Id"]) == 32  # made up by the gateway


async def test_gateway_metrics_are_not_served_on_the_public_port(base_url):
    answer = await http("GET", f"{base_url}/metrics")
    assert answer.status == 404
    assert b"parley_http_requests_total" not in (answer.body if isinstance(answer.body, bytes)
                                                 else str(answer.body).encode())
