"""services/messaging/service.py ``send``: validation, membership, sequence numbers,
idempotent resends and the announcement on the real-time bus."""
from __future__ import annotations

import pytest
from bson import ObjectId

from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.events import MessageCreated, channel_key
from services.messaging import storage
from services.messaging.schemas import MAX_TEXT
from services.messaging.tests.mongo_races import insert_first, stored


def announced(messaging) -> list[tuple[str, MessageCreated]]:
    return [call.args for call in messaging.realtime.call_args_list]


# -- a new message -------------------------------------------------------------
def test_a_member_sends_a_message_that_is_stored_and_returned(messaging, mongo):
    sent = messaging.send("ada", "general", "c-1", "hello")
    assert (sent["channel_id"], sent["sender_id"], sent["client_msg_id"], sent["text"]) == (
        "general", "ada", "c-1", "hello")
    assert sent["duplicate"] is False
    (doc,) = stored(mongo.messages)
    assert doc["id"] == sent["id"]
    assert doc["_id"] == storage.slot("general", 1)


def test_a_new_message_waits_in_the_outbox_with_its_request_id(messaging, mongo):
    sent = messaging.send("ada", "general", "c-1", "hello")
    (doc,) = stored(mongo.messages)
    assert [(e["kind"], e["ref"]) for e in stored(mongo.outbox)] == [("message", sent["id"])]
    assert doc["request_id"] == "req-1"


def test_messages_are_numbered_one_after_another_in_each_channel(messaging):
    seqs = [messaging.send("ada", "general", f"c-{i}", "hi")["seq"] for i in range(3)]
    other = messaging.send("ada", "random", "c-0", "hi")["seq"]
    assert seqs == [1, 2, 3]
    assert other == 1


def test_a_new_message_is_announced_on_its_channel(messaging):
    sent = messaging.send("ada", "general", "c-1", "hello")
    ((routing_key, event),) = announced(messaging)
    assert routing_key == channel_key("general")
    assert isinstance(event, MessageCreated)
    assert event.event_id == sent["id"]
    assert event.data == {k: v for k, v in sent.items() if k != "duplicate"}


def test_a_message_at_the_length_limit_is_accepted(messaging):
    assert len(messaging.send("ada", "general", "c-1", "x" * MAX_TEXT)["text"]) == MAX_TEXT


# -- resends -------------------------------------------------------------------
def test_a_retried_send_returns_the_original_message(messaging, mongo):
    original = messaging.send("ada", "general", "c-1", "hello")
    retried = messaging.send("ada", "general", "c-1", "hello")
    assert retried == {**original, "duplicate": True}
    assert len(stored(mongo.messages)) == 1


def test_a_first_attempt_reserves_its_id_without_looking_up_the_client_id_first(
        messaging, mongo):
    lookups = []
    find_one = mongo.client_ids.find_one
    mongo.client_ids.find_one = lambda *a, **k: lookups.append(a) or find_one(*a, **k)
    messaging.send("ada", "general", "c-1", "hello")
    assert lookups == []
    assert messaging.send("ada", "general", "c-1", "hello")["duplicate"] is True
    assert len(lookups) == 1   # the retry found the id reserved, and its message


def test_a_retry_leaves_only_the_first_attempts_event_in_the_outbox(messaging, mongo):
    original = messaging.send("ada", "general", "c-1", "hello")
    messaging.send("ada", "general", "c-1", "hello")
    assert [(e["kind"], e["ref"]) for e in stored(mongo.outbox)] == [
        ("message", original["id"])]


def test_a_first_attempt_queues_its_event_before_it_stores_the_message(messaging, mongo):
    """So that a crash right after the message is stored still gets it published."""
    writes = []
    for name in ("client_ids", "outbox", "messages"):
        collection = getattr(mongo, name)
        collection.insert_one = _logged(collection.insert_one, name, writes)
    messaging.send("ada", "general", "c-1", "hello")
    assert writes == ["client_ids", "outbox", "messages"]


def _logged(insert_one, name, writes):
    def insert(doc, *args, **kwargs):
        writes.append(name)
        return insert_one(doc, *args, **kwargs)
    return insert


def test_a_retry_with_other_text_still_returns_what_was_stored_first(messaging):
    original = messaging.send("ada", "general", "c-1", "hello")
    retried = messaging.send("ada", "general", "c-1", "edited in the meantime")
    assert retried["text"] == "hello"
    assert retried["id"] == original["id"]


