"""A stand-in for RealtimeBus in unit tests: records what was published, under
which routing key."""
from __future__ import annotations


class Bus:
    """Stands in for RealtimeBus: what was published, under which routing key."""

    def __init__(self):
        self.published: list[tuple[str, dict]] = []

    def __call__(self, routing_key, event):
        self.published.append((routing_key, {"type": event.type, "data": event.data}))

    def types(self) -> list[str]:
        return [event["type"] for _, event in self.published]

    def clear(self) -> None:
        self.published.clear()
