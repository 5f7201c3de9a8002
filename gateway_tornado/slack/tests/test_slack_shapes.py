"""Parley objects in Slack's shapes (slack/shapes.py)."""
from __future__ import annotations

from gateway_tornado.slack import shapes

TEAM = "TDEFAULT"
CH = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
ANN = "a" * 32
BOB = "b" * 32
BOT_USER = "c" * 32
PARENT = "65a1b2c3d4e5f6a7b8c9d0e1"


def msg(**over) -> dict:
    base = {"id": PARENT, "channel_id": CH, "seq": 7, "sender_id": ANN, "client_msg_id": "c-1",
            "text": "hello", "created_at": "2023-11-14T22:13:20+00:00", "attachments": [],
            "mentions": [], "links": [], "edited_at": None, "deleted_at": None,
            "pinned": False, "reactions": [], "thread_parent_id": None,
            "also_to_channel": False, "reply_count": 0, "participants": []}
    return {**base, **over}


def view(**over) -> shapes.View:
    return shapes.View(team_id=TEAM, base_url="http://chat.example", **over)


def test_a_plain_message():
    assert shapes.message(msg(), view()) == {
        "type": "message", "user": "U" + ANN.upper(), "text": "hello",
        "ts": "1700000000.000007", "team": TEAM, "client_msg_id": "c-1"}


def test_an_edited_message_with_reactions_blocks_and_a_pin():
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    out = shapes.message(msg(edited_at="2023-11-14T22:14:00.250000+00:00", pinned=True,
                             blocks=blocks,
                             reactions=[{"emoji": "+1", "count": 2, "user_ids": [ANN, BOB]}]),
                         view())
    assert out["edited"] == {"user": "U" + ANN.upper(), "ts": "1700000040.250000"}
    assert out["reactions"] == [{"name": "+1", "users": ["U" + ANN.upper(), "U" + BOB.upper()],
                                 "count": 2}]
    assert out["blocks"] == blocks
    assert out["pinned_to"] == ["C" + CH.upper()]


def test_a_thread_parent_and_its_replies():
    parent = msg(reply_count=2, participants=[ANN, BOB])
    out = shapes.message(parent, view(latest_reply={PARENT: "1700000100.000009"}))
    assert (out["thread_ts"], out["reply_count"], out["reply_users"], out["reply_users_count"],
            out["latest_reply"]) == ("1700000000.000007", 2, ["U" + BOB.upper()], 1,
                                     "1700000100.000009")
    reply = msg(id="75a1b2c3d4e5f6a7b8c9d0e1", seq=8, sender_id=BOB, thread_parent_id=PARENT,
                also_to_channel=True)
    out = shapes.message(reply, view(parents={PARENT: parent}))
    assert (out["thread_ts"], out["parent_user_id"], out["subtype"]) == \
        ("1700000000.000007", "U" + ANN.upper(), "thread_broadcast")


def test_a_bots_message_names_the_bot_and_a_tombstone_says_it_was_deleted():
    bots = {BOT_USER: {"bot_id": "d" * 32, "app_id": "e" * 32, "name": "helper"}}
    out = shapes.message(msg(sender_id=BOT_USER), view(bots=bots))
    assert (out["bot_id"], out["app_id"], out["bot_profile"]["name"]) == \
        ("B" + "D" * 32, "A" + "E" * 32, "helper")
    assert "client_msg_id" not in out
    gone = shapes.message(msg(deleted_at="2023-11-14T22:15:00+00:00", text=""), view())
    assert (gone["subtype"], gone["text"]) == ("tombstone", shapes.DELETED_TEXT)


def test_a_message_with_a_file():
    f = {"id": "65b000000000000000000001", "filename": "notes.txt", "size": 12,
         "content_type": "text/plain", "uploader_id": ANN, "channel_id": CH,
         "created_at": "2023-11-14T22:13:20+00:00", "status": "ready"}
    out = shapes.message(msg(attachments=[f]), view())
    [slack_file] = out["files"]
    assert slack_file["id"] == "F65B000000000000000000001"
    assert slack_file["url_private"] == \
        "http://chat.example/slack/files/F65B000000000000000000001/notes.txt"
    assert (slack_file["name"], slack_file["title"], slack_file["mimetype"],
            slack_file["filetype"], slack_file["size"], slack_file["user"],
            slack_file["channels"]) == ("notes.txt", "notes.txt", "text/plain", "txt", 12,
                                        "U" + ANN.upper(), ["C" + CH.upper()])


