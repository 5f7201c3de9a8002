"""``unread.changed`` on the real-time bus: after the counters change (a message
counted, a read cursor that zeroed them), each person whose counters in a channel
changed hears them on ``user.<id>``, once, after the commit; a replayed event or a
reset that changes nothing announces nothing."""
from __future__ import annotations

import pytest

from services.common.testing import Bus
from services.users.tests.test_counters import created


def announced(bus):
    return [(key, event["data"]) for key, event in bus.published
            if event["type"] == "unread.changed"]


def test_a_counted_message_announces_each_other_members_counters(users, bus):
    users.on_message_created(created(1, sender="ada"))
    assert sorted(announced(bus)) == [
        ("user.bob", {"channel_id": "general", "unread": 1, "mentions": 0}),
        ("user.cy", {"channel_id": "general", "unread": 1, "mentions": 0})]


def test_the_counters_announced_are_those_after_the_change(users, bus):
    users.on_message_created(created(1))
    users.on_message_created(created(2, mentions=["bob"]))
    assert announced(bus)[-2:] == [
        ("user.bob", {"channel_id": "general", "unread": 2, "mentions": 1}),
        ("user.cy", {"channel_id": "general", "unread": 2, "mentions": 0})]


def test_each_person_hears_one_event_per_message(users, bus):
    users.on_message_created(created(1, mentions=["bob", "channel", "here"]))
    keys = [key for key, _ in announced(bus)]
    assert sorted(keys) == ["user.bob", "user.cy"]


def test_a_replayed_event_announces_nothing(users, bus):
    event = created(1)
    users.on_message_created(event)
    bus.clear()
    assert users.on_message_created(event)["counted"] is False
    assert bus.published == []


def test_a_member_who_had_read_past_the_message_hears_nothing(users, bus):
    users.reset_unread("bob", "general", 5)
    bus.clear()
    users.on_message_created(created(4))
    assert [key for key, _ in announced(bus)] == ["user.cy"]


def test_reading_announces_zeroed_counters_to_the_reader_only(users, bus):
    users.on_message_created(created(1, mentions=["bob"]))
    bus.clear()
    users.reset_unread("bob", "general", 1)
    assert announced(bus) == [
        ("user.bob", {"channel_id": "general", "unread": 0, "mentions": 0})]


@pytest.mark.parametrize("seq", [1, 2])
def test_a_reset_that_changes_no_counter_announces_nothing(users, bus, seq):
    users.on_message_created(created(1))
    users.reset_unread("bob", "general", 1)
    bus.clear()
    users.reset_unread("bob", "general", seq)   # repeated, or moving past nothing new
    assert bus.published == []


def test_a_reset_of_someone_without_counters_announces_nothing(users, bus):
    users.reset_unread("dee", "general", 4)
    assert bus.published == []


def test_publishing_happens_after_the_commit(users, session):
    """The bus is told only once the counters are committed: no open transaction
    holds them when the event goes out."""
    seen = []

    class CheckingBus(Bus):
        def __call__(self, routing_key, event):
            seen.append(session.in_transaction())
            super().__call__(routing_key, event)

    users.realtime = CheckingBus()
    users.on_message_created(created(1))
    users.reset_unread("bob", "general", 1)
    assert seen == [False, False, False]


def test_a_failed_commit_announces_nothing(users, bus, session, monkeypatch):
    def fail():
        raise RuntimeError("database went away")

    monkeypatch.setattr(session, "commit", fail)
    with pytest.raises(RuntimeError):
        users.on_message_created(created(1))
    assert bus.published == []


def test_a_batch_of_messages_announces_each_persons_final_counters_once(users, bus):
    users.apply_events("message.created", [created(1), created(2, mentions=["bob"]),
                                           created(3)])
    assert sorted(announced(bus)) == [
        ("user.bob", {"channel_id": "general", "unread": 3, "mentions": 1}),
        ("user.cy", {"channel_id": "general", "unread": 3, "mentions": 0})]


def test_a_batch_announces_the_counters_as_they_are_when_it_ends(users, bus, monkeypatch):
    """Someone who read the channel while the batch ran hears their zeroed counters,
    not the batch's stale ones."""
    count = users.on_message_created

    def count_then_bob_reads(event):
        answer = count(event)
        users.reset_unread("bob", "general", 2)   # bob reads (another call, meanwhile)
        return answer
    monkeypatch.setattr(users, "on_message_created", count_then_bob_reads)
    users.apply_events("message.created", [created(1), created(2)])
    assert ("user.bob", {"channel_id": "general", "unread": 0, "mentions": 0}) \
        == [a for a in announced(bus) if a[0] == "user.bob"][-1]
    assert ("user.cy", {"channel_id": "general", "unread": 2, "mentions": 0}) in announced(bus)


def test_a_batch_that_fails_part_way_counts_and_announces_nothing_until_sent_again(
        users, bus, channels, monkeypatch):
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
    assert (bus.published, unread(users, "bob")) == ([], 0)

    users.apply_events("message.created", batch)
    assert (unread(users, "bob"), unread(users, "bob", "random")) == (1, 1)
    assert ("user.bob", {"channel_id": "general", "unread": 1, "mentions": 0}) \
        in announced(bus)
