"""The one RPC through which a service's Kafka consumer applies events: a batch of
one topic's events at a time (services/common/consumer.py).

A call per event cost a whole RPC round trip (a worker, two AMQP messages, a log
line) for each message and each of the four consuming services, the largest share
of the stack's CPU per message under load. ``apply_events`` hands each event of the
batch, in order, to the method ``services/<name>/consumer.py`` routes its topic to,
exactly as a call of that method would. Each event is applied and committed on its
own, idempotently by its id, so a batch that fails part way (an error retrying can
help, such as a store going away) is simply sent again: the events already applied
answer as replays. An event refused for good (bad input, an unknown channel) is
answered as refused and the batch goes on."""
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
        outcomes = []
        self.applying_batch = True
        try:
            for event in events:
                bind_request_id(event.get("request_id") if isinstance(event, dict) else None)
                try:
                    outcomes.append({"answer": handle(event)})
                except ParleyError as exc:
                    self.db.session.rollback()   # nothing half done reaches the next commit
                    if not permanent(exc):
                        raise
                    outcomes.append({"refused": exc.to_dict()})
        finally:
            bind_request_id(None)
            self.after_batch()   # the events committed so far, even when one failed
        return outcomes

    applying_batch = False   # True while apply_events runs (handlers may defer work)

    def after_batch(self) -> None:
        """Called once after a batch (a hook: say at once what its events changed,
        instead of once per event)."""
