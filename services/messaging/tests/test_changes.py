"""Edit, delete, pin and reactions: permissions, idempotent repeats, the atomic
outbox on the message document, and the announcements."""
from __future__ import annotations

import json

import pytest

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.events import MessageChanged, ReactionChanged, channel_key
from services.messaging import storage


@pytest.fixture
def msg(messaging):
    sent = messaging.send("ada", "general", "c-1", "hello")
    messaging.realtime.reset_mock()
    return sent


def outbox(mongo, message_id):
    """The events of a message's changes, oldest first, and whether any waits
    in the outbox for the relay."""
    changes = list(mongo.message_changes.find({"message_id": message_id}).sort("rev", 1))
    queued = {entry["ref"] for entry in mongo.outbox.find({"kind": "change"})}
    return ([json.loads(c["event"]) for c in changes],
            any(c["_id"] in queued for c in changes))


def announced(messaging):
    return [call.args for call in messaging.realtime.call_args_list]


# -- edit ---------------------------------------------------------------------------
def test_the_author_edits_and_the_change_waits_in_the_outbox(messaging, mongo, msg):
    edited = messaging.edit("ada", "general", msg["id"], "hello <@bob> https://a.io")
    assert edited["text"] == "hello <@bob> https://a.io"
    assert edited["edited_at"] is not None
    assert (edited["mentions"], edited["links"]) == (["bob"], ["https://a.io"])
    (event,), pending = outbox(mongo, msg["id"])
    assert pending is True
    assert (event["type"], event["version"], event["request_id"]) == ("message.updated", 1, "req-1")
    assert event["data"] == edited
    ((key, announced_event),) = announced(messaging)
    assert key == channel_key("general")
    assert isinstance(announced_event, MessageChanged)
    assert announced_event.event_id == event["event_id"]


def test_editing_to_the_same_text_again_changes_nothing(messaging, mongo, msg):
    first = messaging.edit("ada", "general", msg["id"], "hello again")
    assert messaging.edit("ada", "general", msg["id"], "hello again") == first
    assert len(outbox(mongo, msg["id"])[0]) == 1
    assert len(announced(messaging)) == 1


def test_only_the_author_edits(messaging, mongo, msg, users):
    users.roles["bob"] = "admin"
    with pytest.raises(Forbidden):
        messaging.edit("bob", "general", msg["id"], "mine now")
    assert storage.get_message(mongo, msg["id"])["text"] == "hello"


@pytest.mark.parametrize("channel, message_id", [("random", None), ("general", "0" * 24),
                                                 ("general", "nope")])
def test_a_message_in_another_channel_or_unknown_is_not_found(messaging, msg, channel,
                                                              message_id):
    with pytest.raises((NotFound, InvalidInput)):
        messaging.edit("ada", channel, message_id or msg["id"], "x")


def test_an_edit_to_nothing_is_refused(messaging, msg):
    with pytest.raises(InvalidInput):
        messaging.edit("ada", "general", msg["id"], "   ")


# -- delete -------------------------------------------------------------------------
def test_deleting_leaves_a_tombstone_and_a_repeat_changes_nothing(messaging, mongo, msg,
                                                                  stored_file):
    messaging.react("bob", "general", msg["id"], "thumbsup")
    messaging.pin("bob", "general", msg["id"])
    gone = messaging.delete("ada", "general", msg["id"])
    assert (gone["text"], gone["attachments"], gone["reactions"], gone["pinned"]) == (
        "", [], [], False)
    assert gone["deleted_at"] is not None
    assert messaging.delete("ada", "general", msg["id"]) == gone
    events, _ = outbox(mongo, msg["id"])
    assert [e["type"] for e in events] == ["reaction.added", "message.updated",
                                           "message.deleted"]
    assert messaging.history("bob", "general")[0] == gone


def test_admins_delete_others_messages_members_do_not(messaging, msg, users):
    with pytest.raises(Forbidden):
        messaging.delete("bob", "general", msg["id"])
    users.roles["bob"] = "admin"
    assert messaging.delete("bob", "general", msg["id"])["deleted_at"] is not None


def test_an_admin_who_cannot_see_a_private_channel_gets_not_found(messaging, users):
    secret = messaging.send("ada", "secret", "c-1", "psst")
    users.roles["bob"] = "owner"
    with pytest.raises(NotFound):
        messaging.delete("bob", "secret", secret["id"])


def test_a_deleted_message_cannot_be_edited_pinned_or_reacted_to(messaging, msg):
    messaging.delete("ada", "general", msg["id"])
    for call in (lambda: messaging.edit("ada", "general", msg["id"], "back"),
                 lambda: messaging.pin("ada", "general", msg["id"]),
                 lambda: messaging.react("ada", "general", msg["id"], "tada")):
        with pytest.raises(Conflict):
            call()


