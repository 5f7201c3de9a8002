"""Who may post where, remembered by each messaging instance.

Every send, edit, reaction and pin must come from a member of a channel that is not
archived. Asking the channels service each time (``channels.can_post``) was one RPC
per message: a Nameko worker on each side, two AMQP messages through RabbitMQ and a
PostgreSQL query, a large part of what a message costs the stack
(docs/performance.md). An instance now remembers each "yes" it got for
``messaging.posting_rights_seconds``.

What takes a right away (someone leaves or is removed, a channel is archived) is a
commit in the channels service, which then dispatches ``posting_rights_changed``
(services/common/events.py). Every messaging instance hears it (a Nameko broadcast
handler, service.py) and forgets what it remembered of that person in that channel,
or of the whole channel. The notice takes one hop through RabbitMQ, so a send that
races the removal within those milliseconds may still pass, as with any chat
product's cached membership; a notice lost altogether (RabbitMQ restarting at that
moment) is bounded by the time a right is remembered.

Only "yes" is remembered: a refusal is asked again each time, so that a join needs
no notice. A "yes" asked before a notice and answered after it is not remembered
(the channel's generation moved in between).
"""
from __future__ import annotations

import time
from collections.abc import Callable

from nameko.extensions import DependencyProvider

from services.common.config import get_config

MOST_REMEMBERED = 100_000   # (channel, person) pairs per instance; forgotten all at once past it


class PostingRightsCache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._until: dict[tuple[str, str], float] = {}   # (channel, person): remembered until
        self._generation: dict[str, int] = {}             # channel: notices heard

    def may_post(self, channel_id: str, user_id: str, ask: Callable[[], bool]) -> bool:
        """Whether ``user_id`` may post in ``channel_id``: remembered, or ``ask()``."""
        key = (channel_id, user_id)
        if self._until.get(key, 0.0) > self._clock():
            return True
        generation = self._generation.get(channel_id, 0)
        allowed = ask()   # an RPC: a notice may arrive meanwhile
        if allowed and self.seconds > 0 and self._generation.get(channel_id, 0) == generation:
            if len(self._until) >= MOST_REMEMBERED:
                self._until.clear()
            self._until[key] = self._clock() + self.seconds
        return allowed

    def forget(self, channel_id: str, user_id: str | None = None) -> None:
        """A right in ``channel_id`` was taken: ``user_id``'s, or everyone's (None)."""
        self._generation[channel_id] = self._generation.get(channel_id, 0) + 1
        if user_id is not None:
            self._until.pop((channel_id, user_id), None)
        else:
            for key in [k for k in self._until if k[0] == channel_id]:
                del self._until[key]


class PostingRights(DependencyProvider):
    """One :class:`PostingRightsCache` per service instance, shared by its workers."""

    def setup(self):
        self.cache = PostingRightsCache(float(get_config()["messaging.posting_rights_seconds"]))

    def get_dependency(self, worker_ctx):
        return self.cache
