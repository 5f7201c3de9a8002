"""Parley's bus events as Slack RTM / Socket Mode events (slack/events.py)."""
from __future__ import annotations

from gateway_tornado.slack import shapes
from gateway_tornado.slack.events import Context, thread_parent, translate

CHANNEL, ANN, BOB = "a" * 32, "b" * 32, "c" * 32
WHEN = "2023-11-14T22:13:20+00:00"   # 1700000000


def msg(seq: int = 42, **fields) -> dict:
    return {"id": f"m{seq}", "channel_id": CHANNEL, "seq": seq, "sender_id": ANN,
            "client_msg_id": f"c{seq}", "text": "hi", "created_at": WHEN, **fields}


def context(**kinds) -> Context:
    return Context(view=shapes.View(team_id="TDEFAULT"), kinds=kinds or {CHANNEL: "public"})


def event(kind: str, data: dict) -> dict:
    return {"event_id": "e1", "type": kind, "occurred_at": WHEN, "data": data}


def test_a_new_message_is_a_slack_message_event_in_its_channel():
    [out] = translate(event("message.created", msg()), context())
    assert out == {"type": "message", "channel": "C" + CHANNEL.upper(), "user": "U" + ANN.upper(),
                   "text": "hi", "ts": "1700000000.000042", "event_ts": "1700000000.000042",
                   "team": "TDEFAULT", "client_msg_id": "c42"}


def test_a_reply_carries_its_parents_ts_and_a_dm_its_d_id():
    ctx = context(**{CHANNEL: "dm"})
    ctx.view.parents["m1"] = msg(1)
    [out] = translate(event("message.created", msg(thread_parent_id="m1")), ctx)
    assert out["channel"] == "D" + CHANNEL.upper()
    assert out["thread_ts"] == "1700000000.000001"
    assert thread_parent(event("message.created", msg(thread_parent_id="m1"))) == (CHANNEL, "m1")
    assert thread_parent(event("message.created", msg())) is None


def test_a_bots_message_has_its_bot_id_and_no_client_msg_id():
    ctx = context()
    ctx.view.bots[ANN] = {"bot_id": "d" * 32, "app_id": "e" * 32, "name": "deploy"}
    [out] = translate(event("message.created", msg()), ctx)
    assert out["bot_id"] == "B" + "D" * 32 and "client_msg_id" not in out


def test_an_edit_is_message_changed_with_the_message_seen_before():
    ctx = context()
    translate(event("message.created", msg(text="draft")), ctx)
    [out] = translate(event("message.updated", msg(text="final", edited_at=WHEN)), ctx)
    assert out["subtype"] == "message_changed" and out["hidden"] is True
    assert out["message"]["text"] == "final" and out["message"]["edited"]["user"] == "U" + ANN.upper()
    assert out["previous_message"]["text"] == "draft"
    assert out["event_ts"] == out["ts"] == "1700000000.000000"


def test_an_edit_of_a_message_never_seen_has_no_previous_message():
    [out] = translate(event("message.updated", msg(text="final")), context())
    assert "previous_message" not in out


def test_a_delete_is_message_deleted_naming_the_deleted_ts():
    ctx = context()
    translate(event("message.created", msg()), ctx)
    [out] = translate(event("message.deleted", msg(deleted_at=WHEN, text="")), ctx)
    assert out["subtype"] == "message_deleted"
    assert out["deleted_ts"] == "1700000000.000042"
    assert out["previous_message"]["text"] == "hi"


def test_reactions_name_the_item_and_its_author():
    data = {"channel_id": CHANNEL, "message_id": "m42", "user_id": BOB, "emoji": "tada",
            "message": msg()}
    [added] = translate(event("reaction.added", data), context())
    [removed] = translate(event("reaction.removed", data), context())
    assert added == {"type": "reaction_added", "user": "U" + BOB.upper(), "reaction": "tada",
                     "item": {"type": "message", "channel": "C" + CHANNEL.upper(),
                              "ts": "1700000000.000042"},
                     "item_user": "U" + ANN.upper(), "event_ts": "1700000000.000000"}
    assert removed["type"] == "reaction_removed"


def test_joins_typing_and_presence():
    [joined] = translate(event("member.joined", {"channel_id": CHANNEL, "user_id": BOB}),
                         context())
    assert joined["type"] == "member_joined_channel" and joined["channel_type"] == "C"
    assert joined["user"] == "U" + BOB.upper() and joined["team"] == "TDEFAULT"
    typing = {"channel_id": CHANNEL, "user_id": BOB, "thread_parent_id": None}
    assert translate(event("typing", {**typing, "state": "started"}), context()) == [
        {"type": "user_typing", "channel": "C" + CHANNEL.upper(), "user": "U" + BOB.upper()}]
    assert translate(event("typing", {**typing, "state": "stopped"}), context()) == []
    [online] = translate(event("presence.changed", {"user_id": BOB, "status": "online"}),
                         context())
    [away] = translate(event("presence.changed", {"user_id": BOB, "status": "offline"}),
                       context())
    assert online == {"type": "presence_change", "user": "U" + BOB.upper(), "presence": "active"}
    assert away["presence"] == "away"


def test_events_slack_has_no_counterpart_of_are_dropped():
    assert translate(event("unread.changed", {"channel_id": CHANNEL}), context()) == []
    assert translate(event("receipt", {"channel_id": CHANNEL}), context()) == []
