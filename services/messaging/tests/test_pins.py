"""A channel's pinned messages: the pin index (``pin_index`` slots and ``pins``
marks, read and written only by ``_id``), kept right by pin, unpin and delete,
idempotent, safe against crashes and races, and shown only to who may read the
channel."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.common.errors import Conflict, InvalidInput, NotFound
from services.messaging import storage

from .mongo_races import insert_first, stored


@pytest.fixture
def sent(messaging):
    """``sent(n)``: n messages from Ada in #general, oldest first."""
    def send(n, channel="general"):
        return [messaging.send("ada", channel, f"{channel}-{i}", f"message {i}")
                for i in range(1, n + 1)]
    return send


def texts(messages):
    return [m["text"] for m in messages]


def test_the_list_is_the_pinned_messages_newest_pin_first(messaging, sent):
    first, second, third = sent(3)
    assert messaging.pins("ada", "general") == []
    messaging.pin("bob", "general", second["id"])
    messaging.pin("ada", "general", first["id"])
    messaging.pin("bob", "general", third["id"])
    pins = messaging.pins("bob", "general")
    assert texts(pins) == ["message 3", "message 1", "message 2"]
    assert all(p["pinned"] for p in pins)
    assert pins[0] == messaging.get("ada", "general", third["id"])  # the message as it is


def test_pins_within_one_tick_of_the_clock_keep_the_order_they_were_made_in(
        messaging, sent, monkeypatch):
    """Times are kept to the millisecond; pins made within one still list the later
    pin first (this test failed now and then when the pins above were that quick)."""
    first, second, third = sent(3)
    monkeypatch.setattr(storage, "_now", lambda: datetime(2026, 11, 24, tzinfo=timezone.utc))
    for message in (second, first, third):
        messaging.pin("bob", "general", message["id"])
    assert texts(messaging.pins("bob", "general")) == ["message 3", "message 1", "message 2"]


def test_an_unpinned_message_leaves_the_list_and_a_repin_brings_it_back_on_top(
        messaging, sent, mongo):
    first, second = sent(2)
    messaging.pin("ada", "general", first["id"])
    messaging.pin("ada", "general", second["id"])
    messaging.pin("ada", "general", first["id"], pinned=False)
    assert texts(messaging.pins("ada", "general")) == ["message 2"]
    messaging.pin("bob", "general", first["id"])
    assert texts(messaging.pins("ada", "general")) == ["message 1", "message 2"]
    # toggling gave the message no second slot
    assert [e["message_id"] for e in stored(mongo.pin_index)] == [first["id"], second["id"]]


def test_pinning_again_changes_nothing(messaging, sent, mongo):
    (msg,) = sent(1)
    once = messaging.pin("ada", "general", msg["id"])
    assert messaging.pin("bob", "general", msg["id"]) == once
    assert messaging.pins("ada", "general") == [once]
    assert len(stored(mongo.pin_index)) == len(stored(mongo.pins)) == 1


def test_a_deleted_message_loses_its_pin(messaging, sent):
    keep, gone = sent(2)
    messaging.pin("ada", "general", keep["id"])
    messaging.pin("ada", "general", gone["id"])
    messaging.delete("ada", "general", gone["id"])
    assert texts(messaging.pins("bob", "general")) == ["message 1"]
    with pytest.raises(Conflict):
        messaging.pin("ada", "general", gone["id"])


def test_pinning_a_deleted_or_unknown_message_writes_nothing_to_the_index(messaging, sent,
                                                                          mongo):
    (msg,) = sent(1)
    messaging.delete("ada", "general", msg["id"])
    with pytest.raises(Conflict):
        messaging.pin("ada", "general", msg["id"])
    with pytest.raises(NotFound):
        messaging.pin("ada", "general", "0" * 24)
    assert stored(mongo.pin_index) == stored(mongo.pins) == []


def test_each_channel_lists_its_own_pins(messaging, sent):
    (here,) = sent(1)
    (there,) = sent(1, "random")
    messaging.pin("ada", "general", here["id"])
    messaging.pin("ada", "random", there["id"])
    assert texts(messaging.pins("ada", "general")) == ["message 1"]
    assert [p["channel_id"] for p in messaging.pins("ada", "random")] == ["random"]


def test_a_pinned_thread_reply_is_listed(messaging, sent):
    (parent,) = sent(1)
    reply = messaging.send("bob", "general", "r-1", "in the thread",
                           thread_parent_id=parent["id"])
    messaging.pin("ada", "general", reply["id"])
    (pin,) = messaging.pins("ada", "general")
    assert (pin["id"], pin["thread_parent_id"]) == (reply["id"], parent["id"])


