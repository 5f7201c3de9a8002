"""Who may post where, remembered by each messaging instance.

Every send, edit, reaction and pin must come from a member of a channel that is not
archived. Asking the channels service each time (``channels.can_post``) was one RPC
per message: a Nameko worker on each side, two AMQP messages through RabbitMQ and a
PostgreSQL query, a large part of what a message costs the stack
(docs/performance.md). Remembering each person's "yes" left one RPC per person and
channel, and people rarely send twice in a few minutes: at 30 msg/s among 1,000
people, seven sends in ten still asked.

So an instance remembers a channel's *posters*: on the first post it cannot answer,
it asks ``channels.posters`` once for everyone who may post there (the members; no
one in an archived channel) and keeps that set for
``messaging.posting_rights_seconds``. A person missing from a set still remembered
(someone who joined since) is asked about alone (``channels.can_post``) and added on
a "yes". A refusal is never remembered, so a join needs no notice.

What takes a right away (someone leaves or is removed, a channel is archived or
unarchived) is a commit in the channels service, which then dispatches
``audience_changed`` (services/common/events.py). Every messaging instance hears it
(a Nameko broadcast handler, service.py) and takes that person out of the channel's
set, or forgets the whole channel. How long a notice takes, and what a lost one
costs: services/common/channel_memory.py, which keeps the sets.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from nameko.extensions import DependencyProvider

from services.common.channel_memory import PerChannel
from services.common.config import get_config


class PostingRightsCache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._posters: PerChannel[set[str]] = PerChannel(seconds, clock)

    def may_post(self, channel_id: str, user_id: str, posters: Callable[[], Iterable[str]],
                 ask: Callable[[], bool]) -> bool:
        """Whether ``user_id`` may post in ``channel_id``: from the channel's posters
        remembered; else ``posters()`` (everyone who may post there, one RPC) is
        asked and remembered; ``ask()`` (about this person alone) when the set
        remembered lacks them. With ``seconds`` 0 nothing is remembered and every
        post asks ``ask()``."""
        if self.seconds <= 0:
            return ask()
        who = self._posters.remembered(channel_id)
        if who is None:
            return user_id in self._posters.get(channel_id, lambda: set(posters()))
        if user_id in who:
            return True
        generation = self._posters.generation(channel_id)
        allowed = ask()   # joined since the set was read, or no member
        if allowed and self._posters.generation(channel_id) == generation \
                and self._posters.remembered(channel_id) is who:
            who.add(user_id)
        return allowed

    def forget(self, channel_id: str | None, user_id: str | None = None) -> None:
        """A right in ``channel_id`` was taken: ``user_id``'s, or everyone's (None).
        No channel: notices may have been missed, every channel is forgotten."""
        if channel_id is None:
            self._posters.forget_all()
            return
        if user_id is None:
            self._posters.forget(channel_id)
            return
        self._posters.noticed(channel_id)
        who = self._posters.remembered(channel_id)
        if who is not None:
            who.discard(user_id)


class PostingRights(DependencyProvider):
    """One :class:`PostingRightsCache` per service instance, shared by its workers."""

    def setup(self):
        self.cache = PostingRightsCache(float(get_config()["messaging.posting_rights_seconds"]))

    def get_dependency(self, worker_ctx):
        return self.cache
