"""The Slack-compatible Web API on the real stack, driven by the official
``slack_sdk.WebClient`` pointed at Parley through Traefik with ``base_url``
(docs/slack-compat.md): every method, pagination to the last page, the file
upload flow of ``files_upload_v2``, the error codes and the rate limits, with a
bot token made by an admin and with a Parley access token as a user token."""
from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.support.client import Person, http, unique_email

READER_SCOPES = ["channels:read", "channels:history", "groups:read", "groups:history",
                 "users:read"]


def slack(base_url: str, token: str | None, patient: bool = True) -> WebClient:
    """A WebClient on Parley. ``patient``: like a well-behaved Slack client, it waits
    out ``ratelimited`` answers (Retry-After) and tries again (slack_sdk's own
    handler): walking the whole directory takes more calls than a tier's burst."""
    client = WebClient(token=token, base_url=f"{base_url}/slack/api/", timeout=30)
    if patient:
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=30))
    return client


def error_of(call, *args, **kwargs) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call(*args, **kwargs)
    return raised.value


def code_of(call, *args, **kwargs) -> str:
    return error_of(call, *args, **kwargs).response["error"]


async def make_bot(system, scopes: list[str] | None = None) -> dict:
    """A bot made by an operator (`nameko shell`'s auth.admin_create_bot)."""
    name = f"bot-{uuid.uuid4().hex[:10]}"
    return await system.call("auth", "admin_create_bot", name, display_name=name.title(),
                             scopes=scopes)


@pytest.fixture(scope="module")
async def team(base_url, system):
    """Ann and Bob (people, user tokens), a bot with every bot scope, and a public
    channel Ann made, which Bob and the bot are in."""
    ann = await Person(base_url, unique_email("ann")).sign_up()
    bob = await Person(base_url, unique_email("bob")).sign_up()
    bot = await make_bot(system)
    channel = slack(base_url, ann.token).conversations_create(
        name=f"slack-{uuid.uuid4().hex[:8]}")["channel"]
    slack(base_url, ann.token).conversations_invite(
        channel=channel["id"], users=f"U{bob.user_id.upper()},U{bot['user_id'].upper()}")
    return {"ann": ann, "bob": bob, "bot": bot, "channel": channel["id"],
            "as_ann": slack(base_url, ann.token), "as_bob": slack(base_url, bob.token),
            "as_bot": slack(base_url, bot["bot_token"])}


def uid(person_or_bot) -> str:
    user_id = person_or_bot["user_id"] if isinstance(person_or_bot, dict) \
        else person_or_bot.user_id
    return "U" + user_id.upper()


def new_channel(client: WebClient, **kwargs) -> str:
    return client.conversations_create(name=f"slack-{uuid.uuid4().hex[:8]}",
                                       **kwargs)["channel"]["id"]


# -- auth.test ------------------------------------------------------------------------
async def test_auth_test_of_a_bot_token_names_the_bot_its_user_and_the_team(team, base_url):
    me = team["as_bot"].auth_test()
    bot = team["bot"]
    assert me["ok"] is True
    assert (me["bot_id"], me["user_id"], me["user"]) == \
        ("B" + bot["bot_id"].upper(), uid(bot), bot["name"])
    assert (me["team_id"], me["team"], me["url"]) == ("TDEFAULT", "Parley", f"{base_url}/")


async def test_a_parley_access_token_works_as_a_user_token(team):
    me = team["as_ann"].auth_test()
    assert me["user_id"] == uid(team["ann"]) and "bot_id" not in me


async def test_no_token_is_not_authed_and_a_wrong_one_invalid_auth(base_url):
    assert code_of(slack(base_url, None).auth_test) == "not_authed"
    assert code_of(slack(base_url, "xoxb-nope-0000").auth_test) == "invalid_auth"
    assert code_of(slack(base_url, "not.a.jwt").auth_test) == "invalid_auth"


async def test_a_revoked_bot_token_is_token_revoked(base_url, system):
    bot = await make_bot(system, ["chat:write"])
    await system.call("auth", "admin_revoke_bot", bot["name"])
    assert code_of(slack(base_url, bot["bot_token"]).auth_test) == "token_revoked"


