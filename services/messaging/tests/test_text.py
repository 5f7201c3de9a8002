"""services/messaging/text.py and send: mentions and links parsed from the text."""
from __future__ import annotations

from services.messaging import text


def test_named_members_then_channel_and_here_are_mentions():
    found = text.mentions("hi <@bob> <@zed> <@bob>, @here and @channel", lambda: ["ada", "bob"])
    assert found == ["bob", "here", "channel"]


def test_members_are_not_asked_for_when_nobody_is_named():
    def members():
        raise AssertionError("asked")
    assert text.mentions("@here look", members) == ["here"]


def test_an_email_address_or_plain_at_word_is_no_mention():
    assert text.mentions("mail me@here.com or @bob", lambda: ["bob"]) == []


def test_links_are_http_urls_without_trailing_punctuation_or_repeats():
    found = text.links("see https://example.com/a?b=1. (http://x.org/y) <https://z.io>, "
                       "ftp://no https://example.com/a?b=1")
    assert found == ["https://example.com/a?b=1", "http://x.org/y", "https://z.io"]


def test_a_sent_message_carries_its_mentions_and_links(messaging, mongo):
    sent = messaging.send("ada", "general", "c-1", "<@bob> <@carl> see https://parley.test/x")
    assert sent["mentions"] == ["bob"]
    assert sent["links"] == ["https://parley.test/x"]
    assert mongo.messages.find_one()["mentions"] == ["bob"]
