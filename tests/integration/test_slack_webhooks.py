"""Incoming webhooks in Slack's format on the real stack, through Traefik
(docs/slack-compat.md, Incoming webhooks): an admin makes a webhook for a channel
(idempotently by key), posting JSON to its secret URL posts as its bot, the message
shows in conversations.history, and bad posts get Slack's codes and change nothing."""
from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.client import Person, unique_email
from tests.support.slack import new_bot, slack_user, web_client


@pytest.fixture(scope="module")
async def hook(base_url, system):
    """An admin, a bot, a channel the admin made, and a webhook of the bot for it."""
    admin = await Person(base_url, unique_email("admin")).sign_up()
    await system.call("users", "admin_set_role", admin.user_id, "admin")
    bot = await new_bot(system)
    as_admin = web_client(base_url, admin.token)
    channel = as_admin.conversations_create(name=f"hook-{uuid.uuid4().hex[:8]}")["channel"]["id"]
    key = uuid.uuid4().hex
    made = await admin.call("POST", "/admin/webhooks", {
        "bot": bot["name"], "channel_id": channel[1:].lower(), "key": key})
    assert made.status == 201, made.body
    return {"admin": admin, "bot": bot, "channel": channel, "key": key, "made": made.body,
            "url": made.body["url"], "as_admin": as_admin}


def post(url: str, body=None, timeout: float = 10) -> requests.Response:
    return requests.post(url, json=body, timeout=timeout)


def history_texts(hook: dict) -> list[str]:
    return [m.get("text") for m in
            hook["as_admin"].conversations_history(channel=hook["channel"], limit=50)["messages"]]


async def test_an_admin_gets_a_secret_url_and_a_repeat_with_the_key_gets_the_same(
        hook, base_url):
    host = base_url.split("://", 1)[1]
    assert hook["url"].startswith(f"http://{host}/slack/hooks/T")
    assert hook["made"]["created"] is True and "secret" not in hook["made"]
    again = await hook["admin"].call("POST", "/admin/webhooks", {
        "bot": hook["bot"]["name"], "channel_id": hook["channel"][1:].lower(),
        "key": hook["key"]})
    assert again.status == 200 and again.body["url"] == hook["url"]
    listed = await hook["admin"].call("GET", "/admin/webhooks")
    assert hook["made"]["webhook_id"] in [w["webhook_id"] for w in listed.body["webhooks"]]


async def test_a_member_cannot_make_webhooks(hook, base_url):
    member = await Person(base_url, unique_email("member")).sign_up()
    refused = await member.call("POST", "/admin/webhooks", {
        "bot": hook["bot"]["name"], "channel_id": hook["channel"][1:].lower()})
    assert refused.status == 403


def test_posting_json_posts_as_the_bot_and_shows_in_history(hook):
    answer = post(hook["url"], {"text": "Deploy finished :rocket:", "username": "ci",
                                "blocks": [{"type": "section", "text": {
                                    "type": "mrkdwn", "text": "*Deploy* finished"}}]})
    assert (answer.status_code, answer.text) == (200, "ok")
    deadline = time.monotonic() + 10   # a bot made a moment ago is one within 5 s
    while True:
        [message] = [m for m in hook["as_admin"].conversations_history(
            channel=hook["channel"], limit=20)["messages"]
            if m["text"] == "Deploy finished :rocket:"]
        if "bot_id" in message or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert message["user"] == slack_user(hook["bot"]["user_id"])
    assert message["bot_id"] == "B" + hook["bot"]["bot_id"].upper()
    assert message["blocks"][0]["text"]["text"] == "*Deploy* finished"


def test_a_form_payload_and_a_thread_reply(hook):
    parent = hook["as_admin"].chat_postMessage(channel=hook["channel"], text="release?")["ts"]
    answer = requests.post(hook["url"], data={"payload": '{"text": "in the thread", '
                                                         f'"thread_ts": "{parent}"}}'},
                           timeout=10)
    assert (answer.status_code, answer.text) == (200, "ok")
    replies = hook["as_admin"].conversations_replies(channel=hook["channel"], ts=parent)
    assert [m["text"] for m in replies["messages"]] == ["release?", "in the thread"]


def test_bad_posts_get_slacks_codes_and_post_nothing(hook):
    before = history_texts(hook)
    assert (post(hook["url"], {"text": ""}).status_code, post(hook["url"], {}).text) == \
        (400, "no_text")
    bad = requests.post(hook["url"], data=b"{not json", timeout=10,
                        headers={"Content-Type": "application/json"})
    assert (bad.status_code, bad.text) == (400, "invalid_payload")
    assert post(hook["url"], {"text": 5}).text == "invalid_payload"
    wrong_secret = hook["url"].rsplit("/", 1)[0] + "/" + "0" * 32
    assert (post(wrong_secret, {"text": "x"}).status_code,
            post(wrong_secret, {"text": "x"}).text) == (404, "no_service")
    assert post(hook["url"], {"text": "x", "thread_ts": "1.000001"}).status_code == 400
    assert history_texts(hook) == before


async def test_a_bot_removed_from_the_channel_is_action_prohibited_and_a_revoked_hook_no_service(
        base_url, system, hook):
    bot = await new_bot(system)
    channel = hook["as_admin"].conversations_create(
        name=f"hook-{uuid.uuid4().hex[:8]}")["channel"]["id"]
    made = (await hook["admin"].call("POST", "/admin/webhooks", {
        "bot": bot["name"], "channel_id": channel[1:].lower()})).body
    hook["as_admin"].conversations_kick(channel=channel, user=slack_user(bot["user_id"]))
    refused = post(made["url"], {"text": "let me in"})
    assert (refused.status_code, refused.text) == (403, "action_prohibited")
    revoked = await hook["admin"].call("DELETE", f"/admin/webhooks/{made['webhook_id']}")
    assert revoked.status == 200 and revoked.body["revoked_at"]
    assert (post(made["url"], {"text": "x"}).status_code,
            post(made["url"], {"text": "x"}).text) == (404, "no_service")


def test_a_hook_is_rate_limited_like_chat_post_message(hook):
    """chat.postMessage's limit: about one a second per channel, bursts of 30."""
    with ThreadPoolExecutor(max_workers=45) as pool:
        answers = list(pool.map(lambda i: post(hook["url"], {"text": f"burst {i}"}, timeout=30),
                                range(45)))
    limited = [a for a in answers if a.status_code == 429]
    assert limited and limited[0].text == "rate_limited"
    assert int(limited[0].headers["Retry-After"]) >= 1
