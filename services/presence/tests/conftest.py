"""The presence service run through Nameko's own worker lifecycle
(``replace_dependencies`` + ``entrypoint_hook``) over fakeredis, an in-memory
Redis, whose time-to-live clock the tests move by hand."""
from __future__ import annotations

import time

import eventlet.semaphore
import fakeredis
import fakeredis._socket._base
import pytest
from nameko.containers import ServiceContainer
from nameko.testing import waiting
from nameko.testing.services import entrypoint_hook, replace_dependencies

from services.presence import service as service_module
from services.presence.service import Service


class Clock:
    """The time fakeredis reads to expire keys, moved by hand."""

    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def green_entrypoint_waiter(monkeypatch):
    """entrypoint_hook waits on a threading.Semaphore, which would block eventlet's
    hub in a process that is not monkey-patched (this test run is not: the gateway
    tests are asyncio). An eventlet semaphore lets the worker greenthread run."""
    monkeypatch.setattr(waiting, "Semaphore", eventlet.semaphore.Semaphore)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    # fakeredis stamps every command with this module's time.time() and expires
    # keys against it; the service reads the same clock for its sweeps
    monkeypatch.setattr(fakeredis._socket._base, "time", clock)
    monkeypatch.setattr(service_module, "time", clock)
    return clock


@pytest.fixture
def redis(clock):
    return fakeredis.FakeRedis(decode_responses=True)  # as stores.redis_client


class Channels:
    """Stands in for the channels service: who is in which channel."""

    def __init__(self):
        self.members = {"general": {"ada", "bob"}, "dm-ada-bob": {"ada", "bob"},
                        "random": {"bob"}}

    def is_member(self, channel_id, user_id):
        return user_id in self.members.get(channel_id, ())

    def list_for_user(self, user_id):
        return [{"id": c} for c, people in sorted(self.members.items()) if user_id in people]


class Published(list):
    """Stands in for the real-time bus: the (routing key, event) pairs, in order."""

    def __call__(self, routing_key, event):
        self.append((routing_key, event))

    def many(self, events):
        self.extend(events)


@pytest.fixture
def presence(redis):
    """``presence.<method>(...)`` runs one worker of the service through its
    container, with Redis (fakeredis), the channels service (``presence.channels``)
    and the real-time bus (``presence.published``, the (routing key, event) pairs)
    standing in, and every other dependency (instrumentation included) real."""
    container = ServiceContainer(Service, {"AMQP_URI": "memory://"})
    channels = Channels()
    published = Published()
    replace_dependencies(container, redis=redis, channels=channels, realtime=published)
    for dependency in container.dependencies:
        dependency.setup()

    class Calls:
        def __getattr__(self, method):
            def call(*args, **kwargs):
                with entrypoint_hook(container, method,
                                     context_data={"request_id": "req-1"}) as hook:
                    return hook(*args, **kwargs)
            return call

    calls = Calls()
    calls.channels, calls.published = channels, published
    return calls
