"""What a service remembers about channels it asks the channels service about.

Each answer of the channels service that another service needs on a hot path (who
may post, for messaging; a channel's members, for users' unread counts; its
audience with their notification settings, for notifications) was one RPC per
message: a Nameko worker on each side and two AMQP messages through RabbitMQ
(docs/performance.md). A :class:`PerChannel` keeps each answer per channel for a
number of seconds, in each instance of the asking service.

The channels service tells when an answer is no longer true: after committing a
change, it dispatches a Nameko event (services/common/events.py) that every
instance hears with a broadcast handler and answers by forgetting that channel
(``forget``). The notice takes one hop through RabbitMQ, so what is asked within
those milliseconds may still get the answer from before, as with any cache of a
database elsewhere; a notice lost altogether (RabbitMQ restarting at that moment)
is bounded by the seconds an answer is kept. An answer asked before a notice and
received after it is used once but not kept (the channel's *generation* moved in
between).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from nameko.events import BROADCAST, event_handler
from nameko.extensions import DependencyProvider

from .config import get_config
from .events import AUDIENCE_CHANGED

Answer = TypeVar("Answer")
MOST_CHANNELS = 20_000   # channels remembered per instance; forgotten all at once past it


class PerChannel(Generic[Answer]):
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._kept: dict[str, tuple[float, Answer]] = {}   # channel: (until, answer)
        self._generation: dict[str, int] = {}               # channel: notices heard

    def get(self, channel_id: str, ask: Callable[[], Answer]) -> Answer:
        """The answer remembered for ``channel_id``, or ``ask()`` (kept unless a
        notice about the channel came meanwhile, or ``seconds`` is 0)."""
        found = self.remembered(channel_id)
        if found is not None:
            return found
        generation = self.generation(channel_id)
        answer = ask()   # an RPC: a notice may arrive meanwhile
        if self.seconds > 0 and self.generation(channel_id) == generation:
            if len(self._kept) >= MOST_CHANNELS:
                self._kept.clear()
            self._kept[channel_id] = (self._clock() + self.seconds, answer)
        return answer

    def remembered(self, channel_id: str) -> Answer | None:
        """The answer kept for ``channel_id`` if it is still current, else None."""
        kept = self._kept.get(channel_id)
        if kept is None or kept[0] <= self._clock():
            return None
        return kept[1]

    def generation(self, channel_id: str) -> int:
        """How many notices about ``channel_id`` were heard: an answer asked at one
        generation and received at another is not kept."""
        return self._generation.get(channel_id, 0)

    def noticed(self, channel_id: str) -> None:
        """A notice about ``channel_id`` that changes part of an answer (the caller
        changes the rest): answers in flight are not kept."""
        self._generation[channel_id] = self.generation(channel_id) + 1

    def forget(self, channel_id: str) -> None:
        """A notice that ``channel_id``'s answer changed: ask again next time."""
        self.noticed(channel_id)
        self._kept.pop(channel_id, None)


class RememberedPerChannel(DependencyProvider):
    """One :class:`PerChannel` per service instance, shared by its workers, keeping
    answers for the seconds of the config key ``seconds_key``."""

    def __init__(self, seconds_key: str):
        self.seconds_key = seconds_key

    def setup(self):
        self.memory = PerChannel(float(get_config()[self.seconds_key]))

    def get_dependency(self, worker_ctx):
        return self.memory


class ChannelMemoryEntrypoints:
    """Mixed into a service that keeps one answer per channel in ``channel_memory``
    (users: its members; notifications: its audience) for ``services.audience_seconds``,
    and forgets a channel when the channels service says it changed."""

    channel_memory = RememberedPerChannel("services.audience_seconds")

    @event_handler("channels", AUDIENCE_CHANGED, handler_type=BROADCAST,
                   reliable_delivery=False)
    def forget_channel(self, changed):
        """Someone joined, left or changed their settings in a channel, or it changed:
        every instance asks again."""
        self.channel_memory.forget(changed["channel_id"])
