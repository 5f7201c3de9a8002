"""Unread and mention counters fed by message.created events (applied at least
once, so they must be idempotent), and reset when the channels service moves a
read cursor (reset_unread)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from services.common.channel_memory import PerChannel
from services.common.errors import InvalidInput
from services.common.events import Message, MessageCreated
from services.users.models import CountedMessage


def created(seq: int, sender: str = "ada", channel: str = "general", mentions=()):
    """The message.created event of message ``seq``, as the consumer hands it over."""
    message = Message(id=f"{seq:024x}", channel_id=channel, seq=seq,
                      sender_id=sender, client_msg_id=f"c-{seq}", text="hi",
                      created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                      mentions=list(mentions))
    return MessageCreated.of(message, request_id="req-1").model_dump(mode="json")


def unread(users, user_id, channel="general"):
    counts = users.unread_counts(user_id).get(channel)
    return counts["unread"] if counts else 0


def mentions(users, user_id, channel="general"):
    counts = users.unread_counts(user_id).get(channel)
    return counts["mentions"] if counts else 0


def test_someone_with_no_counters_has_an_empty_unread_map(users):
    assert users.unread_counts("ada") == {}


# -- counting messages -----------------------------------------------------------------
def test_a_message_counts_as_unread_for_every_other_member(users):
    assert users.on_message_created(created(1, sender="ada")) == {
        "message_id": created(1)["data"]["id"], "counted": True}
    assert (unread(users, "bob"), unread(users, "cy")) == (1, 1)


def test_a_message_is_not_unread_for_its_sender(users):
    users.on_message_created(created(1, sender="ada"))
    assert users.unread_counts("ada") == {}


def test_each_new_message_adds_one(users):
    for seq in (1, 2, 3):
        users.on_message_created(created(seq))
    assert users.unread_counts("bob") == {"general": {"unread": 3, "mentions": 0, "read_seq": 0,
                                                      "counted_seq": 3}}


def test_the_counters_say_the_highest_seq_they_hold_whatever_the_order_counted(users):
    for seq in (2, 5, 3):
        users.on_message_created(created(seq))
    assert users.unread_counts("bob")["general"]["counted_seq"] == 5


def test_a_replayed_event_changes_nothing(users, session):
    event = created(1)
    users.on_message_created(event)
    assert users.on_message_created(event) == {"message_id": event["data"]["id"],
                                               "counted": False}
    assert unread(users, "bob") == 1
    assert session.scalar(select(func.count()).select_from(CountedMessage)) == 1


def test_events_arriving_out_of_order_are_each_counted_once(users):
    for seq in (3, 1, 2, 1, 3):
        users.on_message_created(created(seq))
    assert unread(users, "bob") == 3


def test_a_message_already_read_past_is_not_counted(users):
    users.reset_unread("bob", "general", 5)
    users.on_message_created(created(4))   # arrived late, bob has read up to 5
    users.on_message_created(created(6))
    assert users.unread_counts("bob")["general"] == {"unread": 1, "mentions": 0, "read_seq": 5,
                                                     "counted_seq": 6}
    assert unread(users, "cy") == 2


def test_counting_follows_the_members_at_the_time_the_event_is_applied(users, channels):
    users.on_message_created(created(1))
    channels.members["general"].append("dee")
    users.on_message_created(created(2))
    assert (unread(users, "bob"), unread(users, "dee")) == (2, 1)


def test_members_are_remembered_until_channels_tells_that_they_changed(users, channels):
    """services/common/channel_memory.py: one question per channel, not per message."""
    asked = []
    member_ids = channels.member_ids
    channels.member_ids = lambda channel_id: asked.append(channel_id) or member_ids(channel_id)
    users.channel_memory = PerChannel(seconds=60)
    users.on_message_created(created(1))
    users.on_message_created(created(2))
    channels.members["general"].append("dee")
    users.forget_channel({"channel_id": "general", "user_id": "dee"})  # dee joined
    users.on_message_created(created(3))
    assert (asked, unread(users, "bob"), unread(users, "dee")) == (["general"] * 2, 3, 1)


def test_after_a_reconnection_the_members_of_every_channel_are_asked_again(users, channels):
    """A notice dispatched while this instance's connection was down never reached it;
    once the connection is back the handler is handed ``{"channel_id": None}``."""
    asked = []
    member_ids = channels.member_ids
    channels.member_ids = lambda channel_id: asked.append(channel_id) or member_ids(channel_id)
    users.channel_memory = PerChannel(seconds=600)
    users.on_message_created(created(1))
    channels.members["general"].append("dee")      # dee joined; the notice was lost
    users.on_message_created(created(2))
    users.forget_channel({"channel_id": None})
    users.on_message_created(created(3))
    assert (asked, unread(users, "bob"), unread(users, "dee")) == (["general"] * 2, 3, 1)


def test_a_batch_of_events_asks_for_a_channels_members_once(users, channels, monkeypatch):
    asked = []
    monkeypatch.setattr(channels, "member_ids", lambda channel_id: asked.append(channel_id)
                        or ["ada", "bob", "cy"])
    users.channel_memory = PerChannel(seconds=60)
    users.apply_events("message.created", [created(1), created(2), created(3)])
    assert asked == ["general"]
    assert unread(users, "bob") == 3


def test_a_message_counted_before_does_not_undo_the_rest_of_its_batch(users):
    """A batch's events share one transaction: a replay in it must not end it."""
    users.on_message_created(created(2))
    outcomes = users.apply_events("message.created", [created(1), created(2), created(3)])
    assert [o["answer"]["counted"] for o in outcomes] == [True, False, True]
    assert unread(users, "bob") == 3


