"""Who may post where, remembered (services/messaging/posting_rights.py): one
question to channels per channel for everyone who may post there, one per person
who joined since, forgotten when channels says a right was taken, and after
``messaging.posting_rights_seconds`` in any case."""
from __future__ import annotations

import pytest

from services.common.errors import Forbidden
from services.messaging.posting_rights import PostingRightsCache


def asked(channels, channel_id="general", user_id="ada") -> int:
    """How often channels was asked about this person in this channel."""
    return channels.asked.count((channel_id, user_id))


def asked_posters(channels, channel_id="general") -> int:
    return channels.asked.count((channel_id, "*"))


def test_everyone_posting_in_a_channel_costs_one_question_to_channels(messaging, channels):
    sent = messaging.send("ada", "general", "c-1", "hello")
    messaging.react("bob", "general", sent["id"], "wave")
    messaging.edit("ada", "general", sent["id"], "hello again")
    messaging.send("bob", "general", "c-2", "and more")
    assert (asked_posters(channels), asked(channels), asked(channels, user_id="bob")) == (
        1, 0, 0)


def test_each_channel_is_asked_for_on_its_own(messaging, channels):
    messaging.send("ada", "general", "c-1", "hello")
    messaging.send("ada", "random", "c-2", "hello")
    messaging.send("ada", "random", "c-3", "again")
    assert (asked_posters(channels), asked_posters(channels, "random")) == (1, 1)


def test_someone_removed_is_refused_at_once_when_channels_tells(messaging, channels):
    messaging.send("bob", "general", "c-1", "hello")
    channels.remove("general", "bob")
    with pytest.raises(Forbidden):
        messaging.send("bob", "general", "c-2", "still here?")
    messaging.send("ada", "general", "c-3", "ada was not forgotten")
    assert (asked_posters(channels), asked(channels)) == (1, 0)


def test_an_archived_channel_refuses_everyone_once_channels_tells(messaging, channels):
    messaging.send("ada", "general", "c-1", "hello")
    messaging.send("bob", "general", "c-2", "hello")
    messaging.send("ada", "random", "c-3", "elsewhere")
    channels.archive("general")
    for person in ("ada", "bob"):
        with pytest.raises(Forbidden):
            messaging.send(person, "general", f"late-{person}", "closed?")
    messaging.send("ada", "random", "c-4", "still open")
    assert asked_posters(channels, "random") == 1


def test_after_a_reconnection_every_channel_is_asked_about_again(messaging, channels):
    """Notices dispatched while an instance's connection was down never reached it:
    when the connection is back it is handed ``{"channel_id": None}`` and forgets
    every channel (services/common/channel_memory.py, ChannelNotices)."""
    messaging.send("bob", "general", "c-1", "hello")
    messaging.send("ada", "random", "c-2", "hello")
    channels.memberships.discard(("general", "bob"))     # removed while the notice was lost
    messaging.send("bob", "general", "c-3", "still remembered as a poster")
    messaging.forget_posting_rights({"channel_id": None})
    with pytest.raises(Forbidden):
        messaging.send("bob", "general", "c-4", "asked again: refused")
    messaging.send("ada", "random", "c-5", "asked again: still a member")
    assert (asked_posters(channels), asked_posters(channels, "random")) == (2, 2)


def test_someone_who_joins_posts_at_once_and_is_then_remembered_too(messaging, channels):
    messaging.send("ada", "random", "c-1", "hello")
    with pytest.raises(Forbidden):
        messaging.send("bob", "random", "c-2", "may I?")
    channels.add("random", "bob")   # joining tells messaging nothing
    before = asked(channels, "random", "bob")
    assert messaging.send("bob", "random", "c-2", "now I may")["seq"] == 2
    messaging.send("bob", "random", "c-3", "and again")
    assert (asked_posters(channels, "random"), asked(channels, "random", "bob") - before) == (
        1, 1)


def test_a_channels_posters_are_remembered_for_the_configured_seconds_only():
    now = [100.0]
    cache = PostingRightsCache(seconds=120, clock=lambda: now[0])
    questions = []

    def posters():
        questions.append("posters")
        return ["ada"]
    for elapsed in (0, 119, 2):
        now[0] += elapsed
        assert cache.may_post("general", "ada", posters, lambda: False) is True
    assert questions == ["posters", "posters"]


def test_posters_asked_before_a_notice_and_answered_after_it_are_not_remembered():
    cache = PostingRightsCache(seconds=120)
    questions = []

    def posters_but_removed_meanwhile():
        questions.append("posters")
        if len(questions) == 1:   # channels answered, then committed bob's removal
            cache.forget("general", "bob")
        return ["ada", "bob"]
    for _ in range(2):
        cache.may_post("general", "ada", posters_but_removed_meanwhile, lambda: False)
    assert len(questions) == 2


def test_a_yes_for_a_newcomer_answered_after_a_notice_is_not_remembered():
    cache = PostingRightsCache(seconds=120)
    cache.may_post("general", "ada", lambda: ["ada"], lambda: False)
    questions = []

    def yes_but_channel_archived_meanwhile():
        questions.append("bob")
        if len(questions) == 1:
            cache.forget("general", "ada")
        return True
    for _ in range(2):
        cache.may_post("general", "bob", lambda: ["ada"], yes_but_channel_archived_meanwhile)
    assert len(questions) == 2


def test_with_zero_seconds_every_post_asks_about_the_person_alone():
    cache = PostingRightsCache(seconds=0)
    questions = []
    for _ in range(3):
        cache.may_post("general", "ada", lambda: pytest.fail("no sets without memory"),
                       lambda: questions.append(1) or True)
    assert len(questions) == 3
