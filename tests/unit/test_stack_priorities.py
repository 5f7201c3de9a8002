"""The local stack runs the work done after a message is acknowledged and delivered
(ops/stack/programs.py ``DEFERRED``) at a lower priority than the send path, so that a
short CPU goes to delivering messages first (docs/architecture.md, "Which work waits")."""
from __future__ import annotations

import shlex

import pytest

from ops.stack import programs, supervisor
from services.common.catalog import CONSUMING_SERVICES
from services.common.config import get_config

def commands() -> dict[str, list[str]]:
    """Each program's command as supervisord will split it."""
    rendered, name = {}, None
    for line in supervisor.render(programs.all_programs()).splitlines():
        if line.startswith("[program:"):
            name = line[len("[program:"):-1]
        elif line.startswith("command=") and name:
            rendered[name] = shlex.split(line[len("command="):].replace("%%", "%"))
    return rendered


def test_the_kafka_path_and_the_services_that_apply_its_events_are_deferred():
    assert programs.DEFERRED == {"kafka", "outbox-relay", "users", "notifications", "search",
                                 *(f"{name}-consumer" for name in CONSUMING_SERVICES)}


def test_the_deferred_programs_and_only_they_start_under_nice_at_the_configured_level():
    assert get_config()["stack.deferred_nice"] == 10
    niced = {p.name for p in programs.all_programs() if p.nice}
    assert niced == {"kafka", "outbox-relay", "users-1", "users-2", "notifications-1",
                     "notifications-2", "search-1", "search-2", "users-consumer",
                     "channels-consumer", "search-consumer", "notifications-consumer"}
    rendered = commands()
    for program in programs.all_programs():
        if program.name in niced:
            assert program.nice == 10, program.name
            assert rendered[program.name] == ["/usr/bin/nice", "-n", "10", *program.command]
        else:   # the send path (gateways, messaging, channels, RabbitMQ, FerretDB…) and the rest
            assert rendered[program.name] == program.command, program.name


@pytest.fixture
def deferred_level(monkeypatch):
    """Run the test with ``stack.deferred_nice`` set (as PARLEY_STACK_DEFERRED_NICE)."""
    def set_level(level: str) -> None:
        monkeypatch.setenv("PARLEY_STACK_DEFERRED_NICE", level)
        get_config.cache_clear()
    yield set_level
    monkeypatch.delenv("PARLEY_STACK_DEFERRED_NICE", raising=False)
    get_config.cache_clear()


def test_a_level_of_zero_runs_everything_alike(deferred_level):
    deferred_level("0")
    assert all(p.nice == 0 for p in programs.all_programs())
    assert not [c for c in commands().values() if c[0] == "/usr/bin/nice"]


@pytest.mark.parametrize("level", ["-5", "20", "ten", "2.5"])
def test_a_level_outside_what_nice_takes_is_refused_before_anything_starts(deferred_level,
                                                                          level):
    deferred_level(level)
    with pytest.raises(ValueError, match="stack.deferred_nice"):
        programs.all_programs()
