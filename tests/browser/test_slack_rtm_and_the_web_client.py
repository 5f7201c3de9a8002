"""A Slack bot and people in the web client, in one channel (issue 10): what a person
types in the web client reaches the bot's ``slack_sdk`` RTMClient as Slack's
``message`` event, and what the bot posts with ``chat.postMessage`` shows in the
person's web client, live."""
from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from playwright.sync_api import expect
from slack_sdk.rtm_v2 import RTMClient

from services.common.rpc_client import AsyncRpcClient
from tests.support.slack import Heard, close_rtm, slack_user, web_client


def as_operator(stack, service: str, method: str, *args, **kwargs):
    """An operator's `nameko shell` call, from a thread of its own (Playwright's sync
    API keeps an event loop in this one)."""
    async def call():
        client = await AsyncRpcClient(stack["amqp.uri"], name="tests-browser").connect()
        try:
            return await client.call(service, method, *args, **kwargs)
        finally:
            await client.close()
    answer: dict = {}
    thread = threading.Thread(target=lambda: answer.update(result=asyncio.run(call())))
    thread.start()
    thread.join(60)
    return answer["result"]


@pytest.fixture
def bot(stack):
    name = f"bot-{uuid.uuid4().hex[:10]}"
    return as_operator(stack, "auth", "admin_create_bot", name, display_name=name.title())


@pytest.fixture
def rtm(base_url, bot):
    client = RTMClient(token=bot["bot_token"], ping_interval=5,
                       web_client=web_client(base_url, bot["bot_token"]))
    heard = Heard()

    @client.on("message")
    def message(client, event):
        heard.add(event)

    client.connect()
    yield client, heard
    close_rtm(client)


def test_a_bot_on_rtm_hears_the_web_client_and_the_web_client_shows_the_bot(
        people, stack, base_url, bot, rtm):
    client, heard = rtm
    ann = people("Ann").sign_up()
    channel_id = ann.create_channel(f"bots-{uuid.uuid4().hex[:6]}")
    as_operator(stack, "channels", "admin_add_member", channel_id, bot["user_id"])
    slack_channel = "C" + channel_id.upper()

    ann.send("is the deploy done?")
    ann.acknowledged("is the deploy done?")
    event = heard.wait_for(lambda e: e.get("text") == "is the deploy done?")
    assert event["channel"] == slack_channel
    assert event["user"] == slack_user(ann.user_id)
    assert "bot_id" not in event

    client.web_client.chat_postMessage(channel=slack_channel, text="deployed :rocket:",
                                       thread_ts=event["ts"])
    client.web_client.chat_postMessage(channel=slack_channel, text="all green")
    expect(ann.message("all green")).to_be_visible()   # live, from the bot
    assert ann.errors == []