# -- conversations ------------------------------------------------------------------
async def test_a_channels_life_through_conversations_methods(team):
    ann, bot = team["as_ann"], team["as_bot"]
    name = f"slack-{uuid.uuid4().hex[:8]}"
    created = bot.conversations_create(name=name)["channel"]
    assert (created["name"], created["is_channel"], created["is_private"],
            created["is_member"], created["creator"]) == (name, True, False, True,
                                                           uid(team["bot"]))
    channel = created["id"]
    assert channel.startswith("C")
    assert code_of(bot.conversations_create, name=name.upper() + " x!") in \
        ("invalid_name", "name_taken")

    joined = ann.conversations_join(channel=channel)
    assert joined["channel"]["id"] == channel and joined["channel"]["is_member"]
    assert ann.conversations_join(channel=channel)["warning"] == "already_in_channel"

    bot.conversations_invite(channel=channel, users=uid(team["bob"]))
    assert code_of(bot.conversations_invite, channel=channel, users=uid(team["bob"])) == \
        "already_in_channel"

    topic = bot.conversations_setTopic(channel=channel, topic="launch on Friday")
    assert topic["channel"]["topic"]["value"] == "launch on Friday"
    purpose = bot.conversations_setPurpose(channel=channel, purpose="ship it")
    assert purpose["channel"]["purpose"]["value"] == "ship it"
    renamed = bot.conversations_rename(channel=channel, name=name + "-2")
    assert renamed["channel"]["name"] == name + "-2"
    info = ann.conversations_info(channel=channel)["channel"]
    assert (info["name"], info["topic"]["value"], info["num_members"]) == \
        (name + "-2", "launch on Friday", 3)

    bot.conversations_kick(channel=channel, user=uid(team["bob"]))
    assert code_of(bot.conversations_kick, channel=channel, user=uid(team["bob"])) == \
        "not_in_channel"
    assert code_of(bot.conversations_kick, channel=channel, user=uid(team["bot"])) == \
        "cant_kick_self"
    ann.conversations_leave(channel=channel)
    assert ann.conversations_leave(channel=channel)["not_in_channel"] is True

    bot.conversations_archive(channel=channel)
    assert ann.conversations_info(channel=channel)["channel"]["is_archived"] is True
    assert code_of(bot.conversations_archive, channel=channel) == "already_archived"
    assert code_of(bot.chat_postMessage, channel=channel, text="hello?") == "is_archived"


async def test_members_page_by_page_to_the_last_page(team):
    seen, cursor, pages = [], None, 0
    while True:
        page = team["as_bot"].conversations_members(channel=team["channel"], limit=1,
                                                   cursor=cursor)
        seen += page["members"]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted([uid(team["ann"]), uid(team["bob"]), uid(team["bot"])])
    assert pages == 3


async def test_list_filters_by_type_and_archived_and_pages_to_the_end(team, base_url):
    ann = team["as_ann"]
    private = new_channel(ann, is_private=True)
    archived = new_channel(ann)
    ann.conversations_archive(channel=archived)
    dm = ann.conversations_open(users=uid(team["bob"]))["channel"]["id"]
    group = ann.conversations_open(users=f"{uid(team['bob'])},{uid(team['bot'])}")["channel"]["id"]

    def everything(client=ann, **kwargs) -> list[dict]:
        found, cursor = [], None
        while True:
            page = client.conversations_list(limit=200, cursor=cursor, **kwargs)
            found += page["channels"]
            cursor = page["response_metadata"]["next_cursor"]
            if not cursor:
                return found

    public = {c["id"] for c in everything()}
    assert team["channel"] in public and archived in public and private not in public
    assert archived not in {c["id"] for c in everything(team["as_bob"], exclude_archived=True)}
    privates = {c["id"]: c for c in everything(types="private_channel")}
    assert private in privates and privates[private]["is_private"] is True
    # DMs and group DMs are few: one at a time, to the last page
    conversations, cursor, pages = [], None, 0
    while True:
        page = ann.conversations_list(types="im,mpim", limit=1, cursor=cursor)
        conversations += page["channels"]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    by_id = {c["id"]: c for c in conversations}
    assert {dm, group} <= set(by_id) and pages == len(by_id) == len(conversations)
    assert (by_id[dm]["is_im"], by_id[dm]["user"]) == (True, uid(team["bob"]))
    assert by_id[group]["is_mpim"] is True and group.startswith("G") and dm.startswith("D")
    assert code_of(ann.conversations_list, types="rooms") == "invalid_types"


