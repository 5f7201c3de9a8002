"""services/common/events.py ``bundle_messages``: many real-time events in as few bus
messages as their keys allow, each message's keys once, at most BUNDLE_MAX_KEYS."""
from __future__ import annotations

from services.common.events import BUNDLE_MAX_KEYS, bundle_messages


def test_events_for_a_few_keys_travel_in_one_message_routed_on_its_first_key():
    [(routing_key, cc, body)] = bundle_messages([(["user.a"], {"n": 1}),
                                                 (["user.b", "channel.c"], {"n": 2})])
    assert (routing_key, cc) == ("user.a", ["user.b", "channel.c"])
    assert body == [{"keys": ["user.a"], "event": {"n": 1}},
                    {"keys": ["user.b", "channel.c"], "event": {"n": 2}}]


def test_a_key_shared_by_events_is_named_once_in_the_messages_keys():
    [(routing_key, cc, _)] = bundle_messages([(["user.a"], {"n": 1}), (["user.a"], {"n": 2})])
    assert (routing_key, cc) == ("user.a", [])


def test_more_keys_than_a_message_holds_go_on_in_the_next_message():
    keys = [f"user.u{i}" for i in range(BUNDLE_MAX_KEYS + 5)]
    messages = bundle_messages([(keys, {"n": 1}), (["user.z"], {"n": 2})])
    assert [1 + len(cc) for _, cc, _ in messages] == [BUNDLE_MAX_KEYS, 6]
    assert [k for _, _, body in messages for item in body for k in item["keys"]] \
        == keys + ["user.z"]
    assert messages[1][2][0]["event"] == {"n": 1}   # the event travels with each part


def test_nothing_to_carry_makes_no_message():
    assert bundle_messages([]) == [] and bundle_messages([([], {"n": 1})]) == []
