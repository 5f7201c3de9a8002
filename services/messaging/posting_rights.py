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
``posting_rights_changed`` (services/common/events.py). Every messaging instance
hears it (a Nameko broadcast handler, service.py) and takes that person out of the
channel's set, or forgets the whole channel. The notice takes one hop through
RabbitMQ, so a send that races the removal within those milliseconds may still pass,
as with any chat product's cached membership; a notice lost altogether (RabbitMQ
restarting at that moment) is bounded by the time a set is remembered. An answer
asked before a notice and received after it is used for that post but not
remembered (the channel's generation moved in between).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from nameko.extensions import DependencyProvider

from services.common.config import get_config

MOST_REMEMBERED = 200_000   # posters over all channels per instance; forgotten all at once past it


class PostingRightsCache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._posters: dict[str, tuple[float, set[str]]] = {}   # channel: (until, who)
        self._remembered = 0                                      # people over all sets
        self._generation: dict[str, int] = {}                     # channel: notices heard

    def may_post(self, channel_id: str, user_id: str, posters: Callable[[], Iterable[str]],
                 ask: Callable[[], bool]) -> bool:
        """Whether ``user_id`` may post in ``channel_id``: from the channel's posters
        remembered; else ``posters()`` (everyone who may post there, one RPC) is
        asked and remembered; ``ask()`` (about this person alone) when the set
        remembered lacks them. With ``seconds`` 0 nothing is remembered and every
        post asks ``ask()``."""
        if self.seconds <= 0:
            return ask()
        generation = self._generation.get(channel_id, 0)
        known = self._posters.get(channel_id)
        if known is None or known[0] <= self._clock():
            who = set(posters())   # an RPC: a notice may arrive meanwhile
            if self._generation.get(channel_id, 0) == generation:
                self._remember(channel_id, who)
            return user_id in who
        if user_id in known[1]:
            return True
        allowed = ask()   # joined since the set was read, or no member
        if allowed and self._generation.get(channel_id, 0) == generation \
                and self._posters.get(channel_id) is known:
            known[1].add(user_id)
            self._remembered += 1
        return allowed

    def forget(self, channel_id: str, user_id: str | None = None) -> None:
        """A right in ``channel_id`` was taken: ``user_id``'s, or everyone's (None)."""
        self._generation[channel_id] = self._generation.get(channel_id, 0) + 1
        known = self._posters.get(channel_id)
        if user_id is None:
            self._drop(channel_id)
        elif known is not None and user_id in known[1]:
            known[1].discard(user_id)
            self._remembered -= 1

    def _remember(self, channel_id: str, who: set[str]) -> None:
        self._drop(channel_id)
        if self._remembered + len(who) > MOST_REMEMBERED:
            self._posters.clear()
            self._remembered = 0
        self._posters[channel_id] = (self._clock() + self.seconds, who)
        self._remembered += len(who)

    def _drop(self, channel_id: str) -> None:
        known = self._posters.pop(channel_id, None)
        if known is not None:
            self._remembered -= len(known[1])


class PostingRights(DependencyProvider):
    """One :class:`PostingRightsCache` per service instance, shared by its workers."""

    def setup(self):
        self.cache = PostingRightsCache(float(get_config()["messaging.posting_rights_seconds"]))

    def get_dependency(self, worker_ctx):
        return self.cache