async def test_open_finds_the_same_dm_again_and_returns_the_conversation_if_asked(team):
    ann = team["as_ann"]
    first = ann.conversations_open(users=uid(team["bot"]))
    again = ann.conversations_open(users=uid(team["bot"]), return_im=True)
    assert again["channel"]["id"] == first["channel"]["id"]
    assert again["already_open"] is True
    assert (again["channel"]["is_im"], again["channel"]["user"]) == (True, uid(team["bot"]))
    # the bot writes to it; Ann reads it
    team["as_bot"].chat_postMessage(channel=first["channel"]["id"], text="a word in private")
    assert ann.conversations_history(channel=first["channel"]["id"])["messages"][0]["text"] == \
        "a word in private"


async def test_history_is_newest_first_within_bounds_and_pages_to_the_last_page(team):
    channel = new_channel(team["as_ann"])
    ts = [team["as_ann"].chat_postMessage(channel=channel, text=f"m{i}")["ts"]
          for i in range(1, 8)]
    assert ts == sorted(ts, key=float) and len(set(ts)) == 7
    history = team["as_ann"].conversations_history
    assert [m["text"] for m in history(channel=channel)["messages"]] == \
        [f"m{i}" for i in range(7, 0, -1)]

    pages, cursor = [], None
    while True:
        page = history(channel=channel, limit=3, cursor=cursor)
        pages.append([m["text"] for m in page["messages"]])
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] == bool(cursor)
        if not cursor:
            break
    assert pages == [["m7", "m6", "m5"], ["m4", "m3", "m2"], ["m1"]]

    between = history(channel=channel, oldest=ts[1], latest=ts[4])["messages"]
    assert [m["text"] for m in between] == ["m4", "m3"]
    inclusive = history(channel=channel, oldest=ts[1], latest=ts[4], inclusive=True)
    assert [m["text"] for m in inclusive["messages"]] == ["m5", "m4", "m3", "m2"]
    assert history(channel=channel, oldest=str(time.time() + 60))["messages"] == []


async def test_conversations_mark_moves_the_read_cursor(team):
    ts = team["as_ann"].chat_postMessage(channel=team["channel"], text="read me")["ts"]
    assert team["as_bob"].conversations_mark(channel=team["channel"], ts=ts)["ok"] is True
    info = team["as_bob"].conversations_info(channel=team["channel"])["channel"]
    assert info["last_read"] == ts
    assert code_of(team["as_bob"].conversations_mark, channel=team["channel"],
                   ts="soon") == "invalid_timestamp"


# -- chat -------------------------------------------------------------------------------
async def test_a_message_with_blocks_is_stored_and_returned_with_them(team):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Deploy* finished"}}]
    posted = team["as_bot"].chat_postMessage(channel=team["channel"], text="Deploy finished",
                                             blocks=blocks)
    assert (posted["channel"], posted["message"]["blocks"], posted["message"]["bot_id"]) == \
        (team["channel"], blocks, "B" + team["bot"]["bot_id"].upper())
    newest = team["as_ann"].conversations_history(channel=team["channel"], limit=1)
    assert newest["messages"][0]["ts"] == posted["ts"]
    assert newest["messages"][0]["blocks"] == blocks


