"""The Slack Web API handler (gateway_tornado/slack/web.py) with the services
scripted (conftest.py): how a call is read (token, form or JSON or no body), the
order of its checks and their Slack error codes, and the methods whose logic is
the gateway's own (history's bounds and cursors, ts lookups, scopes, tiers)."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from services.common.errors import Forbidden, NotFound, Unauthenticated

ME = "a" * 32
BOT_USER = "b" * 32
CH = "c" * 32
SLACK_CH = "C" + CH.upper()
BOT = {"kind": "bot", "token_id": "t1", "bot_id": "d" * 32, "app_id": "e" * 32,
       "user_id": BOT_USER, "name": "helper"}


def messages(count: int, start: int = 1_700_000_000) -> list[dict]:
    """Messages 1..count of CH, one a second."""
    from datetime import datetime, timezone
    return [{"id": f"{seq:024x}", "channel_id": CH, "seq": seq, "sender_id": ME,
             "client_msg_id": f"c-{seq}", "text": f"m{seq}", "attachments": [],
             "created_at": datetime.fromtimestamp(start + seq, timezone.utc).isoformat(),
             "edited_at": None, "deleted_at": None, "pinned": False, "reactions": [],
             "thread_parent_id": None, "also_to_channel": False, "reply_count": 0,
             "participants": []} for seq in range(1, count + 1)]


def script_history(rpc, stored: list[dict]) -> None:
    """messaging.history over ``stored`` as storage.history pages it."""
    def history(actor, channel, before=None, after=None, limit=50, order="oldest", around=None):
        last = len(stored)
        if after is not None:
            page = stored[after:min(after + limit, last)]
        else:
            top = last if before is None else min(before - 1, last)
            page = stored[max(0, top - limit):top]
        return page[::-1] if order == "newest" else page
    rpc.answer("messaging", "history", history)


@pytest.fixture
def slack(fetch):
    async def call(method: str, token: str | None = None, json_body: dict | None = None,
                   form: dict | None = None, http: str = "POST", query: dict | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = None
        if json_body is not None:
            headers["Content-Type"] = "application/json;charset=utf-8"
            body = json.dumps(json_body) if json_body else ""
        elif form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form)
        path = f"/slack/api/{method}" + (f"?{urlencode(query)}" if query else "")
        response = await fetch(path, method=http, body=body, headers=headers)
        return response.code, json.loads(response.body), response.headers
    return call


@pytest.fixture
def user_token(tokens):
    return tokens.issue(ME, "session-1")


@pytest.fixture
def bot_token(rpc):
    def make(scopes=("chat:write", "channels:read", "channels:history", "pins:read")):
        token = f"xoxb-{len(rpc.calls)}-{'0' * 8}"
        rpc.answer("auth", "verify_api_token", {**BOT, "scopes": list(scopes)})
        rpc.answer("auth", "bot_users", {BOT_USER: {"bot_id": BOT["bot_id"],
                                                    "app_id": BOT["app_id"], "name": "helper"}})
        return token
    return make


@pytest.fixture
def in_channel(rpc):
    rpc.answer("channels", "get", {"id": CH, "kind": "public", "name": "general",
                                   "membership": {"last_read_seq": 0}})
    rpc.answer("auth", "bot_users", {})


# -- reading a call -----------------------------------------------------------------
async def test_no_token_is_not_authed_with_http_200(slack):
    assert (await slack("auth.test", json_body={}))[:2] == \
        (200, {"ok": False, "error": "not_authed"})


async def test_a_token_that_is_no_token_is_invalid_auth(slack, rpc):
    rpc.answer("auth", "verify_api_token", Unauthenticated("token is not valid"))
    assert (await slack("auth.test", token="garbage", json_body={}))[1]["error"] == \
        "invalid_auth"
    assert (await slack("auth.test", token="xoxb-1-2", json_body={}))[1]["error"] == \
        "invalid_auth"
    rpc.answer("auth", "verify_api_token", Unauthenticated("token has been revoked"))
    assert (await slack("auth.test", token="xoxb-3-4", json_body={}))[1]["error"] == \
        "token_revoked"


async def test_an_unknown_method_is_unknown_method(slack, user_token):
    assert (await slack("chat.teleport", token=user_token, json_body={}))[1] == \
        {"ok": False, "error": "unknown_method"}


async def test_a_call_without_arguments_sends_json_and_an_empty_body(slack, rpc, user_token):
    rpc.answer("users", "get", {"user_id": ME, "email": "ann@example.com"})
    rpc.answer("auth", "bot_users", {})
    status, body, _ = await slack("auth.test", token=user_token, json_body={})
    assert status == 200
    assert body == {"ok": True, "url": body["url"], "team": "Parley", "user": "ann",
                    "team_id": "TDEFAULT", "user_id": "U" + ME.upper(),
                    "is_enterprise_install": False}
    assert body["url"].startswith("http://127.0.0.1:")


async def test_auth_test_of_a_bot_token_names_the_bot(slack, rpc, bot_token):
    rpc.answer("users", "get", {"user_id": BOT_USER, "email": "bot@bots.parley.invalid"})
    body = (await slack("auth.test", token=bot_token(), json_body={}))[1]
    assert (body["bot_id"], body["user_id"], body["user"], body["app_id"]) == \
        ("B" + "D" * 32, "U" + BOT_USER.upper(), "helper", "A" + "E" * 32)


@pytest.mark.parametrize("how", ["form", "json", "query"])
async def test_arguments_come_in_a_form_a_json_body_or_the_query(slack, rpc, user_token,
                                                                 in_channel, how):
    sent = {**messages(1)[0], "text": "hi there"}
    rpc.answer("messaging", "send", sent)
    args = {"channel": SLACK_CH, "text": "hi there", "client_msg_id": "k-1"}
    kwargs = {"form": args} if how == "form" else {"json_body": args} if how == "json" \
        else {"query": args, "json_body": {}}
    status, body, _ = await slack("chat.postMessage", token=user_token, **kwargs)
    assert status == 200 and body["ok"], body
    assert (body["channel"], body["ts"], body["message"]["text"]) == \
        (SLACK_CH, "1700000001.000001", "hi there")
    call = [c for c in rpc.calls if c["method"] == "send"][0]
    assert call["args"] == (ME, CH, "k-1")
    assert call["kwargs"]["text"] == "hi there"


# -- scopes and limits ----------------------------------------------------------------
async def test_a_method_outside_the_tokens_scopes_is_missing_scope(slack, rpc, bot_token):
    body = (await slack("chat.postMessage", token=bot_token(scopes=("users:read",)),
                        json_body={"channel": SLACK_CH, "text": "hi"}))[1]
    assert body == {"ok": False, "error": "missing_scope", "needed": "chat:write",
                    "provided": "users:read"}
    assert "send" not in rpc.methods_called()


async def test_a_conversations_kind_decides_the_scope(slack, rpc, bot_token):
    rpc.answer("channels", "get", {"id": CH, "kind": "private", "membership": {}})
    body = (await slack("conversations.history", token=bot_token(),
                        json_body={"channel": SLACK_CH}))[1]
    assert (body["error"], body["needed"]) == ("missing_scope", "groups:history")


async def test_an_app_level_token_calls_only_what_socket_mode_needs(slack, rpc):
    rpc.answer("auth", "verify_api_token", {**BOT, "kind": "app",
                                            "scopes": ["connections:write"]})
    body = (await slack("conversations.list", token="xapp-1-2", json_body={}))[1]
    assert body["error"] == "not_allowed_token_type"


async def test_a_tier_2_method_refuses_the_21st_call_in_a_minute_with_retry_after(
        slack, rpc, bot_token):
    rpc.answer("messaging", "pins", [])
    token = bot_token()
    for _ in range(20):
        assert (await slack("pins.list", token=token, form={"channel": SLACK_CH}))[1]["ok"]
    status, body, headers = await slack("pins.list", token=token, form={"channel": SLACK_CH})
    assert (status, body) == (429, {"ok": False, "error": "ratelimited"})
    assert 1 <= int(headers["Retry-After"]) <= 3


# -- errors of the services, translated ------------------------------------------------
async def test_a_channel_the_actor_may_not_see_is_channel_not_found(slack, rpc, user_token):
    rpc.answer("channels", "get", NotFound("no such channel"))
    for method in ("conversations.info", "conversations.history"):
        assert (await slack(method, token=user_token,
                            form={"channel": SLACK_CH}))[1]["error"] == "channel_not_found"
    assert (await slack("conversations.info", token=user_token,
                        form={"channel": "#general"}))[1]["error"] == "channel_not_found"


async def test_posting_where_one_is_not_a_member_is_not_in_channel(slack, rpc, user_token):
    rpc.answer("channels", "get", {"id": CH, "kind": "public", "membership": None,
                                   "archived_at": None})
    rpc.answer("messaging", "send", Forbidden("only members post, and not in an archived "
                                              "channel"))
    body = (await slack("chat.postMessage", token=user_token,
                        json_body={"channel": SLACK_CH, "text": "hi"}))[1]
    assert body["error"] == "not_in_channel"
    rpc.answer("channels", "get", {"id": CH, "kind": "public", "membership": {},
                                   "archived_at": "2026-01-01T00:00:00+00:00"})
    body = (await slack("chat.postMessage", token=user_token,
                        json_body={"channel": SLACK_CH, "text": "hi"}))[1]
    assert body["error"] == "is_archived"


async def test_no_text_and_no_blocks_is_no_text_and_nothing_is_sent(slack, rpc, user_token):
    body = (await slack("chat.postMessage", token=user_token,
                        json_body={"channel": SLACK_CH, "text": "  "}))[1]
    assert body["error"] == "no_text"
    body = (await slack("chat.postMessage", token=user_token,
                        json_body={"channel": SLACK_CH, "blocks": "not json"}))[1]
    assert body["error"] == "invalid_blocks_format"
    assert "send" not in rpc.methods_called()


async def test_a_ts_that_names_no_message_is_message_not_found(slack, rpc, user_token,
                                                               in_channel):
    script_history(rpc, messages(3))
    for ts in ("1700000002.000009", "1700000099.000002", "yesterday"):
        body = (await slack("chat.update", token=user_token,
                            json_body={"channel": SLACK_CH, "ts": ts, "text": "x"}))[1]
        assert body["error"] == "message_not_found", ts
    assert "edit" not in rpc.methods_called()


async def test_only_its_author_updates_a_message(slack, rpc, tokens, in_channel):
    script_history(rpc, messages(3))
    other = tokens.issue("f" * 32, "session-2")
    body = (await slack("chat.update", token=other,
                        json_body={"channel": SLACK_CH, "ts": "1700000002.000002",
                                   "text": "x"}))[1]
    assert body["error"] == "cant_update_message"


# -- history: newest first, bounds, cursors ---------------------------------------------
async def pages(slack, token, **args) -> list[list[str]]:
    seen, cursor = [], None
    while True:
        body = (await slack("conversations.history", token=token,
                            json_body={"channel": SLACK_CH, **args,
                                       **({"cursor": cursor} if cursor else {})}))[1]
        assert body["ok"], body
        seen.append([m["text"] for m in body["messages"]])
        cursor = body["response_metadata"]["next_cursor"]
        assert body["has_more"] == bool(cursor)
        if not cursor:
            return seen


async def test_history_pages_newest_first_to_the_last_page(slack, rpc, user_token,
                                                           in_channel):
    script_history(rpc, messages(5))
    assert await pages(slack, user_token, limit=2) == [["m5", "m4"], ["m3", "m2"], ["m1"]]
    assert await pages(slack, user_token) == [["m5", "m4", "m3", "m2", "m1"]]


async def test_history_between_oldest_and_latest_inclusive_or_not(slack, rpc, user_token,
                                                                  in_channel):
    script_history(rpc, messages(6))
    ts = {n: f"{1_700_000_000 + n}.{n:06d}" for n in range(1, 7)}
    assert await pages(slack, user_token, oldest=ts[2], latest=ts[5]) == [["m4", "m3"]]
    assert await pages(slack, user_token, oldest=ts[2], latest=ts[5], inclusive=True) == \
        [["m5", "m4", "m3", "m2"]]
    # any time, not only a message's ts: whole seconds since the epoch, its own second in
    assert await pages(slack, user_token, oldest="1700000003.5") == [["m6", "m5", "m4", "m3"]]
    assert await pages(slack, user_token, latest="1700000003") == [["m3", "m2", "m1"]]
    assert await pages(slack, user_token, oldest="1700000009") == [[]]
    body = (await slack("conversations.history", token=user_token,
                        json_body={"channel": SLACK_CH, "latest": "soon"}))[1]
    assert body["error"] == "invalid_ts_latest"


async def test_history_leaves_out_thread_replies_and_deleted_messages(slack, rpc, user_token,
                                                                      in_channel):
    stored = messages(4)
    stored[1]["thread_parent_id"] = stored[0]["id"]          # a reply
    stored[2]["deleted_at"] = stored[2]["created_at"]        # a tombstone
    stored[0]["reply_count"], stored[0]["participants"] = 1, [ME]
    script_history(rpc, stored)
    body = (await slack("conversations.history", token=user_token,
                        json_body={"channel": SLACK_CH}))[1]
    assert [m["text"] for m in body["messages"]] == ["m4", "m1"]
    assert body["messages"][1]["reply_count"] == 1


async def test_a_bad_cursor_is_invalid_cursor(slack, rpc, user_token, in_channel):
    script_history(rpc, messages(2))
    body = (await slack("conversations.history", token=user_token,
                        json_body={"channel": SLACK_CH, "cursor": "%%%"}))[1]
    assert body["error"] == "invalid_cursor"


async def test_list_pages_through_channels_then_conversations(slack, rpc, user_token):
    def channel(n, kind="public"):
        return {"id": f"{n:032x}", "kind": kind, "name": f"c{n}", "membership": {},
                "created_at": "2026-01-01T00:00:00+00:00", "member_count": 2,
                "created_by": ME}
    directory = {None: ([channel(1), channel(2, "private")], "next-1"),
                 "next-1": ([channel(3, "private")], None)}
    rpc.answer("channels", "directory",
               lambda actor, cursor=None, limit=100, include_archived=False: {
                   "channels": directory[cursor][0], "next_cursor": directory[cursor][1]})
    rpc.answer("channels", "list_for_user", [channel(9, "dm"), channel(1)])
    rpc.answer("channels", "members", {"members": [ME, "f" * 32], "next_cursor": None})
    rpc.answer("auth", "bot_users", {})

    async def ids_of(types):
        pages, cursor = [], None
        while True:
            body = (await slack("conversations.list", token=user_token,
                                form={"types": types, **({"cursor": cursor} if cursor else {})}))[1]
            assert body["ok"], body
            pages.append([c["id"][0] + c["id"][-1] for c in body["channels"]])
            cursor = body["response_metadata"]["next_cursor"]
            if not cursor:
                return pages
    assert await ids_of("public_channel") == [["C1"], []]
    assert await ids_of("public_channel,im") == [["C1"], ["D9"]]  # nothing left of page 2
    assert await ids_of("private_channel,im") == [["C2"], ["C3"], ["D9"]]


async def test_rename_passes_the_new_name_to_channels(slack, rpc, user_token, in_channel):
    rpc.answer("channels", "update", {"id": CH, "kind": "public", "name": "renamed",
                                      "membership": {}})
    body = (await slack("conversations.rename", token=user_token,
                        form={"channel": SLACK_CH, "name": "renamed"}))[1]
    assert body["channel"]["name"] == "renamed"
    update = [c for c in rpc.calls if c["method"] == "update"][0]
    assert (update["args"], update["kwargs"]) == ((ME, CH), {"name": "renamed"})


async def test_replies_without_a_limit_reads_a_page_the_service_allows(slack, rpc, user_token,
                                                                      in_channel):
    parent = {**messages(1)[0], "reply_count": 1, "participants": [ME]}
    reply = {**messages(2)[1], "thread_parent_id": parent["id"]}
    script_history(rpc, [parent, reply])
    rpc.answer("messaging", "thread", [reply])
    body = (await slack("conversations.replies", token=user_token,
                        form={"channel": SLACK_CH, "ts": "1700000001.000001"}))[1]
    assert [m["text"] for m in body["messages"]] == ["m1", "m2"]
    assert [c["kwargs"]["limit"] for c in rpc.calls if c["method"] == "thread"] == [200]
