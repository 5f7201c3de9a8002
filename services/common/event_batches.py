"""The one RPC through which a service's Kafka consumer applies events: a batch of
one topic's events at a time (services/common/consumer.py).

A call per event cost a whole RPC round trip (a worker, two AMQP messages, a log
line) for each message and each of the four consuming services, the largest share
of the stack's CPU per message under load. ``apply_events`` hands each event of the
batch, in order, to the method ``services/<name>/consumer.py`` routes its topic to,
exactly as a call of that method would; where that method would commit, it calls
``commit_event()``.

Each event is applied idempotently by its id, so a batch that fails part way (an
error retrying can help, such as a store going away) is simply sent again: what was
applied answers as replays. An event refused for good (bad input, an unknown
channel) is answered as refused and the batch goes on.

How a batch commits is the service's choice (``events_share_a_transaction``):

- each event on its own (the default);
- the whole batch in one transaction, committed at its end, for a service whose
  handlers only write its database and leave what follows a commit (announcing,
  pushing) to ``after_batch``: one commit (a WAL flush) instead of fifty. A refused
  event rolls back the events before it too, so the batch is applied again from the
  start without it; a batch that fails commits nothing. The rows it writes stay
  locked until its end, so a request writing one of them waits for at most one
  batch."""
from __future__ import annotations

import importlib

from .errors import InvalidInput, ParleyError, permanent
from .logging import bind_request_id
from .rpc_entrypoint import rpc


class EventBatchEntrypoints:
    """Mixed into a consuming service (one with a ``db`` SQLAlchemy dependency)."""

    events_share_a_transaction = False   # see the module's docstring

    @rpc
    def apply_events(self, topic, events):
        """``[{"answer": …} | {"refused": {"code", "message"}}, …]``, one per event."""
        routes = importlib.import_module(f"services.{self.name}.consumer").ROUTES
        if topic not in routes:
            raise InvalidInput(f"this service follows no topic {topic!r}")
        if not isinstance(events, list):
            raise InvalidInput("events: a list of event objects")
        handle = getattr(self, routes[topic])
        refused: dict[int, dict] = {}
        committed_some = not self.events_share_a_transaction   # each event on its own
        self.applying_batch = True
        try:
            while (outcomes := self._apply_in_order(handle, events, refused)) is None:
                pass   # an event was refused: the batch again, without it
            committed_some = True
        finally:
            bind_request_id(None)
            self.applying_batch = False
            if committed_some:   # even when an event failed, what was committed before it
                self.after_batch()
        return outcomes

    applying_batch = False   # True while apply_events runs (handlers may defer work)

    def commit_event(self) -> None:
        """Where a handler of events commits: at once, or at the batch's end when
        the batch's events share a transaction."""
        if not (self.applying_batch and self.events_share_a_transaction):
            self.db.session.commit()

    def once_per_batch(self, key, read):
        """``read()``, or in a batch what it gave the first time for ``key``: a batch is
        applied as of one moment, and its events mostly repeat a few channels and
        senders, whose reads (hundreds of members' rows, a name) would repeat too."""
        if not self.applying_batch:
            return read()
        seen = self.__dict__.setdefault("_read_in_batch", {})
        if key not in seen:
            seen[key] = read()
        return seen[key]

    def after_batch(self) -> None:
        """Called once after a batch (a hook: say at once what its events changed,
        instead of once per event)."""

    def _apply_in_order(self, handle, events: list, refused: dict) -> list | None:
        """The outcomes, once every event not refused is committed; None when an
        event was refused after the shared transaction held others (rolled back)."""
        outcomes = []
        for index, event in enumerate(events):
            if index in refused:
                outcomes.append({"refused": refused[index]})
                continue
            bind_request_id(event.get("request_id") if isinstance(event, dict) else None)
            try:
                outcomes.append({"answer": handle(event)})
            except ParleyError as exc:
                self.db.session.rollback()   # nothing half done reaches the next commit
                if not permanent(exc):
                    raise
                refused[index] = exc.to_dict()
                if self.events_share_a_transaction and any("answer" in o for o in outcomes):
                    return None
                outcomes.append({"refused": refused[index]})
        self.db.session.commit()
        return outcomes