async def test_a_resent_message_with_the_same_client_msg_id_is_posted_once(team):
    key = uuid.uuid4().hex
    first = team["as_ann"].chat_postMessage(channel=team["channel"], text="once",
                                            client_msg_id=key)
    again = team["as_ann"].chat_postMessage(channel=team["channel"], text="once",
                                            client_msg_id=key)
    assert first["ts"] == again["ts"]
    recent = team["as_ann"].conversations_history(channel=team["channel"], limit=5)["messages"]
    assert [m["ts"] for m in recent].count(first["ts"]) == 1


async def test_update_delete_and_permalink(team, base_url):
    ann, bob = team["as_ann"], team["as_bob"]
    posted = ann.chat_postMessage(channel=team["channel"], text="first draft")
    updated = ann.chat_update(channel=team["channel"], ts=posted["ts"], text="final")
    assert (updated["ts"], updated["text"], updated["message"]["edited"]["user"]) == \
        (posted["ts"], "final", uid(team["ann"]))
    assert code_of(bob.chat_update, channel=team["channel"], ts=posted["ts"], text="mine") == \
        "cant_update_message"
    link = bob.chat_getPermalink(channel=team["channel"], message_ts=posted["ts"])
    assert link["permalink"] == \
        f"{base_url}/archives/{team['channel']}/p{posted['ts'].replace('.', '')}"
    assert code_of(bob.chat_delete, channel=team["channel"], ts=posted["ts"]) == \
        "cant_delete_message"
    deleted = ann.chat_delete(channel=team["channel"], ts=posted["ts"])
    assert deleted["ts"] == posted["ts"]
    assert posted["ts"] not in [m["ts"] for m in ann.conversations_history(
        channel=team["channel"], limit=20)["messages"]]
    assert code_of(ann.chat_update, channel=team["channel"], ts=posted["ts"], text="x") == \
        "message_not_found"
    assert code_of(ann.chat_delete, channel=team["channel"], ts="1700000000.999999") == \
        "message_not_found"


async def test_threads_replies_broadcasts_and_reply_counts(team):
    ann, bob = team["as_ann"], team["as_bob"]
    channel = new_channel(ann)
    ann.conversations_invite(channel=channel, users=uid(team["bob"]))
    parent = ann.chat_postMessage(channel=channel, text="thread start")["ts"]
    replies = [bob.chat_postMessage(channel=channel, text=f"reply {i}", thread_ts=parent)
               for i in (1, 2, 3)]
    assert all(r["message"]["thread_ts"] == parent for r in replies)
    shown = bob.chat_postMessage(channel=channel, text="also here", thread_ts=parent,
                                 reply_broadcast=True)
    assert shown["message"]["subtype"] == "thread_broadcast"

    history = ann.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in history] == ["also here", "thread start"]
    head = history[1]
    assert (head["thread_ts"], head["reply_count"], head["reply_users"]) == \
        (parent, 4, [uid(team["bob"])])

    texts, cursor, pages = [], None, 0
    while True:
        page = ann.conversations_replies(channel=channel, ts=parent, limit=2, cursor=cursor)
        texts += [m["text"] for m in page["messages"]]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            assert page["messages"][-1]["text"] == "also here"
            break
    assert texts == ["thread start", "reply 1", "reply 2", "reply 3", "also here"]
    assert pages == 2
    assert code_of(ann.conversations_replies, channel=channel, ts="1700000000.000042") == \
        "thread_not_found"


async def test_a_bot_outside_a_channel_is_not_in_channel(team, base_url):
    channel = new_channel(team["as_ann"])
    assert code_of(team["as_bot"].chat_postMessage, channel=channel, text="hi") == \
        "not_in_channel"
    team["as_bot"].conversations_join(channel=channel)
    assert team["as_bot"].chat_postMessage(channel=channel, text="hi")["ok"] is True


async def test_an_unknown_or_unseeable_channel_is_channel_not_found(team):
    private = new_channel(team["as_ann"], is_private=True)
    for channel in ("C" + "0" * 32, "general-nope", private):
        assert code_of(team["as_bob"].conversations_history, channel=channel) == \
            "channel_not_found"
    assert code_of(team["as_bob"].chat_postMessage, channel="#no-such-channel-x",
                   text="hi") == "channel_not_found"


