"""Slack's RTM API on the real stack, driven by the official
``slack_sdk.rtm_v2.RTMClient`` through Traefik (docs/slack-compat.md, RTM):
``rtm.connect``, the socket's hello, the events of the bot's conversations —
messages posted by people through Parley's own API and through the Slack Web
API, edits, deletes, reactions, joins, typing — pings and pongs, and a client
that stays connected past its ping interval."""
from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid

import pytest
import requests
from slack_sdk.rtm_v2 import RTMClient
from tornado.httpclient import HTTPClientError
from tornado.websocket import websocket_connect

from tests.support.client import Person, unique_email
from tests.support.slack import Heard, bot_in_a_new_channel, close_rtm, slack_user, web_client

PING_INTERVAL = 2   # seconds between the client's WebSocket pings


@pytest.fixture(scope="module")
async def room(base_url, system):
    """Ann (a person), a bot, and a public channel Ann made with the bot in it."""
    return await bot_in_a_new_channel(base_url, system, "rtm")


@pytest.fixture
def rtm(base_url, room):
    """The bot's RTMClient v2, connected, with everything it heard."""
    client = RTMClient(token=room["bot"]["bot_token"], ping_interval=PING_INTERVAL,
                       web_client=web_client(base_url, room["bot"]["bot_token"]))
    heard = Heard()

    @client.on("*")
    def everything(client, event):
        heard.add(event)

    client.connect()
    heard.wait_for(lambda e: e.get("type") == "hello")
    yield client, heard
    close_rtm(client)


def test_a_closed_bots_client_leaves_no_thread_of_it_running(base_url, room):
    """slack_sdk's own close leaves its session monitor pinging; close_rtm stops it."""
    before = set(threading.enumerate())
    client = RTMClient(token=room["bot"]["bot_token"], ping_interval=PING_INTERVAL,
                       web_client=web_client(base_url, room["bot"]["bot_token"]))
    heard = Heard()
    client.on("hello")(lambda client, event: heard.add(event))
    client.connect()
    heard.wait_for(lambda e: e.get("type") == "hello")
    close_rtm(client)
    assert [t.name for t in set(threading.enumerate()) - before if t.is_alive()] == []


def test_rtm_connect_answers_a_ticketed_socket_url_on_the_same_host_self_and_team(
        base_url, room):
    answer = web_client(base_url, room["bot"]["bot_token"]).rtm_connect()
    host = base_url.split("://", 1)[1]
    assert answer["url"].startswith(f"ws://{host}/slack/rtm?ticket=")
    assert room["bot"]["bot_token"] not in answer["url"]
    assert answer["self"]["id"] == slack_user(room["bot"]["user_id"])
    assert answer["self"]["name"] == room["bot"]["name"]
    assert answer["team"]["id"].startswith("T") and answer["team"]["name"]


async def test_a_ticket_opens_one_socket_only(base_url, room):
    url = web_client(base_url, room["bot"]["bot_token"]).rtm_connect()["url"]
    socket = await websocket_connect(url)
    assert json.loads(await socket.read_message()) == {"type": "hello"}
    with pytest.raises(HTTPClientError) as refused:
        await websocket_connect(url)
    assert refused.value.code == 401
    socket.close()


async def test_rtm_connect_without_a_valid_token_is_refused(base_url):
    answer = requests.post(f"{base_url}/slack/api/rtm.connect",
                           headers={"Authorization": "Bearer xoxb-nope"}, timeout=10).json()
    assert answer == {"ok": False, "error": "invalid_auth"}


async def test_a_message_posted_through_parleys_api_reaches_the_rtm_client(rtm, room):
    client, heard = rtm
    posted = await room["ann"].send_until_acknowledged(
        room["channel"][1:].lower(), uuid.uuid4().hex, "hello from the web client")
    event = heard.wait_for(lambda e: e.get("type") == "message"
                           and e.get("text") == "hello from the web client")
    assert event["channel"] == room["channel"]
    assert event["user"] == slack_user(room["ann"].user_id)
    assert event["client_msg_id"] == posted["client_msg_id"]
    assert event["team"].startswith("T")
    assert event["ts"].endswith(f".{posted['seq']:06d}")


