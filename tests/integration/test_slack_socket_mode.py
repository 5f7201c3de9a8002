"""Slack's Socket Mode on the real stack, driven by the official
``slack_sdk.socket_mode.SocketModeClient`` (the builtin one) through Traefik with a
bot's app-level token (docs/slack-compat.md, Socket Mode): ``apps.connections.open``,
``hello``, ``events_api`` envelopes of the bot's conversations, acknowledgements,
and an envelope left unacknowledged sent again to the app's next connection."""
from __future__ import annotations

import json

import pytest
import requests
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from tornado.httpclient import HTTPClientError
from tornado.websocket import websocket_connect

from tests.support.client import eventually
from tests.support.slack import Heard, bot_in_a_new_channel, slack_user, web_client


@pytest.fixture
async def app(base_url, system):
    """A bot (with its app-level token), Ann, and a channel Ann made with the bot in
    it. A bot per test: each app has its own pending envelopes."""
    return await bot_in_a_new_channel(base_url, system, "sm")


def socket_mode(base_url: str, app: dict, acknowledge: bool = True
                ) -> tuple[SocketModeClient, Heard]:
    """A connected SocketModeClient of the app that keeps every request it gets and
    (``acknowledge``) acknowledges it as a Bolt app does."""
    client = SocketModeClient(app_token=app["bot"]["app_token"], ping_interval=2,
                              web_client=web_client(base_url, app["bot"]["bot_token"]))
    heard, hellos = Heard(), Heard()

    def on_request(client: SocketModeClient, request: SocketModeRequest) -> None:
        heard.add({"type": request.type, "envelope_id": request.envelope_id,
                   "payload": request.payload,
                   "accepts_response_payload": request.accepts_response_payload,
                   "retry_attempt": request.retry_attempt,
                   "retry_reason": request.retry_reason})
        if acknowledge:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    client.socket_mode_request_listeners.append(on_request)
    client.message_listeners.append(lambda c, message, raw: hellos.add(message))
    client.connect()
    hellos.wait_for(lambda m: m.get("type") == "hello")
    heard.hello = hellos.wait_for(lambda m: m.get("type") == "hello")
    return client, heard


def test_apps_connections_open_needs_an_app_level_token(base_url, app):
    url = web_client(base_url, None).apps_connections_open(
        app_token=app["bot"]["app_token"])["url"]
    assert url.startswith(f"ws://{base_url.split('://', 1)[1]}/slack/socket-mode?ticket=")
    assert app["bot"]["app_token"] not in url
    refused = requests.post(f"{base_url}/slack/api/apps.connections.open", timeout=10,
                            headers={"Authorization": f"Bearer {app['bot']['bot_token']}"})
    assert refused.json() == {"ok": False, "error": "not_allowed_token_type"}


async def test_hello_names_the_app_and_a_ticket_opens_one_socket(base_url, app):
    url = web_client(base_url, None).apps_connections_open(
        app_token=app["bot"]["app_token"])["url"]
    socket = await websocket_connect(url)
    hello = json.loads(await socket.read_message())
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": "A" + app["bot"]["app_id"].upper()}
    assert "debug_info" in hello
    with pytest.raises(HTTPClientError) as refused:
        await websocket_connect(url)
    assert refused.value.code == 401
    socket.close()


async def test_messages_and_reactions_arrive_as_events_api_envelopes(base_url, app):
    client, heard = socket_mode(base_url, app)
    try:
        posted = app["as_ann"].chat_postMessage(channel=app["channel"], text="hello app")
        request = heard.wait_for(lambda r: r["payload"]["event"].get("ts") == posted["ts"])
        assert request["type"] == "events_api" and request["envelope_id"]
        assert request["accepts_response_payload"] is False
        assert request["retry_attempt"] == 0
        payload = request["payload"]
        assert payload["type"] == "event_callback"
        assert payload["api_app_id"] == "A" + app["bot"]["app_id"].upper()
        assert payload["team_id"].startswith("T") and payload["event_id"].startswith("Ev")
        assert isinstance(payload["event_time"], int)
        event = payload["event"]
        assert event["type"] == "message" and event["text"] == "hello app"
        assert event["channel"] == app["channel"] and event["channel_type"] == "channel"
        assert event["user"] == slack_user(app["ann"].user_id)

        app["as_ann"].reactions_add(channel=app["channel"], timestamp=posted["ts"], name="eyes")
        reaction = heard.wait_for(lambda r: r["payload"]["event"]["type"] == "reaction_added")
        assert reaction["payload"]["event"]["item"] == {
            "type": "message", "channel": app["channel"], "ts": posted["ts"]}
    finally:
        client.close()


async def test_an_envelope_left_unacknowledged_is_sent_again_to_the_next_connection(
        base_url, app):
    silent, heard = socket_mode(base_url, app, acknowledge=False)
    posted = app["as_ann"].chat_postMessage(channel=app["channel"], text="answer me")
    first = heard.wait_for(lambda r: r["payload"]["event"].get("ts") == posted["ts"])
    silent.close()

    client, heard_again = socket_mode(base_url, app)
    try:
        again = heard_again.wait_for(lambda r: r["payload"]["event"].get("ts") == posted["ts"])
        assert again["envelope_id"] == first["envelope_id"]
        assert again["retry_attempt"] >= 1 and again["retry_reason"]
        assert again["payload"]["event_id"] == first["payload"]["event_id"]
        # acknowledged now: a third connection gets nothing again
        marker = app["as_ann"].chat_postMessage(channel=app["channel"], text="marker")["ts"]
        heard_again.wait_for(lambda r: r["payload"]["event"].get("ts") == marker)
    finally:
        client.close()
    third, heard_third = socket_mode(base_url, app)
    try:
        later = app["as_ann"].chat_postMessage(channel=app["channel"], text="later")["ts"]
        heard_third.wait_for(lambda r: r["payload"]["event"].get("ts") == later)
        assert not [r for r in heard_third.items
                    if r["payload"]["event"].get("ts") in (posted["ts"], marker)]
    finally:
        third.close()


async def test_one_event_goes_to_one_of_the_apps_connections(base_url, app):
    one, heard_one = socket_mode(base_url, app)
    two, heard_two = socket_mode(base_url, app)
    try:
        ts = app["as_ann"].chat_postMessage(channel=app["channel"], text="once")["ts"]
        marker = app["as_ann"].chat_postMessage(channel=app["channel"], text="then")["ts"]
        await eventually(lambda: _any(heard_one, heard_two, marker))
        got = [r for h in (heard_one, heard_two) for r in h.items
               if r["payload"]["event"].get("ts") == ts]
        assert len(got) == 1
    finally:
        one.close()
        two.close()


async def _any(one: Heard, two: Heard, ts: str) -> bool:
    return any(r["payload"]["event"].get("ts") == ts for h in (one, two) for r in h.items)