# -- reactions and pins -----------------------------------------------------------------
async def test_reactions_are_added_listed_and_removed_once_each(team):
    ann, bob = team["as_ann"], team["as_bob"]
    ts = ann.chat_postMessage(channel=team["channel"], text="react to me")["ts"]
    bob.reactions_add(channel=team["channel"], timestamp=ts, name="thumbsup")
    ann.reactions_add(channel=team["channel"], timestamp=ts, name=":thumbsup:")
    assert code_of(bob.reactions_add, channel=team["channel"], timestamp=ts,
                   name="thumbsup") == "already_reacted"
    got = ann.reactions_get(channel=team["channel"], timestamp=ts)
    assert got["type"] == "message"
    assert got["message"]["reactions"] == [{"name": "thumbsup", "count": 2, "users": [
        uid(team["bob"]), uid(team["ann"])]}]
    bob.reactions_remove(channel=team["channel"], timestamp=ts, name="thumbsup")
    assert code_of(bob.reactions_remove, channel=team["channel"], timestamp=ts,
                   name="thumbsup") == "no_reaction"
    assert ann.reactions_get(channel=team["channel"], timestamp=ts)["message"]["reactions"] \
        == [{"name": "thumbsup", "count": 1, "users": [uid(team["ann"])]}]


async def test_pins_are_added_listed_and_removed(team):
    ann, bot = team["as_ann"], team["as_bot"]
    channel = new_channel(ann)
    ann.conversations_invite(channel=channel, users=uid(team["bot"]))
    first = ann.chat_postMessage(channel=channel, text="pin one")["ts"]
    second = ann.chat_postMessage(channel=channel, text="pin two")["ts"]
    bot.pins_add(channel=channel, timestamp=first)
    bot.pins_add(channel=channel, timestamp=second)
    assert code_of(bot.pins_add, channel=channel, timestamp=first) == "already_pinned"
    items = ann.pins_list(channel=channel)["items"]
    assert [(i["type"], i["message"]["ts"], i["created_by"], i["channel"]) for i in items] == [
        ("message", second, uid(team["bot"]), channel),
        ("message", first, uid(team["bot"]), channel)]
    bot.pins_remove(channel=channel, timestamp=second)
    assert code_of(bot.pins_remove, channel=channel, timestamp=second) == "no_pin"
    assert [i["message"]["text"] for i in ann.pins_list(channel=channel)["items"]] == ["pin one"]


# -- users --------------------------------------------------------------------------------
async def test_users_info_lookup_by_email_and_the_list_to_its_last_page(team, base_url):
    ann = team["ann"]
    me = team["as_bob"].users_info(user=uid(ann))["user"]
    assert (me["id"], me["is_bot"], me["deleted"], me["team_id"]) == \
        (uid(ann), False, False, "TDEFAULT")
    bot_user = team["as_ann"].users_info(user=uid(team["bot"]))["user"]
    assert (bot_user["is_bot"], bot_user["profile"]["bot_id"]) == \
        (True, "B" + team["bot"]["bot_id"].upper())
    found = team["as_bot"].users_lookupByEmail(email=ann.email)["user"]
    assert (found["id"], found["profile"]["email"]) == (uid(ann), ann.email)
    assert code_of(team["as_bot"].users_lookupByEmail, email="nobody-" + ann.email) == \
        "users_not_found"
    assert code_of(team["as_bot"].users_info, user="U" + "0" * 32) == "user_not_found"

    # the whole directory, 200 at a time, to the page whose next_cursor is empty
    # (a Tier 2 method: pages past its burst wait as Retry-After says)
    seen, cursor = set(), None
    client = team["as_ann"]
    while True:
        page = client.users_list(limit=200, cursor=cursor)
        seen |= {m["id"] for m in page["members"]}
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert {uid(ann), uid(team["bob"]), uid(team["bot"])} <= seen


