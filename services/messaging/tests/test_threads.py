"""Threads: a reply names its parent; the parent counts replies, last reply time
and participants (recounted from the replies, so resends change nothing)."""
from __future__ import annotations

import json

import pytest

from services.common.errors import Conflict, InvalidInput, NotFound
from services.messaging import storage


@pytest.fixture
def parent(messaging):
    return messaging.send("ada", "general", "p-1", "a question")


def reply(messaging, parent, who="bob", cid="r-1", text="an answer", **kwargs):
    return messaging.send(who, "general", cid, text, thread_parent_id=parent["id"], **kwargs)


def test_a_reply_names_its_parent_and_the_parent_counts_it(messaging, parent):
    first = reply(messaging, parent)
    assert first["thread_parent_id"] == parent["id"] and first["also_to_channel"] is False
    reply(messaging, parent, "ada", "r-2")
    reply(messaging, parent, "bob", "r-3")
    now = messaging.get("ada", "general", parent["id"])
    assert now["reply_count"] == 3
    assert now["participants"] == ["bob", "ada"]
    assert now["last_reply_at"] is not None


def test_a_resent_reply_is_counted_once(messaging, mongo, parent):
    reply(messaging, parent)
    reply(messaging, parent)
    assert messaging.get("ada", "general", parent["id"])["reply_count"] == 1
    events = [json.loads(c["event"]) for c in mongo.message_changes.find()]
    assert [e["type"] for e in events] == ["message.updated"]


def test_a_count_missed_by_a_crash_is_healed_by_the_resend(messaging, mongo, parent,
                                                          monkeypatch):
    monkeypatch.setattr(storage, "claim_change", lambda *a: (_ for _ in ()).throw(
        ConnectionError("died after storing the reply")))
    with pytest.raises(ConnectionError):
        reply(messaging, parent)
    monkeypatch.undo()
    assert reply(messaging, parent)["duplicate"] is True
    assert messaging.get("ada", "general", parent["id"])["reply_count"] == 1


def test_thread_history_pages_like_channel_history(messaging, parent):
    for i in range(1, 5):
        reply(messaging, parent, cid=f"r-{i}", text=f"reply {i}")
    messaging.send("ada", "general", "other", "not in the thread")
    page = messaging.thread("bob", "general", parent["id"])
    assert [m["text"] for m in page] == [f"reply {i}" for i in range(1, 5)]
    after = messaging.thread("bob", "general", parent["id"], after=page[1]["seq"], limit=1)
    assert [m["text"] for m in after] == ["reply 3"]


def test_also_send_to_channel_is_recorded_on_the_reply(messaging, parent):
    shown = reply(messaging, parent, also_to_channel=True)
    assert shown["also_to_channel"] is True
    assert messaging.send("ada", "general", "top", "x", also_to_channel=True)[
        "also_to_channel"] is False  # only replies


def test_replies_to_replies_unknown_or_deleted_parents_are_refused(messaging, mongo, parent):
    first = reply(messaging, parent)
    with pytest.raises(InvalidInput):
        messaging.send("ada", "general", "r-x", "nested", thread_parent_id=first["id"])
    with pytest.raises(NotFound):
        messaging.send("ada", "general", "r-y", "?", thread_parent_id="0" * 24)
    elsewhere = messaging.send("ada", "random", "p-2", "elsewhere")
    with pytest.raises(NotFound):
        messaging.send("ada", "general", "r-z", "?", thread_parent_id=elsewhere["id"])
    messaging.delete("ada", "general", parent["id"])
    with pytest.raises(Conflict):
        messaging.send("bob", "general", "r-w", "late", thread_parent_id=parent["id"])
    assert storage.reserved_id(mongo, "general", "r-w") is None  # nothing stored


def test_the_thread_of_a_private_channel_is_not_found_for_non_members(messaging):
    secret = messaging.send("ada", "secret", "p-1", "psst")
    with pytest.raises(NotFound):
        messaging.thread("bob", "secret", secret["id"])
