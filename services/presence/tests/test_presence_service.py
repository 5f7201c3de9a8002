"""services/presence/service.py: online, away and offline from sessions with a
time-to-live, announced once per change to the people who share a channel;
typing notices to one channel."""
from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.common.errors import InvalidInput, NotFound
from services.presence.service import OFFLINE_GRACE, SESSION_TTL, SWEEP_EVERY, TYPING_EXPIRES


def status(presence, user_id: str) -> str:
    return presence.get([user_id])[user_id]["status"]


def after_the_grace(presence, clock) -> None:
    """Time passes beyond a closed session's grace, and the sweep runs."""
    clock.advance(OFFLINE_GRACE + SWEEP_EVERY)
    presence.sweep()


def announced(presence) -> list[tuple[str, str, str]]:
    """(routing key, user, status) of each presence.changed published, in order."""
    return [(key, e.data["user_id"], e.data["status"]) for key, e in presence.published
            if e.type == "presence.changed"]


# -- status ------------------------------------------------------------------------
def test_someone_with_a_connected_session_is_online(presence):
    assert presence.connect("ada", "s1") == "online"
    assert status(presence, "ada") == "online"


def test_someone_never_seen_is_offline_and_was_never_seen(presence):
    assert presence.get(["nobody"]) == {"nobody": {"status": "offline", "last_seen_at": None}}


def test_presence_is_answered_for_every_user_asked_about(presence):
    presence.connect("ada", "s1")
    assert {u: p["status"] for u, p in presence.get(["ada", "bob"]).items()} == {
        "ada": "online", "bob": "offline"}
    assert presence.get([]) == {}


def test_closing_the_last_session_takes_someone_offline_after_a_grace_and_keeps_when_last_seen(
        presence, clock):
    presence.connect("ada", "s1")
    clock.advance(30)
    assert presence.disconnect("ada", "s1") == "online"  # for OFFLINE_GRACE seconds
    clock.advance(OFFLINE_GRACE - 1)
    assert status(presence, "ada") == "online"
    after_the_grace(presence, clock)
    seen = presence.get(["ada"])["ada"]
    assert seen["status"] == "offline"
    assert seen["last_seen_at"] is not None
    assert ("user.ada", "ada", "offline") in announced(presence)


def test_someone_who_reconnects_within_the_grace_is_never_announced_offline(presence, clock):
    presence.connect("ada", "s1")
    presence.published.clear()
    presence.disconnect("ada", "s1")
    clock.advance(OFFLINE_GRACE / 2)
    assert presence.connect("ada", "s2") == "online"  # a new socket, a new session
    after_the_grace(presence, clock)
    assert status(presence, "ada") == "online"
    assert presence.published == []


def test_a_closed_session_in_its_grace_does_not_keep_an_idle_device_online(presence):
    presence.connect("ada", "laptop")
    presence.connect("ada", "phone")
    presence.disconnect("ada", "laptop")
    assert presence.set_state("ada", "phone", "idle") == "away"


def test_while_only_closed_sessions_are_left_the_status_stays_as_announced(presence):
    presence.connect("ada", "laptop")
    presence.connect("ada", "phone", "idle")
    presence.disconnect("ada", "laptop")
    assert status(presence, "ada") == "away"        # the phone decides
    presence.published.clear()
    assert presence.disconnect("ada", "phone") == "away"  # the laptop's grace changes nothing
    assert presence.published == []
    assert presence.set_manual("ada", "away") == "away"


def test_someone_stays_online_while_any_of_their_sessions_is_open(presence):
    presence.connect("ada", "laptop")
    presence.connect("ada", "phone")
    assert presence.disconnect("ada", "laptop") == "online"


def test_connecting_twice_is_the_same_as_once(presence, clock):
    presence.connect("ada", "s1")
    presence.connect("ada", "s1")
    presence.disconnect("ada", "s1")
    after_the_grace(presence, clock)
    assert status(presence, "ada") == "offline"


def test_disconnecting_an_unknown_session_is_harmless(presence):
    presence.connect("ada", "s1")
    assert presence.disconnect("ada", "never-connected") == "online"


def test_every_device_idle_is_away_and_one_active_device_is_online(presence):
    presence.connect("ada", "laptop")
    presence.connect("ada", "phone", "idle")
    assert status(presence, "ada") == "online"
    assert presence.set_state("ada", "laptop", "idle") == "away"
    assert presence.set_state("ada", "phone", "active") == "online"


def test_someone_who_set_themselves_away_is_away_while_connected(presence, clock):
    presence.connect("ada", "s1")
    assert presence.set_manual("ada", "away") == "away"
    assert presence.connect("ada", "s1") == "away"  # heartbeats do not undo it
    assert presence.set_manual("ada", "auto") == "online"
    presence.set_manual("ada", "away")
    presence.disconnect("ada", "s1")
    after_the_grace(presence, clock)
    assert status(presence, "ada") == "offline"  # away is not offline


@pytest.mark.parametrize("call", [
    lambda p: p.connect("ada", "s1", "asleep"),
    lambda p: p.connect("", "s1"),
    lambda p: p.set_manual("ada", "invisible"),
    lambda p: p.get(["x"] * 201),
])
def test_bad_input_is_refused_and_changes_nothing(presence, call):
    with pytest.raises(InvalidInput):
        call(presence)
    assert presence.published == []
    assert status(presence, "ada") == "offline"


# -- expiry ----------------------------------------------------------------------------
def test_a_session_whose_gateway_died_expires_after_the_ttl(presence, clock):
    presence.connect("ada", "s1")
    clock.advance(SESSION_TTL - 1)
    assert status(presence, "ada") == "online"
    clock.advance(2)
    assert status(presence, "ada") == "offline"


