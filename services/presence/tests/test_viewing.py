"""services/presence: which channel each device shows (``viewing``), and who is
looking at a channel right now (``viewers``), for notifications."""
from __future__ import annotations

import pytest

from services.common.errors import InvalidInput
from services.presence.service import SESSION_TTL


def test_someone_whose_active_device_shows_the_channel_is_viewing_it(presence):
    presence.connect("ada", "s1")
    assert presence.viewing("ada", "s1", "general")["stored"] is True
    assert presence.viewers("general", ["ada", "bob"]) == ["ada"]
    assert presence.viewers("random", ["ada"]) == []


def test_an_idle_device_showing_the_channel_is_not_viewing_it(presence):
    presence.connect("ada", "s1")
    presence.viewing("ada", "s1", "general")
    presence.set_state("ada", "s1", "idle")
    assert presence.viewers("general", ["ada"]) == []
    presence.set_state("ada", "s1", "active")  # the heartbeat keeps what it shows
    assert presence.viewers("general", ["ada"]) == ["ada"]


def test_someone_who_set_themselves_away_is_not_viewing(presence):
    presence.connect("ada", "s1")
    presence.viewing("ada", "s1", "general")
    presence.set_manual("ada", "away")
    assert presence.viewers("general", ["ada"]) == []


def test_one_device_of_several_on_the_channel_is_enough(presence):
    presence.connect("ada", "phone")
    presence.connect("ada", "laptop")
    presence.viewing("ada", "laptop", "general")
    presence.viewing("ada", "phone", "random")
    assert presence.viewers("general", ["ada"]) == ["ada"]


def test_leaving_the_channel_view_or_closing_the_session_stops_viewing(presence):
    presence.connect("ada", "s1")
    presence.viewing("ada", "s1", "general")
    presence.viewing("ada", "s1", None)
    assert presence.viewers("general", ["ada"]) == []
    presence.viewing("ada", "s1", "general")
    presence.disconnect("ada", "s1")
    assert presence.viewers("general", ["ada"]) == []


def test_a_lapsed_session_views_nothing(presence, clock):
    presence.connect("ada", "s1")
    presence.viewing("ada", "s1", "general")
    clock.advance(SESSION_TTL + 1)
    assert presence.viewers("general", ["ada"]) == []


def test_viewing_needs_ones_own_live_session(presence):
    assert presence.viewing("ada", "never-connected", "general") == {
        "session_id": "never-connected", "channel_id": None, "stored": False}
    presence.connect("bob", "s2")
    assert presence.viewing("ada", "s2", "general")["stored"] is False
    assert presence.viewers("general", ["ada", "bob"]) == []


def test_bad_viewing_input_is_refused(presence):
    with pytest.raises(InvalidInput):
        presence.viewing("ada", "", "general")
    with pytest.raises(InvalidInput):
        presence.viewers("general", ["u"] * 201)
