"""``unread.changed`` on the real-time bus: only a read announces counters. A message
counted announces nothing (the members' clients count it when it reaches them, past
the ``counted_seq`` they read); a read that moves someone's cursor tells their devices
the counters and cursor after it, on ``user.<id>``, after the commit; a read that
moves nothing announces nothing."""
from __future__ import annotations

import pytest

from services.common.testing import Bus
from services.users.tests.test_counters import created


def announced(bus):
    return [(key, event["data"]) for key, event in bus.published
            if event["type"] == "unread.changed"]


def test_a_counted_message_announces_nothing(users, bus):
    users.on_message_created(created(1, sender="ada", mentions=["bob", "channel"]))
    assert bus.published == []


def test_a_batch_of_messages_announces_nothing(users, bus):
    users.apply_events("message.created", [created(1), created(2, mentions=["bob"]),
                                           created(3)])
    assert bus.published == []


def test_reading_announces_the_counters_and_cursor_to_the_reader_only(users, bus):
    users.on_message_created(created(1, mentions=["bob"]))
    users.on_message_created(created(2))
    users.reset_unread("bob", "general", 1)
    assert announced(bus) == [
        ("user.bob", {"channel_id": "general", "unread": 0, "mentions": 0, "read_seq": 1,
                      "counted_seq": 2})]


def test_a_read_is_announced_even_before_its_messages_were_counted(users, bus):
    """The reader's other devices may have counted messages the service has not yet:
    any move of the cursor is news to them."""
    users.reset_unread("bob", "general", 3)
    assert announced(bus) == [
        ("user.bob", {"channel_id": "general", "unread": 0, "mentions": 0, "read_seq": 3,
                      "counted_seq": 0})]


@pytest.mark.parametrize("seq", [1, 2])
def test_a_read_that_does_not_move_the_cursor_announces_nothing(users, bus, seq):
    users.on_message_created(created(1))
    users.reset_unread("bob", "general", 2)
    bus.clear()
    users.reset_unread("bob", "general", seq)   # repeated, or late
    assert bus.published == []


def test_publishing_happens_after_the_commit(users, session):
    """The bus is told only once the cursor is committed: no open transaction holds
    it when the event goes out."""
    seen = []

    class CheckingBus(Bus):
        def __call__(self, routing_key, event):
            seen.append(session.in_transaction())
            super().__call__(routing_key, event)

    users.realtime = CheckingBus()
    users.on_message_created(created(1))
    users.reset_unread("bob", "general", 1)
    assert seen == [False]


def test_a_failed_commit_announces_nothing(users, bus, session, monkeypatch):
    def fail():
        raise RuntimeError("database went away")

    monkeypatch.setattr(session, "commit", fail)
    with pytest.raises(RuntimeError):
        users.reset_unread("bob", "general", 1)
    assert bus.published == []


def test_a_batch_that_fails_part_way_counts_nothing_until_sent_again(
        users, channels, monkeypatch):
    """Its events share one transaction: the failure rolls back the ones before it, and
    the consumer's resend counts each message once."""
    from services.common.errors import ServiceUnavailable
    from services.users.tests.test_counters import unread
    members = channels.member_ids

    def channels_away_for_the_second(channel_id, calls=[]):
        calls.append(channel_id)
        if len(calls) == 2:
            raise ServiceUnavailable("channels away")
        return members(channel_id)
    monkeypatch.setattr(channels, "member_ids", channels_away_for_the_second)
    channels.members["random"] = ["ada", "bob"]
    batch = [created(1, channel="general"), created(2, channel="random")]
    with pytest.raises(ServiceUnavailable):
        users.apply_events("message.created", batch)
    assert unread(users, "bob") == 0

    users.apply_events("message.created", batch)
    assert (unread(users, "bob"), unread(users, "bob", "random")) == (1, 1)