# -- pin ----------------------------------------------------------------------------
def test_members_pin_and_unpin_idempotently(messaging, mongo, msg):
    pinned = messaging.pin("bob", "general", msg["id"])
    assert (pinned["pinned"], pinned["pinned_by"]) == (True, "bob")
    assert messaging.pin("ada", "general", msg["id"]) == pinned
    unpinned = messaging.pin("bob", "general", msg["id"], pinned=False)
    assert (unpinned["pinned"], unpinned["pinned_by"], unpinned["pinned_at"]) == (
        False, None, None)
    assert messaging.pin("bob", "general", msg["id"], pinned=False) == unpinned
    assert [e["type"] for e in outbox(mongo, msg["id"])[0]] == ["message.updated"] * 2


def test_non_members_do_not_pin(messaging, channels):
    lone = messaging.send("ada", "random", "c-1", "hi")
    with pytest.raises(Forbidden):
        messaging.pin("bob", "random", lone["id"])


def test_nothing_changes_in_an_archived_channel(messaging, channels, msg):
    channels.archive("general")
    with pytest.raises(Forbidden):
        messaging.pin("ada", "general", msg["id"])
    with pytest.raises(Forbidden):
        messaging.delete("ada", "general", msg["id"])


# -- reactions ----------------------------------------------------------------------
def test_reactions_count_once_per_person_per_emoji(messaging, mongo, msg):
    messaging.react("bob", "general", msg["id"], "thumbsup")
    messaging.react("bob", "general", msg["id"], ":thumbsup:")
    messaging.react("ada", "general", msg["id"], "thumbsup")
    latest = messaging.react("ada", "general", msg["id"], "👍🏽")
    assert latest["reactions"] == [
        {"emoji": "thumbsup", "count": 2, "user_ids": ["bob", "ada"]},
        {"emoji": "👍🏽", "count": 1, "user_ids": ["ada"]}]
    assert messaging.get("bob", "general", msg["id"])["reactions"] == latest["reactions"]
    assert len(outbox(mongo, msg["id"])[0]) == 3


def test_removing_a_reaction_and_removing_it_again(messaging, mongo, msg):
    messaging.react("bob", "general", msg["id"], "tada")
    removed = messaging.react("bob", "general", msg["id"], "tada", add=False)
    assert removed["reactions"] == []
    assert messaging.react("bob", "general", msg["id"], "tada", add=False) == removed
    events, _ = outbox(mongo, msg["id"])
    assert [e["type"] for e in events] == ["reaction.added", "reaction.removed"]
    assert events[1]["data"]["user_id"] == "bob"
    assert events[1]["data"]["emoji"] == "tada"
    (_, first), (_, second) = announced(messaging)
    assert isinstance(second, ReactionChanged)


@pytest.mark.parametrize("emoji", ["", "thumbs up", "A" * 70, "Ü", "😀x", "<script>"])
def test_things_that_are_not_emoji_are_refused(messaging, msg, emoji):
    with pytest.raises(InvalidInput):
        messaging.react("bob", "general", msg["id"], emoji)


# -- the outbox for changes -----------------------------------------------------------
def test_a_writer_that_lost_a_race_reads_again_and_keeps_both_changes(messaging, mongo, msg,
                                                                      monkeypatch):
    claim = storage.claim_change
    raced = []

    def rival_first(db, doc, fields, event_json, event_id):
        if not raced:
            raced.append(1)
            assert claim(db, doc, {"reactions": ["tada carl"]}, '{"rival": 1}', "e-1") is not None
        return claim(db, doc, fields, event_json, event_id)

    monkeypatch.setattr(storage, "claim_change", rival_first)
    after = messaging.react("bob", "general", msg["id"], "tada")
    assert after["reactions"] == [{"emoji": "tada", "count": 2, "user_ids": ["carl", "bob"]}]
    assert [c["rev"] for c in mongo.message_changes.find()] == [1, 2]
    # the loser's outbox entry went with its lost claim: one entry per change made
    assert sorted(e["ref"] for e in mongo.outbox.find({"kind": "change"})) == [
        storage.change_key(msg["id"], 1), storage.change_key(msg["id"], 2)]


def test_the_message_document_itself_never_changes(messaging, mongo, msg):
    before = mongo.messages.find_one()
    messaging.edit("ada", "general", msg["id"], "changed")
    messaging.react("bob", "general", msg["id"], "tada")
    assert mongo.messages.find_one() == before
    assert messaging.history("bob", "general")[0]["text"] == "changed"
