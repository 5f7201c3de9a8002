"""Who may post where, remembered (services/messaging/posting_rights.py): one
question to channels per person and channel, forgotten when channels says a right
was taken, and after ``messaging.posting_rights_seconds`` in any case."""
from __future__ import annotations

import pytest

from services.common.errors import Forbidden
from services.messaging.posting_rights import PostingRightsCache


def asked(channels, channel_id="general", user_id="ada") -> int:
    return channels.asked.count((channel_id, user_id))


def test_a_person_posting_again_in_a_channel_asks_channels_once(messaging, channels):
    sent = messaging.send("ada", "general", "c-1", "hello")
    messaging.react("ada", "general", sent["id"], "wave")
    messaging.edit("ada", "general", sent["id"], "hello again")
    messaging.send("ada", "general", "c-2", "and more")
    assert asked(channels) == 1


def test_each_person_and_channel_is_asked_for_on_its_own(messaging, channels):
    messaging.send("ada", "general", "c-1", "hello")
    messaging.send("bob", "general", "c-2", "hello")
    messaging.send("ada", "random", "c-3", "hello")
    assert (asked(channels), asked(channels, user_id="bob"), asked(channels, "random")) == (
        1, 1, 1)


def test_someone_removed_is_refused_at_once_when_channels_tells(messaging, channels):
    messaging.send("bob", "general", "c-1", "hello")
    channels.remove("general", "bob")
    with pytest.raises(Forbidden):
        messaging.send("bob", "general", "c-2", "still here?")
    messaging.send("ada", "general", "c-3", "ada was not forgotten")
    assert asked(channels) == 1


def test_an_archived_channel_refuses_everyone_once_channels_tells(messaging, channels):
    messaging.send("ada", "general", "c-1", "hello")
    messaging.send("bob", "general", "c-2", "hello")
    messaging.send("ada", "random", "c-3", "elsewhere")
    channels.archive("general")
    for person in ("ada", "bob"):
        with pytest.raises(Forbidden):
            messaging.send(person, "general", f"late-{person}", "closed?")
    messaging.send("ada", "random", "c-4", "still open")
    assert asked(channels, "random") == 1


def test_a_refusal_is_not_remembered_so_someone_who_joins_posts_at_once(messaging, channels):
    with pytest.raises(Forbidden):
        messaging.send("bob", "random", "c-1", "may I?")
    channels.add("random", "bob")   # joining tells messaging nothing
    assert messaging.send("bob", "random", "c-1", "now I may")["seq"] == 1


def test_a_yes_is_remembered_for_the_configured_seconds_only():
    now = [100.0]
    cache = PostingRightsCache(seconds=120, clock=lambda: now[0])
    answers = []

    def ask():
        answers.append(True)
        return True
    cache.may_post("general", "ada", ask)
    now[0] += 119
    cache.may_post("general", "ada", ask)
    now[0] += 2
    cache.may_post("general", "ada", ask)
    assert len(answers) == 2


def test_a_yes_asked_before_a_notice_and_answered_after_it_is_not_remembered():
    cache = PostingRightsCache(seconds=120)
    questions = []

    def yes_but_removed_meanwhile():
        questions.append("asked")
        if len(questions) == 1:   # channels answered, then committed the removal
            cache.forget("general", "ada")
        return True
    cache.may_post("general", "ada", yes_but_removed_meanwhile)
    cache.may_post("general", "ada", yes_but_removed_meanwhile)
    assert len(questions) == 2


def test_with_zero_seconds_every_post_asks():
    cache = PostingRightsCache(seconds=0)
    questions = []
    for _ in range(3):
        cache.may_post("general", "ada", lambda: questions.append(1) or True)
    assert len(questions) == 3
