"""parley_people_online{status}: how many people are online and away, counted by the
presence service's sweep from sets it keeps as statuses change (one SCARD each,
not a look at every session)."""
from __future__ import annotations

from prometheus_client import REGISTRY

from services.presence.service import OFFLINE_GRACE, SESSION_TTL, SWEEP_EVERY


def people(status: str) -> float | None:
    return REGISTRY.get_sample_value("parley_people_online", {"status": status})


def test_the_sweep_counts_who_is_online_and_who_is_away(presence):
    presence.connect("ada", "laptop")
    presence.connect("bob", "phone", "idle")
    presence.sweep()
    assert (people("online"), people("away")) == (1, 1)


def test_a_change_of_status_moves_the_person_between_the_counts(presence, clock):
    presence.connect("ada", "laptop")
    presence.set_manual("ada", "away")
    presence.sweep()
    assert (people("online"), people("away")) == (0, 1)
    presence.set_manual("ada", "auto")
    presence.disconnect("ada", "laptop")
    clock.advance(OFFLINE_GRACE + SWEEP_EVERY)
    presence.sweep()
    assert (people("online"), people("away")) == (0, 0)


def test_someone_whose_gateway_died_leaves_the_count_at_the_sweep(presence, clock):
    presence.connect("ada", "laptop")
    presence.sweep()
    assert people("online") == 1
    clock.advance(SESSION_TTL + SWEEP_EVERY)
    presence.sweep()
    assert people("online") == 0
