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
database elsewhere. An answer asked before a notice and received after it is used
once but not kept (the channel's *generation* moved in between).

A notice is lost only when it finds no queue to land in: each instance's broadcast
queue lives while its connection does, so what is dispatched while that
connection is down (RabbitMQ restarting, a network cut) never reaches it. Such an
instance is told when its connection is back (:class:`ChannelNotices`) and forgets
every channel. What is left is a channels instance dying between its commit and
its notice: the seconds an answer is kept bound that, so answers can be kept for
minutes (each expiry is a question about every active channel from every instance,
whatever the load).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from nameko.containers import ContainerBeingKilled
from nameko.events import BROADCAST, EventHandler
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer

from .config import get_config
from .events import AUDIENCE_CHANGED
from .logging import get_logger

log = get_logger(__name__)

Answer = TypeVar("Answer")
MOST_CHANNELS = 20_000   # channels remembered per instance; forgotten all at once past it


class PerChannel(Generic[Answer]):
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._kept: dict[str, tuple[float, Answer]] = {}   # channel: (until, answer)
        self._generation: dict[str, int] = {}               # channel: notices heard
        self._forgot_all = 0                                # times everything was forgotten

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

    def generation(self, channel_id: str) -> tuple[int, int]:
        """How many notices about ``channel_id`` (and about every channel) were heard:
        an answer asked at one generation and received at another is not kept."""
        return self._forgot_all, self._generation.get(channel_id, 0)

    def noticed(self, channel_id: str) -> None:
        """A notice about ``channel_id`` that changes part of an answer (the caller
        changes the rest): answers in flight are not kept."""
        self._generation[channel_id] = self._generation.get(channel_id, 0) + 1

    def forget(self, channel_id: str) -> None:
        """A notice that ``channel_id``'s answer changed: ask again next time."""
        self.noticed(channel_id)
        self._kept.pop(channel_id, None)

    def forget_all(self) -> None:
        """Notices may have been missed (the connection that hears them was down):
        ask again about every channel; answers in flight are not kept."""
        self._forgot_all += 1
        self._kept.clear()
        self._generation.clear()


class RememberedPerChannel(DependencyProvider):
    """One :class:`PerChannel` per service instance, shared by its workers, keeping
    answers for the seconds of the config key ``seconds_key``."""

    def __init__(self, seconds_key: str):
        self.seconds_key = seconds_key

    def setup(self):
        self.memory = PerChannel(float(get_config()[self.seconds_key]))

    def get_dependency(self, worker_ctx):
        return self.memory


class _QueueConsumerTellingReconnections(QueueConsumer):
    """Nameko's queue consumer (its own connection), which also tells its
    :class:`ChannelNotices` when a connection came back: kombu calls
    ``on_consume_ready`` after the first connection and after every reconnection."""

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        reconnected = self._consumers_ready.ready()
        super().on_consume_ready(connection, channel, consumers, **kwargs)
        if reconnected:
            for provider in list(self._providers):
                if isinstance(provider, ChannelNotices):
                    provider.notices_missed()


class ChannelNotices(EventHandler):
    """An entrypoint that hears every ``audience_changed`` of the channels service,
    in every instance (a broadcast queue that lives while the connection does). After
    a reconnection it is also handed ``{"channel_id": None}``: notices may have been
    dispatched while it was away, so the handler forgets every channel."""

    queue_consumer = _QueueConsumerTellingReconnections()

    def __init__(self, **kwargs):
        super().__init__("channels", AUDIENCE_CHANGED, handler_type=BROADCAST,
                         reliable_delivery=False, **kwargs)

    def notices_missed(self) -> None:
        log.info("channel_notices_missed", handler=self.method_name)
        try:
            self.container.spawn_worker(self, ({"channel_id": None},), {})
        except ContainerBeingKilled:   # stopping: nothing kept will be read again
            pass


channel_notices = ChannelNotices.decorator


class ChannelMemoryEntrypoints:
    """Mixed into a service that keeps one answer per channel in ``channel_memory``
    (users: its members; notifications: its audience) for ``services.audience_seconds``,
    and forgets a channel when the channels service says it changed."""

    channel_memory = RememberedPerChannel("services.audience_seconds")

    @channel_notices
    def forget_channel(self, changed):
        """Someone joined, left or changed their settings in a channel, or it changed:
        every instance asks again (about every channel, after a reconnection)."""
        if changed.get("channel_id") is None:
            self.channel_memory.forget_all()
        else:
            self.channel_memory.forget(changed["channel_id"])