async def test_messages_edits_deletes_and_reactions_through_the_web_api_reach_it(rtm, room):
    client, heard = rtm
    as_ann = room["as_ann"]
    posted = as_ann.chat_postMessage(channel=room["channel"], text="first draft",
                                     blocks=[{"type": "section", "text": {
                                         "type": "mrkdwn", "text": "first draft"}}])
    ts = posted["ts"]
    created = heard.wait_for(lambda e: e.get("type") == "message" and e.get("ts") == ts)
    assert created["text"] == "first draft" and created["blocks"][0]["type"] == "section"

    reply = as_ann.chat_postMessage(channel=room["channel"], text="a reply", thread_ts=ts)
    threaded = heard.wait_for(lambda e: e.get("type") == "message"
                              and e.get("ts") == reply["ts"])
    assert threaded["thread_ts"] == ts

    as_ann.chat_update(channel=room["channel"], ts=ts, text="final text")
    changed = heard.wait_for(lambda e: e.get("subtype") == "message_changed"
                             and e["message"]["ts"] == ts
                             and e["message"]["text"] == "final text")
    assert changed["channel"] == room["channel"]
    assert changed["message"]["edited"]["user"] == slack_user(room["ann"].user_id)
    assert changed["previous_message"]["text"] == "first draft"

    as_ann.reactions_add(channel=room["channel"], timestamp=ts, name="tada")
    added = heard.wait_for(lambda e: e.get("type") == "reaction_added")
    assert added["user"] == slack_user(room["ann"].user_id)
    assert added["reaction"] == "tada"
    assert added["item"] == {"type": "message", "channel": room["channel"], "ts": ts}
    assert added["item_user"] == slack_user(room["ann"].user_id)
    assert added["event_ts"]
    as_ann.reactions_remove(channel=room["channel"], timestamp=ts, name="tada")
    removed = heard.wait_for(lambda e: e.get("type") == "reaction_removed")
    assert removed["item"]["ts"] == ts

    other = as_ann.chat_postMessage(channel=room["channel"], text="to be deleted")["ts"]
    as_ann.chat_delete(channel=room["channel"], ts=other)
    deleted = heard.wait_for(lambda e: e.get("subtype") == "message_deleted")
    assert deleted["deleted_ts"] == other and deleted["channel"] == room["channel"]
    assert deleted["previous_message"]["text"] == "to be deleted"


async def test_the_bots_own_messages_are_sent_but_dropped_by_the_sdk(rtm, room, base_url):
    """Slack sends a bot its own messages with its bot_id; RTMClient v2 skips them
    (it asked auth.test for the bot_id)."""
    client, heard = rtm
    assert client.bot_id.startswith("B")
    ts = web_client(base_url, room["bot"]["bot_token"]).chat_postMessage(
        channel=room["channel"], text="said by the bot")["ts"]
    marker = room["as_ann"].chat_postMessage(channel=room["channel"], text="after it")["ts"]
    heard.wait_for(lambda e: e.get("ts") == marker)
    assert not [e for e in heard.items if e.get("ts") == ts]


async def test_joins_presence_and_typing_reach_it(rtm, room, base_url):
    client, heard = rtm
    bob = await Person(base_url, unique_email("bob")).sign_up()
    web_client(base_url, bob.token).conversations_join(channel=room["channel"])
    joined = heard.wait_for(lambda e: e.get("type") == "member_joined_channel")
    assert joined == {**joined, "user": slack_user(bob.user_id), "channel": room["channel"],
                      "channel_type": "C"}
    await bob.connect()   # Bob comes online in Parley's web client…
    presence = heard.wait_for(lambda e: e.get("type") == "presence_change"
                              and e["user"] == slack_user(bob.user_id))
    assert presence["presence"] == "active"
    await bob.ws.write_message(json.dumps(   # …and types there
        {"type": "typing", "channel_id": room["channel"][1:].lower()}))
    typing = heard.wait_for(lambda e: e.get("type") == "user_typing")
    assert typing == {"type": "user_typing", "channel": room["channel"],
                      "user": slack_user(bob.user_id)}
    bob.close()


async def test_it_answers_ping_frames_and_stays_connected_past_its_ping_interval(rtm, room):
    client, heard = rtm
    client.send({"type": "ping", "id": 7, "time": 1234})
    pong = heard.wait_for(lambda e: e.get("type") == "pong")
    assert pong == {"type": "pong", "reply_to": 7, "time": 1234}

    await asyncio.sleep(PING_INTERVAL * 4)   # WebSocket pings answered all along
    assert client.is_connected()
    assert client.current_session.last_ping_pong_time > time.time() - PING_INTERVAL * 2
    late = room["as_ann"].chat_postMessage(channel=room["channel"], text="still there?")
    heard.wait_for(lambda e: e.get("ts") == late["ts"])


async def test_an_rtm_message_frame_posts_as_the_bot(rtm, room):
    client, heard = rtm
    client.send({"id": 42, "type": "message", "channel": room["channel"], "text": "via rtm"})
    reply = heard.wait_for(lambda e: e.get("reply_to") == 42)
    assert reply["ok"] is True and reply["text"] == "via rtm"
    history = room["as_ann"].conversations_history(channel=room["channel"], limit=5)
    assert reply["ts"] in [m["ts"] for m in history["messages"]]
