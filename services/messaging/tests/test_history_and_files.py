"""services/messaging/service.py: reading history (files: test_files.py)."""
from __future__ import annotations

import pytest

from services.common.errors import Forbidden, InvalidInput, NotFound
from services.messaging import storage
from services.messaging.tests.mongo_races import stored


@pytest.fixture
def sent(messaging):
    """Five messages in #general, seq 1..5."""
    return [messaging.send("ada", "general", f"c-{i}", f"message {i}") for i in range(1, 6)]


def seqs(page) -> list[int]:
    return [m["seq"] for m in page]


# -- history --------------------------------------------------------------------
def test_history_is_oldest_first_and_shaped_like_a_sent_message(messaging, sent):
    page = messaging.history("bob", "general")
    assert seqs(page) == [1, 2, 3, 4, 5]
    assert page[0] == {k: v for k, v in sent[0].items() if k != "duplicate"}


def test_history_with_a_limit_is_the_latest_messages(messaging, sent):
    assert seqs(messaging.history("bob", "general", limit=2)) == [4, 5]


def test_history_after_a_seq_is_what_came_next(messaging, sent):
    assert seqs(messaging.history("bob", "general", after=2)) == [3, 4, 5]
    assert seqs(messaging.history("bob", "general", after=2, limit=2)) == [3, 4]
    assert messaging.history("bob", "general", after=5) == []


def test_history_before_a_seq_is_what_came_just_before(messaging, sent):
    assert seqs(messaging.history("bob", "general", before=4, limit=2)) == [2, 3]


def test_history_of_one_channel_has_none_of_anothers(messaging, sent):
    messaging.send("ada", "random", "c-1", "elsewhere")
    assert seqs(messaging.history("ada", "random")) == [1]


def test_anyone_who_may_see_a_public_channel_may_read_its_history(messaging, sent):
    messaging.send("ada", "random", "c-1", "open to all")
    assert seqs(messaging.history("bob", "random")) == [1]


def test_a_private_channels_history_is_not_found_for_non_members(messaging, sent):
    messaging.send("ada", "secret", "c-1", "members only")
    with pytest.raises(NotFound):
        messaging.history("bob", "secret")


def test_history_around_a_seq_is_centred_on_it(messaging, sent):
    assert seqs(messaging.history("bob", "general", around=3, limit=3)) == [2, 3, 4]
    assert seqs(messaging.history("bob", "general", around=1, limit=3)) == [1, 2, 3]


def test_history_newest_first_is_the_same_page_reversed(messaging, sent):
    assert seqs(messaging.history("bob", "general", limit=2, order="newest")) == [5, 4]
    assert seqs(messaging.history("bob", "general", before=3, order="newest")) == [2, 1]


def test_one_message_by_id_for_those_who_see_the_channel(messaging, sent):
    assert messaging.get("bob", "general", sent[1]["id"])["seq"] == 2
    secret = messaging.send("ada", "secret", "c-1", "members only")
    with pytest.raises(NotFound):
        messaging.get("bob", "secret", secret["id"])
    with pytest.raises(NotFound):
        messaging.get("ada", "random", sent[1]["id"])



# -- catching up after a reconnect ------------------------------------------------------
def test_catching_up_gives_each_channel_what_came_after_its_seq(messaging, sent):
    messaging.send("ada", "random", "c-1", "elsewhere")
    caught = messaging.catch_up("ada", {"general": 3, "random": 0, "secret": 0})
    assert {c: seqs(answer["messages"]) for c, answer in caught.items()} == {
        "general": [4, 5], "random": [1], "secret": []}
    assert caught["general"]["messages"] == messaging.history("ada", "general", after=3)


def test_catching_up_pages_by_the_limit(messaging, sent):
    assert seqs(messaging.catch_up("bob", {"general": 0}, limit=2)["general"]["messages"]) \
        == [1, 2]


def test_catching_up_finds_messages_past_a_head_hint_left_behind(messaging, mongo, sent):
    mongo.channel_heads.update_one({"_id": "general"}, {"$set": {"seq": 2}})
    assert seqs(messaging.catch_up("bob", {"general": 1})["general"]["messages"]) == [2, 3, 4, 5]


def test_catching_up_reads_on_past_the_hint_for_every_channel_at_once(messaging, mongo):
    for channel_id in ("general", "random"):
        for n in range(storage.HEAD_EVERY + 3):
            messaging.send("ada", channel_id, f"{channel_id}-{n}", "hi")
    mongo.channel_heads.delete_many({})   # hints far behind (or lost)
    lookups = []
    find = mongo.messages.find
    mongo.messages.find = lambda *a, **k: lookups.append(a) or find(*a, **k)
    caught = messaging.catch_up("ada", {"general": 0, "random": 2}, limit=100)
    assert {c: seqs(answer["messages"]) for c, answer in caught.items()} == {
        "general": list(range(1, storage.HEAD_EVERY + 4)),
        "random": list(range(3, storage.HEAD_EVERY + 4))}
    assert len(lookups) == 3   # one slot each, then two rounds of sixteen more


def test_catching_up_shows_the_latest_of_each_message(messaging, sent):
    messaging.edit("ada", "general", sent[4]["id"], "message 5, edited")
    (last,) = messaging.catch_up("bob", {"general": 4})["general"]["messages"]
    assert last["text"] == "message 5, edited" and last["edited_at"]


def test_catching_up_refuses_only_the_channels_one_is_not_in(messaging, sent):
    messaging.send("ada", "secret", "c-1", "members only")
    caught = messaging.catch_up("bob", {"general": 5, "secret": 0, "random": 0})
    assert caught["general"] == {"messages": []}
    assert caught["secret"]["error"]["code"] == caught["random"]["error"]["code"] == "not_found"


@pytest.mark.parametrize("positions, limit", [
    ({"general": -1}, 50), ({"": 0}, 50), ("general", 50), ({"general": 0}, 0),
    ({"general": 0}, 201), ({f"c{i}": 0 for i in range(1001)}, 50)])
def test_catching_up_refuses_bad_positions(messaging, channels, positions, limit):
    with pytest.raises(InvalidInput):
        messaging.catch_up("ada", positions, limit)

@pytest.mark.parametrize("kwargs", [{"limit": 0}, {"limit": 201}, {"before": 0},
                                    {"after": -1}, {"limit": "many"}, {"around": 0},
                                    {"before": 3, "after": 1}, {"order": "sideways"}])
def test_history_refuses_out_of_range_paging(messaging, channels, kwargs):
    with pytest.raises(InvalidInput):
        messaging.history("ada", "general", **kwargs)
    assert channels.asked == []