def test_an_event_refused_in_a_batch_leaves_every_other_counted_once(users, session):
    """The refusal rolls back the events before it; the batch is applied again without it."""
    outcomes = users.apply_events("message.created",
                                  [created(1), {"type": "message.created"}, created(3)])
    assert [next(iter(o)) for o in outcomes] == ["answer", "refused", "answer"]
    assert outcomes[1]["refused"]["code"] == "invalid_input"
    assert unread(users, "bob") == 2
    assert session.scalar(select(func.count()).select_from(CountedMessage)) == 2


# -- mentions -------------------------------------------------------------------------
def test_a_message_naming_someone_counts_a_mention_for_them_only(users):
    users.on_message_created(created(1, sender="ada", mentions=["bob"]))
    assert (mentions(users, "bob"), mentions(users, "cy")) == (1, 0)
    assert (unread(users, "bob"), unread(users, "cy")) == (1, 1)


@pytest.mark.parametrize("everyone", ["channel", "here"])
def test_at_channel_and_at_here_mention_every_other_member(users, everyone):
    users.on_message_created(created(1, sender="ada", mentions=[everyone]))
    assert (mentions(users, "bob"), mentions(users, "cy")) == (1, 1)
    assert users.unread_counts("ada") == {}  # not the sender


def test_a_message_naming_someone_and_at_channel_counts_one_mention(users):
    users.on_message_created(created(1, mentions=["bob", "channel", "here"]))
    assert mentions(users, "bob") == 1


def test_naming_someone_outside_the_channel_counts_nothing_for_them(users):
    users.on_message_created(created(1, mentions=["zed"]))
    assert users.unread_counts("zed") == {}


def test_a_replayed_mention_is_counted_once(users):
    event = created(1, mentions=["bob"])
    for _ in range(3):
        users.on_message_created(event)
    assert users.unread_counts("bob")["general"] == {"unread": 1, "mentions": 1,
                                                     "read_seq": 0, "counted_seq": 1}


def test_a_mention_already_read_past_is_not_counted(users):
    users.reset_unread("bob", "general", 5)
    users.on_message_created(created(5, mentions=["bob"]))
    assert mentions(users, "bob") == 0


def test_resetting_clears_mentions_too(users):
    users.on_message_created(created(1, mentions=["bob"]))
    users.on_message_created(created(2, mentions=["channel"]))
    assert mentions(users, "bob") == 2
    assert users.reset_unread("bob", "general", 2)["mentions"] == 0


# -- reset by the read cursor -----------------------------------------------------------------
def test_resetting_zeroes_the_counters_and_moves_the_cursor(users):
    for seq in (1, 2, 3):
        users.on_message_created(created(seq))
    assert users.reset_unread("bob", "general", 3) == {"unread": 0, "mentions": 0, "read_seq": 3,
                                                       "counted_seq": 3}


def test_the_read_cursor_never_moves_back(users):
    users.reset_unread("bob", "general", 7)
    users.on_message_created(created(8))
    assert users.reset_unread("bob", "general", 2) == {"unread": 1, "mentions": 0, "read_seq": 7,
                                                       "counted_seq": 8}


def test_resetting_is_internal_and_trusts_its_caller_about_membership(users):
    # channels checks membership before it moves a cursor and calls reset_unread
    assert users.reset_unread("dee", "general", 4) == {"unread": 0, "mentions": 0,
                                                       "read_seq": 4, "counted_seq": 0}


def test_repeating_a_reset_changes_nothing(users):
    users.on_message_created(created(1))
    assert users.reset_unread("bob", "general", 1) == {"unread": 0, "mentions": 0,
                                                       "read_seq": 1, "counted_seq": 1}
    users.on_message_created(created(2, mentions=["bob"]))
    assert users.reset_unread("bob", "general", 1) == {"unread": 1, "mentions": 1,
                                                       "read_seq": 1, "counted_seq": 2}


@pytest.mark.parametrize("seq", [-1, "3", 1.5, None, True])
def test_a_reset_needs_a_non_negative_integer_seq(users, seq):
    users.on_message_created(created(1))
    with pytest.raises(InvalidInput):
        users.reset_unread("bob", "general", seq)
    assert unread(users, "bob") == 1


@pytest.mark.parametrize("event", [{"type": "message.created", "data": {"id": "x"}},
                                   {"type": "message.created"}, {}])
def test_a_malformed_event_is_rejected_as_invalid_input_and_counts_nothing(users, event):
    with pytest.raises(InvalidInput):
        users.on_message_created(event)
    assert unread(users, "bob") == 0
