"""Read cursors, notification levels, and the activity counted from Kafka
message.created (applied at least once, so it must be idempotent)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.channels.models import AppliedMessage
from services.common.errors import Forbidden, InvalidInput

from .messages import created


@pytest.fixture
def general(channels) -> str:
    channel = channels.create("ada", "general")["id"]
    channels.join("bob", channel)
    return channel


# -- read cursor ------------------------------------------------------------------------
def test_marking_read_moves_the_cursor_and_resets_unread_counters(channels, users, general):
    answer = channels.mark_read("bob", general, 5)
    assert answer == {"channel_id": general, "read_seq": 5, "delivered_seq": 5, "unread": 0,
                      "mentions": 0}
    assert users.resets == [("bob", general, 5)]
    assert channels.get("bob", general)["membership"]["last_read_seq"] == 5


def test_the_read_cursor_never_moves_back(channels, users, general):
    channels.mark_read("bob", general, 5)
    assert channels.mark_read("bob", general, 3)["read_seq"] == 5
    assert users.resets[-1] == ("bob", general, 5)  # the counters follow the real cursor


def test_each_member_has_their_own_cursor(channels, general):
    channels.mark_read("bob", general, 4)
    assert channels.get("ada", general)["membership"]["last_read_seq"] == 0


@pytest.mark.parametrize("seq", [-1, "3", 1.5, None, True])
def test_the_cursor_is_a_non_negative_integer(channels, users, general, seq):
    with pytest.raises(InvalidInput):
        channels.mark_read("bob", general, seq)
    assert users.resets == []


def test_outsiders_have_no_cursor_and_reset_nothing(channels, users, general):
    with pytest.raises(Forbidden):
        channels.mark_read("cy", general, 1)
    assert users.resets == []


# -- notification level and mute --------------------------------------------------------
def test_a_member_starts_notified_of_everything_and_unmuted(channels, general):
    assert channels.get("bob", general)["membership"] | {"joined_at": None} == {
        "joined_at": None, "last_read_seq": 0, "last_delivered_seq": 0,
        "notification_level": "all", "muted": False}


def test_a_member_sets_their_level_and_mute_separately(channels, general):
    assert channels.set_notifications("bob", general, level="mentions")["notification_level"] \
        == "mentions"
    muted = channels.set_notifications("bob", general, muted=True)
    assert (muted["notification_level"], muted["muted"]) == ("mentions", True)
    assert channels.get("ada", general)["membership"]["muted"] is False


@pytest.mark.parametrize("settings", [{}, {"level": "loud"}, {"muted": "maybe"}])
def test_notification_settings_must_be_a_known_level_or_a_mute_flag(channels, general, settings):
    with pytest.raises(InvalidInput):
        channels.set_notifications("bob", general, **settings)


def test_settings_survive_in_my_channel_list(channels, general):
    channels.set_notifications("bob", general, level="nothing", muted=True)
    (mine,) = channels.list_for_user("bob")
    assert (mine["membership"]["notification_level"], mine["membership"]["muted"]) == (
        "nothing", True)


# -- activity from Kafka ---------------------------------------------------------------
def test_a_message_counts_and_moves_the_last_activity(channels, general):
    assert channels.on_message_created(created(general, 1)) == {
        "channel_id": general, "seq": 1, "counted": True}
    seen = channels.get("ada", general)
    assert (seen["message_count"], seen["last_message_seq"]) == (1, 1)
    assert seen["last_activity_at"].startswith("2026-01-01T00:00:01")


def test_a_replayed_message_is_counted_once(channels, session, general):
    event = created(general, 1)
    channels.on_message_created(event)
    assert channels.on_message_created(event)["counted"] is False
    assert channels.get("ada", general)["message_count"] == 1
    assert session.scalar(select(func.count()).select_from(AppliedMessage)) == 1


def test_messages_out_of_order_count_once_each_and_activity_only_moves_forward(channels, general):
    for seq in (3, 1, 2, 1, 3):
        channels.on_message_created(created(general, seq))
    seen = channels.get("ada", general)
    assert (seen["message_count"], seen["last_message_seq"]) == (3, 3)
    assert seen["last_activity_at"].startswith("2026-01-01T00:00:03")


def test_a_malformed_event_is_invalid_input_and_changes_nothing(channels, general):
    with pytest.raises(InvalidInput):
        channels.on_message_created({"type": "message.created", "data": {"id": "x"}})
    assert channels.get("ada", general)["message_count"] == 0


# -- what messaging asks -----------------------------------------------------------------
def test_members_may_post_until_the_channel_is_archived(channels, general):
    assert channels.can_post(general, "bob") is True
    assert channels.can_post(general, "cy") is False
    assert channels.can_post("no-such-id", "bob") is False
    channels.archive("ada", general)
    assert (channels.can_post(general, "bob"), channels.is_member(general, "bob")) == (False, True)


def test_a_channels_posters_are_its_members_until_it_is_archived(channels, general):
    assert channels.posters(general) == sorted(channels.member_ids(general))
    assert channels.posters("no-such-id") == []
    channels.archive("ada", general)
    assert (channels.posters(general), len(channels.member_ids(general)) > 0) == ([], True)
