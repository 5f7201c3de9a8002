"""services/presence/service.py: who is online, from sessions with a time-to-live."""
from __future__ import annotations

from prometheus_client import REGISTRY

from services.presence.service import SESSION_TTL


def test_someone_with_a_connected_session_is_online(presence):
    assert presence.connect("ada", "s1") == "online"
    assert presence.get(["ada"]) == {"ada": "online"}


def test_someone_never_seen_is_offline(presence):
    assert presence.get(["nobody"]) == {"nobody": "offline"}


def test_presence_is_answered_for_every_user_asked_about(presence):
    presence.connect("ada", "s1")
    assert presence.get(["ada", "bob"]) == {"ada": "online", "bob": "offline"}
    assert presence.get([]) == {}


def test_closing_the_last_session_takes_someone_offline(presence):
    presence.connect("ada", "s1")
    assert presence.disconnect("ada", "s1") == "offline"
    assert presence.get(["ada"]) == {"ada": "offline"}


def test_someone_stays_online_while_any_of_their_sessions_is_open(presence):
    presence.connect("ada", "laptop")
    presence.connect("ada", "phone")
    assert presence.disconnect("ada", "laptop") == "online"


def test_connecting_twice_is_the_same_as_once(presence):
    presence.connect("ada", "s1")
    presence.connect("ada", "s1")
    assert presence.disconnect("ada", "s1") == "offline"


def test_disconnecting_an_unknown_session_is_harmless(presence):
    presence.connect("ada", "s1")
    assert presence.disconnect("ada", "never-connected") == "online"


def test_a_session_whose_gateway_died_expires_after_the_ttl(presence, clock):
    presence.connect("ada", "s1")
    clock.advance(SESSION_TTL - 1)
    assert presence.get(["ada"]) == {"ada": "online"}
    clock.advance(2)
    assert presence.get(["ada"]) == {"ada": "offline"}


def test_a_heartbeat_keeps_a_session_alive_beyond_the_ttl(presence, clock):
    presence.connect("ada", "s1")
    for _ in range(5):
        clock.advance(SESSION_TTL * 0.8)
        presence.connect("ada", "s1")  # the gateway's refresh
    assert presence.get(["ada"]) == {"ada": "online"}


def test_one_expired_session_does_not_hide_a_live_one(presence, clock):
    presence.connect("ada", "dead-tab")
    clock.advance(SESSION_TTL * 0.8)
    presence.connect("ada", "live-tab")
    clock.advance(SESSION_TTL * 0.5)  # dead-tab has expired, live-tab has not
    assert presence.get(["ada"]) == {"ada": "online"}
    assert presence.disconnect("ada", "live-tab") == "offline"  # dead-tab did not count


def test_each_call_is_counted_by_the_services_instrumentation(presence):
    def handled() -> float:
        return REGISTRY.get_sample_value("parley_rpc_calls_total", {
            "service": "presence", "method": "get", "outcome": "ok"}) or 0.0
    before = handled()
    presence.get(["ada"])
    presence.get(["bob"])
    assert handled() == before + 2