async def test_presence_set_and_read(team):
    bob = team["as_bob"]
    bob.users_setPresence(presence="away")
    mine = bob.users_getPresence(user=uid(team["bob"]))
    assert (mine["presence"], mine["manual_away"] or not mine["online"]) == ("away", True)
    assert team["as_ann"].users_getPresence(user=uid(team["bob"]))["presence"] == "away"
    bob.users_setPresence(presence="auto")
    assert code_of(bob.users_setPresence, presence="invisible") == "invalid_presence"


# -- files --------------------------------------------------------------------------------
async def test_files_upload_v2_end_to_end_then_download_and_delete(team, base_url):
    content = b"release notes\n" * 100
    uploaded = team["as_bot"].files_upload_v2(channel=team["channel"], content=content,
                                              filename="notes.txt", title="Release notes",
                                              initial_comment="the notes")
    file = uploaded["file"]
    assert (file["name"], file["size"], file["title"]) == ("notes.txt", len(content),
                                                         "Release notes")
    assert file["id"].startswith("F")
    message = team["as_ann"].conversations_history(channel=team["channel"], limit=1)
    assert message["messages"][0]["text"] == "the notes"
    assert [f["id"] for f in message["messages"][0]["files"]] == [file["id"]]

    info = team["as_ann"].files_info(file=file["id"])["file"]
    assert (info["mimetype"], info["user"]) == ("text/plain", uid(team["bot"]))
    download = requests.get(info["url_private"], timeout=20,
                            headers={"Authorization": f"Bearer {team['ann'].token}"})
    assert (download.status_code, download.content) == (200, content)
    assert requests.get(info["url_private"], timeout=20).status_code == 403

    outsider = await Person(base_url, unique_email("eve")).sign_up()
    assert code_of(slack(base_url, outsider.token).files_info, file=file["id"]) == \
        "file_not_found"
    team["as_bot"].files_delete(file=file["id"])
    assert code_of(team["as_ann"].files_info, file=file["id"]) == "file_not_found"


async def test_an_upload_url_is_used_once_and_needs_no_token(team):
    reserved = team["as_ann"].files_getUploadURLExternal(filename="a.bin", length=4)
    assert reserved["upload_url"].startswith("http")
    first = requests.post(reserved["upload_url"], data=b"abcd", timeout=20)
    assert (first.status_code, first.text) == (200, "OK - 4")
    assert requests.post(reserved["upload_url"], data=b"abcd", timeout=20).status_code == 404
    done = team["as_ann"].files_completeUploadExternal(files=[{"id": reserved["file_id"]}])
    assert [f["id"] for f in done["files"]] == [reserved["file_id"]]
    never = team["as_ann"].files_getUploadURLExternal(filename="b.bin", length=3)
    assert code_of(team["as_ann"].files_completeUploadExternal,
                   files=[{"id": never["file_id"]}]) == "file_not_found"


# -- scopes and rate limits ------------------------------------------------------------------
async def test_a_call_outside_the_bots_scopes_is_missing_scope(team, base_url, system):
    reader = await make_bot(system, READER_SCOPES)
    client = slack(base_url, reader["bot_token"])
    refused = error_of(client.chat_postMessage, channel=team["channel"], text="hi")
    assert refused.response["error"] == "missing_scope"
    assert refused.response["needed"] == "chat:write"
    assert refused.response["provided"] == ",".join(sorted(READER_SCOPES))
    assert code_of(client.users_lookupByEmail, email=team["ann"].email) == "missing_scope"
    assert code_of(client.conversations_list, types="im") == "missing_scope"


