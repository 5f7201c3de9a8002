"""Message receipts: a member's delivered cursor (a device of theirs acknowledged the
messages up to it) next to their read cursor; who has a message, per person in DMs
and group DMs, as counts in channels; live `receipt` events in conversations."""
from __future__ import annotations

import pytest

from services.common.errors import Forbidden, InvalidInput, NotFound

from .messages import created


def post(channels, channel: str, upto: int, sender: str = "ada") -> None:
    """Messages 1..upto, counted as the Kafka consumer would count them."""
    for seq in range(1, upto + 1):
        channels.on_message_created(created(channel, seq, sender))


@pytest.fixture
def dm(channels) -> str:
    channel = channels.open_dm("ada", ["bob"])["id"]
    post(channels, channel, 3)
    return channel


@pytest.fixture
def general(channels) -> str:
    channel = channels.create("ada", "general")["id"]
    for person in ("bob", "cy", "dee"):
        channels.join(person, channel)
    post(channels, channel, 3)
    return channel


def cursors(channels, person: str, channel: str) -> tuple[int, int]:
    membership = channels.get(person, channel)["membership"]
    return membership["last_delivered_seq"], membership["last_read_seq"]


# -- the delivered cursor ----------------------------------------------------------------
def test_a_delivery_moves_the_delivered_cursor_and_leaves_the_read_cursor(channels, dm):
    answer = channels.mark_delivered("bob", dm, 2)
    assert answer == {"channel_id": dm, "delivered_seq": 2, "read_seq": 0}
    assert cursors(channels, "bob", dm) == (2, 0)


def test_the_delivered_cursor_never_moves_back_and_a_repeat_changes_nothing(channels, dm):
    channels.mark_delivered("bob", dm, 3)
    assert channels.mark_delivered("bob", dm, 1)["delivered_seq"] == 3
    assert channels.mark_delivered("bob", dm, 3)["delivered_seq"] == 3
    assert cursors(channels, "bob", dm) == (3, 0)


def test_reading_delivers_too_and_never_pulls_the_delivered_cursor_back(channels, dm):
    assert channels.mark_read("bob", dm, 2)["delivered_seq"] == 2
    assert cursors(channels, "bob", dm) == (2, 2)
    channels.mark_delivered("bob", dm, 3)
    channels.mark_read("bob", dm, 1)
    assert cursors(channels, "bob", dm) == (3, 2)


def test_a_seq_beyond_the_newest_counted_message_is_clamped_until_it_is_counted(channels, dm):
    # Kafka's consumer counts a message a moment after the socket delivered it.
    assert channels.mark_delivered("bob", dm, 5)["delivered_seq"] == 3
    channels.on_message_created(created(dm, 4))
    channels.on_message_created(created(dm, 5))
    assert channels.mark_delivered("bob", dm, 5)["delivered_seq"] == 5


@pytest.mark.parametrize("seq", [-1, "3", 1.5, None, True])
def test_the_delivered_seq_is_a_non_negative_integer(channels, dm, seq):
    with pytest.raises(InvalidInput):
        channels.mark_delivered("bob", dm, seq)
    assert cursors(channels, "bob", dm) == (0, 0)


def test_only_members_have_a_delivered_cursor(channels, general, dm):
    with pytest.raises(Forbidden):
        channels.mark_delivered("owner", general, 1)  # may see it, is not in it
    with pytest.raises(NotFound):
        channels.mark_delivered("cy", dm, 1)  # someone else's DM is invisible
    with pytest.raises(NotFound):
        channels.mark_delivered("bob", "no-such-channel", 1)


# -- who has a message --------------------------------------------------------------------
def test_a_dm_sender_sees_per_person_whether_it_was_delivered_and_seen(channels, dm):
    empty = channels.receipts("ada", dm, 2)
    assert empty["recipients"] == [{"user_id": "bob", "delivered": False, "seen": False,
                                    "delivered_seq": 0, "read_seq": 0}]
    channels.mark_delivered("bob", dm, 2)
    assert channels.receipts("ada", dm, 2)["recipients"][0]["delivered"] is True
    assert channels.receipts("ada", dm, 3)["recipients"][0]["delivered"] is False
    channels.mark_read("bob", dm, 3)
    answer = channels.receipts("ada", dm, 2)
    assert answer == {"channel_id": dm, "kind": "dm", "seq": 2,
                      "counts": {"members": 1, "delivered": 1, "seen": 1},
                      "recipients": [{"user_id": "bob", "delivered": True, "seen": True,
                                      "delivered_seq": 3, "read_seq": 3}]}


def test_a_group_dm_lists_everyone_but_the_sender(channels):
    group = channels.open_dm("ada", ["bob", "cy"])["id"]
    post(channels, group, 1)
    channels.mark_delivered("bob", group, 1)
    people = {r["user_id"]: (r["delivered"], r["seen"])
              for r in channels.receipts("ada", group, 1)["recipients"]}
    assert people == {"bob": (True, False), "cy": (False, False)}


def test_another_member_asking_names_the_sender_to_leave_out(channels):
    group = channels.open_dm("ada", ["bob", "cy"])["id"]
    post(channels, group, 1)
    answer = channels.receipts("bob", group, 1, sender_id="ada")
    assert sorted(r["user_id"] for r in answer["recipients"]) == ["bob", "cy"]


def test_a_channel_shows_counts_of_the_other_members_not_who(channels, general):
    channels.mark_delivered("bob", general, 3)
    channels.mark_delivered("cy", general, 1)
    channels.mark_read("dee", general, 2)
    answer = channels.receipts("ada", general, 2)
    assert answer["recipients"] is None
    assert answer["counts"] == {"members": 3, "delivered": 2, "seen": 1}  # bob, dee; dee


def test_only_members_may_ask_for_receipts(channels, general, dm):
    with pytest.raises(Forbidden):
        channels.receipts("owner", general, 1)  # may see the public channel, is not in it
    with pytest.raises(NotFound):
        channels.receipts("cy", dm, 1)


@pytest.mark.parametrize("seq", [0, -1, "1", None])
def test_receipts_are_for_a_message_seq(channels, dm, seq):
    with pytest.raises(InvalidInput):
        channels.receipts("ada", dm, seq)


# -- live receipts ------------------------------------------------------------------------
def test_a_cursor_moving_in_a_dm_is_told_to_the_dm(channels, bus, dm):
    bus.clear()
    channels.mark_delivered("bob", dm, 2)
    channels.mark_read("bob", dm, 2)
    assert bus.published == [
        (f"channel.{dm}", {"type": "receipt", "data": {"channel_id": dm, "user_id": "bob",
                                                       "delivered_seq": 2, "read_seq": 0}}),
        (f"channel.{dm}", {"type": "receipt", "data": {"channel_id": dm, "user_id": "bob",
                                                       "delivered_seq": 2, "read_seq": 2}})]


def test_a_cursor_that_does_not_move_is_not_told(channels, bus, dm):
    channels.mark_read("bob", dm, 3)
    bus.clear()
    channels.mark_delivered("bob", dm, 3)
    channels.mark_read("bob", dm, 2)
    assert bus.published == []


def test_channels_do_not_broadcast_each_members_cursor(channels, bus, general):
    bus.clear()
    channels.mark_delivered("bob", general, 3)
    channels.mark_read("bob", general, 3)
    assert bus.published == []
