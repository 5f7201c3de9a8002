"""Each message's latest change, found for a whole page at once
(services/messaging/storage.py: last_claimed_many, latest_changes): changes are
claimed revision 1, 2, 3… with no gaps, and a page of messages looks for the last one
of every message in the same rounds of lookups, however many of them changed."""
from __future__ import annotations

import pytest

from services.messaging import storage


def series(lengths: dict[str, int]):
    """A probe over series of these lengths, and the rounds it was asked."""
    rounds: list[dict] = []

    def probe(asks):
        rounds.append(dict(asks))
        return {key: {"n": n} for key, n in asks.items() if n <= lengths[key]}
    return probe, rounds


@pytest.mark.parametrize("length", [0, 1, 2, 3, 4, 5, 7, 8, 9, 100])
def test_one_series_ends_at_its_last_claimed_number(length):
    probe, _ = series({"m": length})
    n, doc = storage.last_claimed_many(["m"], probe)["m"]
    assert (n, doc) == (length, {"n": length} if length else None)
    assert storage.last_claimed(lambda k: {"n": k} if k <= length else None) == (n, doc)


def test_many_series_are_searched_together_in_the_rounds_of_the_longest():
    lengths = {"never": 0, "once": 1, "thrice": 3, "often": 37}
    probe, rounds = series(lengths)
    found = storage.last_claimed_many(list(lengths), probe)
    assert {key: n for key, (n, _) in found.items()} == lengths
    probe_alone, alone = series({"often": 37})
    storage.last_claimed_many(["often"], probe_alone)
    assert len(rounds) == len(alone)   # the others ride along in the same rounds


def test_a_page_reads_each_messages_latest_change_in_a_few_lookups(messaging, mongo):
    sent = [messaging.send("ada", "general", f"c-{i}", f"hello {i}") for i in range(20)]
    for message in sent[::2]:                       # ten messages, each changed 5 times
        for emoji in ("wave", "tada", "eyes", "fire", "heart"):
            messaging.react("bob", "general", message["id"], emoji)
    lookups = []
    find = mongo.message_changes.find

    def counted(*args, **kwargs):
        lookups.append(args)
        return find(*args, **kwargs)
    mongo.message_changes.find = counted
    page = messaging.history("ada", "general")
    assert [len(m["reactions"]) for m in page] == [5, 0] * 10
    # revisions 1, 2, 4, 8 (missing), then 6 and 5: six rounds for the page, where
    # each changed message made its own six lookups one after another (61 in all)
    assert len(lookups) == 6
