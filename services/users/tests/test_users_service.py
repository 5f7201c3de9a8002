"""services/users/service.py: profiles, read cursors, and unread counters fed by
message.created events (applied at least once, so they must be idempotent)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.events import Message, MessageCreated
from services.users.models import CountedMessage


def created(seq: int, sender: str = "ada", channel: str = "general"):
    """The message.created event of message ``seq``, as the consumer hands it over."""
    message = Message(id=f"{seq:024x}", channel_id=channel, seq=seq,
                      sender_id=sender, client_msg_id=f"c-{seq}", text="hi",
                      created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    return MessageCreated.of(message, request_id="req-1").model_dump(mode="json")


def unread(users, user_id, channel="general"):
    counts = users.unread_counts(user_id).get(channel)
    return counts["unread"] if counts else 0


# -- profiles --------------------------------------------------------------------
def test_a_new_account_gets_a_profile(users):
    profile = users.ensure_profile("u1", "ada@example.com", "Ada")
    assert (profile["user_id"], profile["email"], profile["display_name"]) == (
        "u1", "ada@example.com", "Ada")
    assert users.get("u1")["display_name"] == "Ada"


def test_ensuring_a_profile_again_keeps_the_first_one(users):
    users.ensure_profile("u1", "ada@example.com", "Ada")
    assert users.ensure_profile("u1", "ada@example.com", "Someone else")["display_name"] == "Ada"


def test_an_unknown_user_is_not_found(users):
    with pytest.raises(NotFound):
        users.get("nobody")


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
    assert users.unread_counts("bob") == {"general": {"unread": 3, "mentions": 0, "read_seq": 0}}


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
    users.mark_read("bob", "general", 5)
    users.on_message_created(created(4))   # arrived late, bob has read up to 5
    users.on_message_created(created(6))
    assert users.unread_counts("bob")["general"] == {"unread": 1, "mentions": 0, "read_seq": 5}
    assert unread(users, "cy") == 2


def test_counting_follows_the_members_at_the_time_of_the_event(users, channels):
    users.on_message_created(created(1))
    channels.members["general"].append("dee")
    users.on_message_created(created(2))
    assert (unread(users, "bob"), unread(users, "dee")) == (2, 1)


# -- the read cursor -----------------------------------------------------------------
def test_marking_read_resets_the_counters_and_moves_the_cursor(users):
    for seq in (1, 2, 3):
        users.on_message_created(created(seq))
    assert users.mark_read("bob", "general", 3) == {"unread": 0, "mentions": 0, "read_seq": 3}


def test_the_read_cursor_never_moves_back(users):
    users.mark_read("bob", "general", 7)
    users.on_message_created(created(8))
    assert users.mark_read("bob", "general", 2) == {"unread": 1, "mentions": 0, "read_seq": 7}


def test_only_a_member_can_mark_a_channel_read(users):
    with pytest.raises(Forbidden):
        users.mark_read("mallory", "general", 1)
    assert users.unread_counts("mallory") == {}


@pytest.mark.parametrize("event", [{"type": "message.created", "data": {"id": "x"}},
                                   {"type": "message.created"}, {}])
def test_a_malformed_event_is_rejected_as_invalid_input_and_counts_nothing(users, event):
    with pytest.raises(InvalidInput):
        users.on_message_created(event)
    assert unread(users, "bob") == 0