def channel(**over) -> dict:
    base = {"id": CH, "kind": "public", "name": "general", "is_private": False,
            "topic": "launch", "purpose": "", "created_by": ANN,
            "created_at": "2023-11-14T22:13:20+00:00", "archived_at": None, "member_count": 3,
            "membership": {"last_read_seq": 5}}
    return {**base, **over}


def test_a_public_and_a_private_channel():
    out = shapes.conversation(channel(), view())
    assert {k: out[k] for k in ("id", "name", "is_channel", "is_private", "is_im", "is_mpim",
                                "is_archived", "is_member", "created", "num_members",
                                "creator")} == {
        "id": "C" + CH.upper(), "name": "general", "is_channel": True, "is_private": False,
        "is_im": False, "is_mpim": False, "is_archived": False, "is_member": True,
        "created": 1700000000, "num_members": 3, "creator": "U" + ANN.upper()}
    assert out["topic"] == {"value": "launch", "creator": "", "last_set": 0}
    private = shapes.conversation(channel(kind="private", is_private=True, membership=None,
                                          archived_at="2023-11-15T00:00:00+00:00"), view())
    assert (private["is_private"], private["is_member"], private["is_archived"]) == \
        (True, False, True)


def test_a_dm_names_the_other_person_and_a_group_dm_is_an_mpim():
    dm = shapes.conversation(channel(kind="dm", name=None), view(), other_user=BOB)
    assert (dm["id"][0], dm["is_im"], dm["user"]) == ("D", True, "U" + BOB.upper())
    group = shapes.conversation(channel(kind="group_dm", name=None), view(),
                                members=[BOB, ANN])
    assert (group["id"][0], group["is_mpim"], group["is_private"]) == ("G", True, True)
    assert group["name"] == f"mpdm-u{ANN}--u{BOB}-1"


def profile(**over) -> dict:
    base = {"user_id": ANN, "email": "Ann.Lee@example.com", "display_name": "Ann",
            "full_name": "Ann Lee", "title": "Engineer", "time_zone": "Europe/Paris",
            "status": {"text": "lunch", "emoji": ":taco:", "expires_at": None},
            "avatar": None, "role": "admin", "active": True, "last_active_at": None}
    return {**base, **over}


def test_a_person_as_a_slack_user_with_their_email_only_when_granted():
    out = shapes.user(profile(), view())
    assert {k: out[k] for k in ("id", "team_id", "name", "real_name", "deleted", "is_admin",
                                "is_owner", "is_bot", "tz")} == {
        "id": "U" + ANN.upper(), "team_id": TEAM, "name": "ann.lee", "real_name": "Ann Lee",
        "deleted": False, "is_admin": True, "is_owner": False, "is_bot": False,
        "tz": "Europe/Paris"}
    assert out["tz_offset"] in (3600, 7200)
    assert (out["profile"]["status_text"], out["profile"]["display_name"]) == ("lunch", "Ann")
    assert "email" not in out["profile"]
    assert shapes.user(profile(), view(show_email=True))["profile"]["email"] == \
        "Ann.Lee@example.com"


def test_a_bot_user_and_a_deactivated_person():
    bots = {BOT_USER: {"bot_id": "d" * 32, "app_id": "e" * 32, "name": "helper"}}
    out = shapes.user(profile(user_id=BOT_USER, role="member"), view(bots=bots))
    assert (out["is_bot"], out["name"], out["profile"]["bot_id"]) == \
        (True, "helper", "B" + "D" * 32)
    assert shapes.user(profile(active=False), view())["deleted"] is True
    assert shapes.user(profile(role="guest"), view())["is_restricted"] is True