def test_a_retried_send_is_announced_again_as_the_same_event(messaging):
    messaging.send("ada", "general", "c-1", "hello")
    messaging.send("ada", "general", "c-1", "hello")
    (first_key, first), (second_key, second) = announced(messaging)
    assert first_key == second_key
    assert first.event_id == second.event_id
    assert first.data == second.data


def test_the_same_client_id_in_another_channel_is_another_message(messaging):
    first = messaging.send("ada", "general", "c-1", "hello")
    second = messaging.send("ada", "random", "c-1", "hello")
    assert second["duplicate"] is False
    assert second["id"] != first["id"]


# -- refused sends ------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {"text": "x" * (MAX_TEXT + 1)},
    {"text": ""},
    {"text": "  \n\t "},
    {"client_msg_id": ""},
    {"client_msg_id": "c" * 65},
    {"channel_id": ""},
    {"attachments": [f"f{i}" for i in range(11)]},
])
def test_invalid_input_is_refused_before_anything_is_stored_or_asked(
        messaging, mongo, channels, kwargs):
    args = {"channel_id": "general", "client_msg_id": "c-1", "text": "hello", **kwargs}
    with pytest.raises(InvalidInput) as caught:
        messaging.send("ada", **args)
    assert caught.value.code == "invalid_input"
    assert stored(mongo.messages) == []
    assert channels.asked == []
    assert announced(messaging) == []


def test_someone_who_is_not_a_member_cannot_send(messaging, mongo):
    with pytest.raises(Forbidden) as caught:
        messaging.send("bob", "random", "c-1", "hello")
    assert caught.value.code == "forbidden"
    assert stored(mongo.messages) == []
    assert announced(messaging) == []


def test_sending_to_a_private_channel_one_is_not_in_is_not_found(messaging, mongo):
    with pytest.raises(NotFound):
        messaging.send("bob", "secret", "c-1", "hello?")
    assert stored(mongo.messages) == []


def test_nobody_posts_in_an_archived_channel(messaging, channels, mongo):
    channels.archive("general")
    with pytest.raises(Forbidden):
        messaging.send("ada", "general", "c-1", "hello")
    assert stored(mongo.messages) == []


def test_membership_is_checked_before_a_resend_is_answered(messaging, channels):
    messaging.send("ada", "general", "c-1", "hello")
    channels.remove("general", "ada")
    with pytest.raises(Forbidden):
        messaging.send("ada", "general", "c-1", "hello")


# -- races on the unique indexes -------------------------------------------------------
def _rival(doc, **fields) -> dict:
    """What another messaging instance inserts at the same moment as ``doc``."""
    return {**doc, "id": str(ObjectId()), **fields}


def test_a_writer_that_loses_a_sequence_number_takes_the_next_one(messaging, mongo):
    insert_first(mongo.messages, lambda doc: _rival(doc, client_msg_id="someone-else"))
    sent = messaging.send("ada", "general", "c-1", "hello")
    assert sent["seq"] == 2
    assert sent["duplicate"] is False
    assert sorted(d["seq"] for d in stored(mongo.messages)) == [1, 2]


def test_a_writer_behind_the_channels_head_hint_steps_forward_to_the_free_slot(
        messaging, mongo):
    messaging.send("ada", "general", "c-1", "one")
    messaging.send("ada", "general", "c-2", "two")
    mongo.channel_heads.delete_many({})  # the hint lost (or never written)
    assert messaging.send("ada", "general", "c-3", "three")["seq"] == 3
    assert [m["seq"] for m in messaging.history("ada", "general")] == [1, 2, 3]


def test_the_head_hint_moves_with_every_sixteenth_message_only(messaging, mongo):
    every = storage.HEAD_EVERY
    hints = []
    for i in range(1, every * 2 + 2):
        messaging.send("ada", "general", f"c-{i}", "hi")
        hints.append(storage.head(mongo, "general"))
    assert hints == [0] * (every - 1) + [every] * every + [every * 2] * 2
    assert storage.last_seq(mongo, "general") == every * 2 + 1


