"""What a load generator needs from a chat server: Parley and Synapse each implement it
(bench/load/parley_target.py, bench/load/synapse_target.py), so the same workload and
the same measurements run against both."""
from __future__ import annotations

from typing import Callable, Protocol

# on_message(room_id, sender_handle, text, received_at) for every message delivered to
# this person's connection (messages of others; the text carries the marker the
# generator put in it, so latency, loss and duplicates are measured by the generator
# from the text alone, the same way for every target). received_at = time.monotonic().
OnMessage = Callable[[str, str, str, float], None]


class Session(Protocol):
    """One simulated person's live connection (Parley: a WebSocket through Traefik;
    Synapse: a /sync long-poll loop)."""

    handle: str

    async def send(self, room_id: str, text: str, txn_id: str) -> None:
        """Returns when the server acknowledged the message (Parley: the `ack` frame;
        Synapse: the PUT /send/.../{txn_id} answer with an event_id); raises on failure.
        Sending again with the same txn_id must not make a second message."""

    async def readable(self, room_id: str, newest: int) -> list[str]:
        """The texts of the room's newest ``newest`` messages as this person reads its
        history over HTTP (not their live connection): after a phase, a delivery the
        connection never brought is *late* if the text is here, *lost* if not."""

    async def close(self) -> None: ...


class Target(Protocol):
    name: str   # "parley" or "synapse"

    async def start(self) -> None:
        """Make the server ready (Synapse: start its process; Parley: check the stack)."""

    async def create_people(self, count: int) -> list[str]:
        """Register `count` people; returns their handles (used in the calls below)."""

    async def create_room(self, owner: str, members: list[str]) -> str:
        """A room (Parley: channel, or DM for 2 people) with `owner` and `members` in it,
        ready to deliver; returns its id."""

    async def connect(self, handle: str, on_message: OnMessage) -> Session: ...

    async def stop(self) -> None: ...