def test_only_who_may_read_the_channel_sees_its_pins(messaging, channels, sent):
    (msg,) = sent(1, "secret")
    messaging.pin("ada", "secret", msg["id"])
    with pytest.raises(NotFound):
        messaging.pins("bob", "secret")          # private, not a member
    with pytest.raises(NotFound):
        messaging.pins("ada", "no-such-channel")
    assert channels.asked[-1] == ("no-such-channel", "ada")
    with pytest.raises(InvalidInput):
        messaging.pins("ada", "")


def test_a_crash_between_the_index_and_the_pin_leaves_an_unpinned_candidate(
        messaging, sent, mongo, monkeypatch):
    (msg,) = sent(1)
    monkeypatch.setattr(storage, "claim_change", lambda *a: (_ for _ in ()).throw(
        ConnectionError("died before the pin's change")))
    with pytest.raises(ConnectionError):
        messaging.pin("ada", "general", msg["id"])
    monkeypatch.undo()
    assert messaging.pins("ada", "general") == []          # indexed, not pinned
    messaging.pin("ada", "general", msg["id"])             # the retry
    assert texts(messaging.pins("ada", "general")) == ["message 1"]
    assert len(stored(mongo.pin_index)) == 1


def test_a_crash_between_the_slot_and_the_mark_costs_a_second_slot_not_a_double(
        messaging, sent, mongo, monkeypatch):
    (msg,) = sent(1)
    monkeypatch.setattr(mongo.pins, "insert_one", lambda *a, **k: (_ for _ in ()).throw(
        ConnectionError("died after the slot")))
    with pytest.raises(ConnectionError):
        messaging.pin("ada", "general", msg["id"])
    monkeypatch.undo()
    messaging.pin("ada", "general", msg["id"])
    assert len(stored(mongo.pin_index)) == 2
    assert texts(messaging.pins("ada", "general")) == ["message 1"]


def test_a_slot_taken_by_a_rival_pin_moves_to_the_next_one(messaging, sent, mongo):
    mine, theirs = sent(2)

    def rival(doc):  # another message's first pin claims the same slot just before
        return {**doc, "message_id": theirs["id"]}
    insert_first(mongo.pin_index, rival)
    messaging.pin("ada", "general", mine["id"])
    assert [e["message_id"] for e in stored(mongo.pin_index)] == [theirs["id"], mine["id"]]
    assert texts(messaging.pins("ada", "general")) == ["message 1"]  # theirs: never pinned


def test_the_same_message_pinned_by_two_at_once_takes_one_slot(messaging, sent, mongo):
    (msg,) = sent(1)
    insert_first(mongo.pin_index, lambda doc: doc)  # the rival is the same pin
    messaging.pin("ada", "general", msg["id"])
    assert len(stored(mongo.pin_index)) == 1
    assert texts(messaging.pins("ada", "general")) == ["message 1"]


def test_the_index_is_read_by_id_only(messaging, sent, mongo, monkeypatch):
    """FerretDB pushes down only a key's value (``_id``, or a field indexed on its
    own such as a message's ``id``): every read of the pin collections (and of the
    messages) is exactly that."""
    messages = sent(20)
    for m in messages[::3]:
        messaging.pin("ada", "general", m["id"])
    filters = []
    for name in ("pin_index", "pins", "messages", "message_changes"):
        collection = getattr(mongo, name)
        original = collection.find_one

        def find_one(filter=None, *args, _original=original, **kwargs):
            filters.append(filter)
            return _original(filter, *args, **kwargs)
        monkeypatch.setattr(collection, "find_one", find_one)
    assert len(messaging.pins("bob", "general")) == 7
    assert filters and all(list(f) in (["_id"], ["id"]) and isinstance(f[list(f)[0]], str)
                           for f in filters)


def test_the_admin_job_indexes_pins_made_before_the_index(messaging, sent, mongo):
    first, second, third = sent(3)
    for m in (first, second, third):
        messaging.pin("ada", "general", m["id"])
    messaging.pin("ada", "general", second["id"], pinned=False)
    mongo.pin_index.delete_many({})
    mongo.pins.delete_many({})
    assert messaging.pins("ada", "general") == []
    assert messaging.admin_index_pins() == {"indexed": 2}
    assert texts(messaging.pins("ada", "general")) == ["message 3", "message 1"]
    assert messaging.admin_index_pins() == {"indexed": 2}  # again: nothing new
    assert len(stored(mongo.pin_index)) == 2