def test_a_heartbeat_keeps_a_session_alive_beyond_the_ttl(presence, clock):
    presence.connect("ada", "s1")
    for _ in range(5):
        clock.advance(SESSION_TTL * 0.8)
        presence.connect("ada", "s1")  # the gateway's refresh
    assert status(presence, "ada") == "online"


def test_a_gateways_heartbeat_renews_all_its_sessions_in_one_call(presence, clock):
    presence.connect("ada", "s1")
    presence.connect("bob", "s2")
    presence.connect("bob", "s3")
    for _ in range(5):
        clock.advance(SESSION_TTL * 0.8)
        assert presence.renew([{"user_id": "ada", "session_id": "s1", "state": "active"},
                               {"user_id": "bob", "session_id": "s2", "state": "idle"},
                               {"user_id": "bob", "session_id": "s3", "state": "idle"}]) \
            == {"ada": "online", "bob": "away"}
    assert (status(presence, "ada"), status(presence, "bob")) == ("online", "away")


def test_a_renewal_announces_only_changes(presence, clock):
    presence.connect("ada", "s1")
    presence.published.clear()
    presence.renew([{"user_id": "ada", "session_id": "s1", "state": "active"}])
    assert announced(presence) == []
    presence.renew([{"user_id": "ada", "session_id": "s1", "state": "idle"}])
    assert [status for _, _, status in announced(presence)][-1] == "away"


@pytest.mark.parametrize("sessions", [
    "ada", [{"user_id": "ada"}], [{"user_id": "ada", "session_id": "s1", "state": "asleep"}],
    [{"user_id": "ada", "session_id": f"s{i}"} for i in range(1001)]])
def test_a_renewal_that_is_not_a_list_of_sessions_is_refused_and_changes_nothing(presence,
                                                                                 sessions):
    with pytest.raises(InvalidInput):
        presence.renew(sessions)
    assert status(presence, "ada") == "offline"


def test_one_expired_session_does_not_hide_a_live_one(presence, clock):
    presence.connect("ada", "dead-tab")
    clock.advance(SESSION_TTL * 0.8)
    presence.connect("ada", "live-tab")
    clock.advance(SESSION_TTL * 0.5)  # dead-tab has expired, live-tab has not
    assert status(presence, "ada") == "online"
    presence.disconnect("ada", "live-tab")
    clock.advance(OFFLINE_GRACE + 1)
    assert status(presence, "ada") == "offline"  # dead-tab did not count


def test_the_sweep_announces_people_whose_gateway_died(presence, clock):
    presence.connect("ada", "s1")
    presence.published.clear()
    clock.advance(SESSION_TTL + SWEEP_EVERY)
    presence.sweep()
    assert ("user.ada", "ada", "offline") in announced(presence)
    presence.published.clear()
    presence.sweep()  # nothing lapsed since: nothing to say
    assert presence.published == []


def test_the_sweep_leaves_a_session_renewed_just_in_time(presence, clock):
    presence.connect("ada", "s1")
    clock.advance(SESSION_TTL - 1)
    presence.connect("ada", "s1")
    clock.advance(2)  # past the first expiry, well inside the renewed one
    presence.published.clear()
    presence.sweep()
    assert presence.published == []
    assert status(presence, "ada") == "online"


# -- announcements ----------------------------------------------------------------------
def test_a_change_is_announced_to_the_person_and_every_channel_they_are_in(presence):
    presence.connect("ada", "s1")
    assert announced(presence) == [("user.ada", "ada", "online"),
                                   ("channel.dm-ada-bob", "ada", "online"),
                                   ("channel.general", "ada", "online")]
    events = {e.event_id for _, e in presence.published}
    assert len(events) == 1  # one event: a socket hearing it twice drops the repeat


def test_heartbeats_and_second_devices_announce_nothing_new(presence):
    presence.connect("ada", "laptop")
    presence.published.clear()
    presence.connect("ada", "laptop")
    presence.connect("ada", "phone")
    presence.disconnect("ada", "phone")
    assert presence.published == []


def test_going_away_and_offline_are_announced_in_order(presence, clock):
    presence.connect("ada", "s1")
    presence.set_state("ada", "s1", "idle")
    presence.disconnect("ada", "s1")
    after_the_grace(presence, clock)
    assert [s for key, _, s in announced(presence) if key == "user.ada"] == [
        "online", "away", "offline"]


# -- typing -----------------------------------------------------------------------------
def test_a_member_typing_is_told_to_the_channel_with_when_it_expires(presence):
    assert presence.typing("ada", "general") == {"expires_in": TYPING_EXPIRES}
    ((key, event),) = presence.published
    assert key == "channel.general" and event.type == "typing"
    assert event.data == {"channel_id": "general", "user_id": "ada", "thread_parent_id": None,
                          "state": "started", "expires_in": TYPING_EXPIRES}


def test_typing_in_a_thread_and_stopping(presence):
    presence.typing("ada", "general", "a" * 24, "stopped")
    ((_, event),) = presence.published
    assert (event.data["thread_parent_id"], event.data["state"]) == ("a" * 24, "stopped")


def test_someone_not_in_the_channel_cannot_type_in_it(presence):
    with pytest.raises(NotFound):
        presence.typing("ada", "random")
    assert presence.published == []


def test_each_call_is_counted_by_the_services_instrumentation(presence):
    def handled() -> float:
        return REGISTRY.get_sample_value("parley_rpc_calls_total", {
            "service": "presence", "method": "get", "outcome": "ok"}) or 0.0
    before = handled()
    presence.get(["ada"])
    presence.get(["bob"])
    assert handled() == before + 2