def test_reading_a_channel_whose_head_hint_is_a_window_behind_moves_the_hint_up(
        messaging, mongo):
    """As after a crash between the sixteenth message and its move of the hint."""
    every = storage.HEAD_EVERY
    for i in range(every * 2 + 3):
        messaging.send("ada", "general", f"c-{i}", "hi")
    mongo.channel_heads.update_one({"_id": "general"}, {"$set": {"seq": 1}})
    assert storage.last_seq(mongo, "general") == every * 2 + 3
    assert storage.head(mongo, "general") == every * 2 + 3


def test_a_writer_finds_the_free_slot_past_the_hint_in_one_lookup(messaging, mongo):
    for i in range(5):
        messaging.send("ada", "general", f"c-{i}", "hi")
    lookups = []
    find = mongo.messages.find
    mongo.messages.find = lambda *a, **k: lookups.append(a) or find(*a, **k)
    assert messaging.send("ada", "general", "c-5", "sixth")["seq"] == 6
    assert len(lookups) == 1


def test_a_writer_next_to_its_own_last_message_reads_no_hint(messaging, mongo):
    """The last seq this process stored in the channel, still taken, stands in for
    the channel's head hint: one read of the slots, none of the hint."""
    messaging.send("ada", "general", "c-0", "hi")
    hint_reads = []
    find_one = mongo.channel_heads.find_one
    mongo.channel_heads.find_one = lambda *a, **k: hint_reads.append(a) or find_one(*a, **k)
    assert [messaging.send("ada", "general", f"c-{i}", "hi")["seq"] for i in (1, 2)] == [2, 3]
    assert hint_reads == []


def test_a_remembered_seq_whose_slot_is_free_is_not_believed(messaging, mongo):
    """Another database, or the channel's messages removed: the process's memory of
    seq 40 would leave a gap; its slot is read with the others and found free."""
    storage._stored["general"] = 40
    assert messaging.send("ada", "general", "c-1", "hello")["seq"] == 1
    assert storage._stored["general"] == 1                   # and the memory heals


def test_what_other_writers_stored_since_is_stepped_over(messaging, mongo):
    """Another instance stored after this one's last message: the slots past it are
    read, taken, and the first free one is claimed."""
    messaging.send("ada", "general", "c-0", "mine")
    for seq in (2, 3):
        mongo.messages.insert_one({**stored(mongo.messages)[0], "_id": storage.slot(
            "general", seq), "id": f"other-{seq}", "seq": seq})
    assert messaging.send("ada", "general", "c-1", "mine again")["seq"] == 4


def test_a_send_racing_its_own_retry_returns_the_message_that_won(messaging, mongo):
    # the retry holds the same reserved message id and took the slot first
    insert_first(mongo.messages, lambda doc: {**doc, "text": "the retry got there first"})
    sent = messaging.send("ada", "general", "c-1", "hello")
    assert sent["duplicate"] is True
    assert sent["text"] == "the retry got there first"
    assert len(stored(mongo.messages)) == 1


def test_a_retry_that_lost_the_slot_race_to_itself_finds_the_message_elsewhere(
        messaging, mongo):
    """The other attempt stored the same message one slot later and has not
    indexed it by id yet: the unique message id sends this one looking for it."""
    insert_first(mongo.messages, lambda doc: {**doc, "_id": storage.slot("general", 2),
                                              "seq": 2, "text": "the other attempt"})
    sent = messaging.send("ada", "general", "c-1", "hello")
    assert (sent["seq"], sent["text"], sent["duplicate"]) == (2, "the other attempt", True)
    assert messaging.get("ada", "general", sent["id"])["text"] == "the other attempt"


def test_a_resend_after_a_crash_between_reserving_and_storing_stores_the_message(
        messaging, mongo):
    message_id = storage.reserve(mongo, "general", "c-1")[0]  # then the instance died
    sent = messaging.send("ada", "general", "c-1", "hello")
    assert (sent["id"], sent["duplicate"]) == (message_id, False)
    assert len(stored(mongo.messages)) == 1
    assert [e["ref"] for e in stored(mongo.outbox)] == [message_id]   # queued once, for it


def test_storage_gives_up_after_too_many_lost_sequence_numbers(mongo):
    insert_first(mongo.messages, lambda doc: _rival(doc, client_msg_id=f"x-{doc['seq']}"),
                 times=None)
    with pytest.raises(RuntimeError, match="could not claim a sequence number"):
        storage.insert_message(mongo, str(ObjectId()), "general", "ada", "c-1", "hello", [])
    assert len(stored(mongo.messages)) == storage.MAX_SEQ_ATTEMPTS