async def test_a_tier_2_method_past_its_burst_is_ratelimited_with_retry_after(team, base_url,
                                                                             system):
    bot = await make_bot(system, ["pins:read"])
    client = slack(base_url, bot["bot_token"], patient=False)
    answered = 0
    with pytest.raises(SlackApiError) as raised:
        while answered < 40:   # the burst is 20; one more comes back every 3 s
            client.pins_list(channel=team["channel"])
            answered += 1
    refused = raised.value.response
    assert 20 <= answered < 40
    assert (refused.status_code, refused["error"]) == (429, "ratelimited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 3


# -- bots through the admin API --------------------------------------------------------------
async def test_admins_create_rotate_and_revoke_bots_through_the_api(base_url, system, team):
    email = unique_email("bot-admin")
    await system.call("users", "admin_create_user", email, "correct horse battery",
                      "Bot Admin", "admin")
    admin = Person(base_url, email)
    assert (await admin.log_in()).status == 200
    body = {"name": f"api-bot-{uuid.uuid4().hex[:8]}", "scopes": ["chat:write"],
            "key": uuid.uuid4().hex}
    created = await admin.call("POST", "/admin/bots", body)
    assert created.status == 201, created.body
    again = await admin.call("POST", "/admin/bots", body)
    assert again.status == 200
    assert (again.body["bot_id"], again.body["bot_token"]) == \
        (created.body["bot_id"], created.body["bot_token"])
    assert slack(base_url, created.body["bot_token"]).auth_test()["bot_id"] == \
        "B" + created.body["bot_id"].upper()
    assert (await team["ann"].call("POST", "/admin/bots", {"name": "mine"})).status == 403
    listed = await admin.call("GET", "/admin/bots")
    assert created.body["bot_id"] in {b["bot_id"] for b in listed.body["bots"]}

    rotated = await admin.call("POST", f"/admin/bots/{created.body['bot_id']}/tokens")
    assert rotated.status == 200 and rotated.body["bot_token"] != created.body["bot_token"]
    assert slack(base_url, rotated.body["bot_token"]).auth_test()["ok"] is True
    revoked = await admin.call("DELETE", f"/admin/bots/{body['name']}")
    assert revoked.status == 200 and revoked.body["revoked_at"]
    audit = await admin.call("GET", "/admin/audit?target_type=account&target_id="
                                    f"{created.body['user_id']}")
    assert [e["action"] for e in audit.body["entries"]] == \
        ["auth.bot_revoked", "auth.bot_tokens_rotated", "auth.bot_created"]

    async def refused() -> bool:   # gateways remember a token for up to 5 s
        return code_of(slack(base_url, rotated.body["bot_token"]).auth_test) == \
            "token_revoked"
    deadline = time.monotonic() + 15
    while not await refused():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.5)


async def test_form_and_json_bodies_and_get_all_work_as_the_sdk_sends_them(team, base_url):
    url = f"{base_url}/slack/api/conversations.info"
    auth = {"Authorization": f"Bearer {team['ann'].token}"}
    as_form = requests.post(url, data={"channel": team["channel"]}, headers=auth, timeout=20)
    as_json = requests.post(url, data=json.dumps({"channel": team["channel"]}), timeout=20,
                            headers={**auth, "Content-Type": "application/json"})
    as_get = requests.get(url, params={"channel": team["channel"]}, headers=auth, timeout=20)
    for answer in (as_form, as_json, as_get):
        assert answer.status_code == 200 and answer.json()["channel"]["id"] == team["channel"]
    unknown = await http("POST", f"{base_url}/slack/api/chat.fly", {}, token=team["ann"].token)
    assert unknown.body == {"ok": False, "error": "unknown_method"}


# -- the example bot (examples/slack_bot.py) -------------------------------------------------
async def test_the_example_bot_answers_commands_in_their_threads(team):
    from examples.slack_bot import EchoBot
    bot = EchoBot(team["as_bot"], team["channel"])
    bot.join()
    ping = team["as_ann"].chat_postMessage(channel=team["channel"], text="!ping")["ts"]
    echo = team["as_bob"].chat_postMessage(channel=team["channel"], text="!echo hi there")["ts"]
    team["as_ann"].chat_postMessage(channel=team["channel"], text="just chatting")
    assert bot.poll_once() == 2
    assert bot.poll_once() == 0          # nothing new: nothing answered twice
    for ts, answer in ((ping, "pong"), (echo, "hi there")):
        thread = team["as_ann"].conversations_replies(channel=team["channel"], ts=ts)
        assert [m["text"] for m in thread["messages"]] == [thread["messages"][0]["text"], answer]
        assert thread["messages"][1]["bot_id"] == bot.bot_id
