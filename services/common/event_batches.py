"""The one RPC through which a service's Kafka consumer applies events: a batch of
one topic's events at a time (services/common/consumer.py).

A call per event cost a whole RPC round trip (a worker, two AMQP messages, a log
line) for each message and each of the four consuming services, the largest share
of the stack's CPU per message under load. ``apply_events`` hands each event of the
batch, in order, to the method ``services/<name>/consumer.py`` routes its topic to,
exactly as a call of that method would; where that method would commit, it calls
``commit_event()``, and what it would do once committed (announce, push) it keeps for
``after_batch`` (``keep_for_batch_end``).

A batch is one transaction, committed at its end: one commit (a WAL flush) instead
of fifty. Every event is applied idempotently by its id. A batch that fails (an
error retrying can help, such as a store going away) keeps nothing and is simply
sent again by the consumer. An event refused for good (bad input, an unknown
channel) rolls back the events before it too, so the batch is applied again from
the start without it, and it is answered as refused. The rows a batch writes stay
locked until its end, so a request writing one of them waits for at most one
batch."""
from __future__ import annotations

import importlib

from .errors import InvalidInput, ParleyError, permanent
from .logging import bind_request_id
from .rpc_entrypoint import rpc


class EventBatchEntrypoints:
    """Mixed into a consuming service (one with a ``db`` SQLAlchemy dependency)."""

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
        self.applying_batch = True
        try:
            while (outcomes := self._apply_in_order(handle, events, refused)) is None:
                pass   # an event was refused: the batch again, without it
        finally:
            bind_request_id(None)
            self.applying_batch = False
        self.after_batch()   # committed: say what it changed
        return outcomes

    applying_batch = False   # True while apply_events runs (handlers may defer work)

    def commit_event(self) -> None:
        """Where a handler of events commits: at once when called on its own, at the
        batch's end in a batch."""
        if not self.applying_batch:
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

    def keep_for_batch_end(self, *items) -> bool:
        """In a batch, keep ``items`` (each once, in order) for ``after_batch`` to take
        with ``kept_for_batch_end()`` and answer True; outside one, False: act now."""
        if not self.applying_batch:
            return False
        self.__dict__.setdefault("_kept_for_batch_end", {}).update(dict.fromkeys(items))
        return True

    def kept_for_batch_end(self) -> list:
        """What the batch's events kept for its end (``keep_for_batch_end``), once."""
        return list(self.__dict__.pop("_kept_for_batch_end", {}))

    def after_batch(self) -> None:
        """Called once after a batch (a hook: say at once what its events changed,
        instead of once per event; what they kept: ``kept_for_batch_end()``)."""

    def _apply_in_order(self, handle, events: list, refused: dict) -> list | None:
        """The outcomes, once every event not refused is committed; None when an
        event was refused after others of the transaction (rolled back with it)."""
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
                if any("answer" in o for o in outcomes):
                    return None
                outcomes.append({"refused": refused[index]})
        self.db.session.commit()
        return outcomes
