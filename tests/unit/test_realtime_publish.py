"""``publish.many``: a worker's many real-time events go out in as few bus messages as
their keys allow, each confirmed (services/common/dependencies.py, ``RealtimePublish``;
the bundle's shape: services/common/events.py ``bundle_messages``)."""
from __future__ import annotations

import pytest

from services.common.dependencies import RealtimePublish
from services.common.events import BUNDLE, BUNDLE_MAX_KEYS, PresenceChanged, UnreadChanged


class Worker:
    data = {"request_id": "req-1"}


class Publisher:
    """Stands in for nameko's Publisher: records each publish, or fails on a key."""

    def __init__(self, fail_on=None):
        self.published, self.fail_on = [], fail_on

    def publish(self, payload, routing_key, **properties):
        if routing_key == self.fail_on:
            raise ConnectionRefusedError("broker gone")
        self.published.append((routing_key, payload, properties))


def unread(n):
    return [(f"user.u{i}", UnreadChanged(data={"channel_id": "c1", "unread": i, "mentions": 0,
                                               "read_seq": 0, "counted_seq": 0}))
            for i in range(n)]


def test_many_events_travel_in_one_bundle_each_with_its_key_and_the_request_id():
    publisher = Publisher()
    RealtimePublish(publisher, Worker()).many(unread(20))
    [(routing_key, body, properties)] = publisher.published
    assert properties == {"headers": {"CC": [f"user.u{i}" for i in range(1, 20)]},
                          "type": BUNDLE}
    assert routing_key == "user.u0"
    assert [(item["keys"], item["event"]["data"]["unread"]) for item in body] \
        == [([f"user.u{i}"], i) for i in range(20)]
    assert {item["event"]["request_id"] for item in body} == {"req-1"}


def test_one_event_for_many_keys_travels_once_with_all_of_them():
    publisher = Publisher()
    event = PresenceChanged(data={"user_id": "u1", "status": "online", "last_seen_at": None})
    RealtimePublish(publisher, Worker()).many((key, event) for key in
                                              ("user.u1", "channel.c1", "channel.c2"))
    [(_, body, _)] = publisher.published
    assert [item["keys"] for item in body] == [["user.u1", "channel.c1", "channel.c2"]]


def test_one_event_for_one_key_is_a_plain_message_as_a_single_publish_is():
    publisher = Publisher()
    publish = RealtimePublish(publisher, Worker())
    publish.many(unread(1))
    publish(*unread(1)[0])
    assert [(key, payload["data"]["unread"], properties)
            for key, payload, properties in publisher.published] == [("user.u0", 0, {})] * 2


def test_more_keys_than_a_message_holds_take_more_messages():
    publisher = Publisher()
    RealtimePublish(publisher, Worker()).many(unread(BUNDLE_MAX_KEYS + 1))
    assert [len(body) for _, body, _ in publisher.published] == [BUNDLE_MAX_KEYS, 1]


def test_a_failed_publish_raises_as_a_single_publish_would():
    with pytest.raises(ConnectionRefusedError):
        RealtimePublish(Publisher(fail_on="user.u0"), Worker()).many(unread(10))


def test_nothing_to_publish_publishes_nothing():
    publisher = Publisher()
    RealtimePublish(publisher, Worker()).many([])
    assert publisher.published == []
