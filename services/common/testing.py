"""Stand-ins for services' own unit tests (as nameko.testing is for Nameko's):
what a service under test published on the real-time bus. Integration and e2e
tests (tests/) use the real RabbitMQ and never import this."""
from __future__ import annotations


class Bus:
    """Stands in for RealtimeBus: what was published, under which routing key."""

    def __init__(self):
        self.published: list[tuple[str, dict]] = []

    def __call__(self, routing_key, event):
        self.published.append((routing_key, {"type": event.type, "data": event.data}))

    def many(self, events):
        for routing_key, event in events:
            self(routing_key, event)

    def types(self) -> list[str]:
        return [event["type"] for _, event in self.published]

    def clear(self) -> None:
        self.published.clear()
