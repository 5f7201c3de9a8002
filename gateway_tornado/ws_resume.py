"""Resume on the WebSocket: what a reconnecting client missed, then live, with no gap.

The socket already listens to every channel of its person (since it opened), so
for each channel named in ``resume`` the gateway first holds that channel's live
events back, then pages through history after the client's ``seq`` and sends
those messages in order, then releases the held events, dropping each
``message.created`` the replay already covered (its ``seq`` is at or below the
last one replayed), and from then on the channel is live. A message stored before
the history read is in the history; one announced after the socket listened is
held; nothing falls between (docs/architecture.md, "Resume").
"""
from __future__ import annotations

from typing import Any

from services.common.errors import InvalidInput
from services.common.events import channel_key

PAGE = 200            # messages per history call (messaging's largest page)
MAX_CHANNELS = 1000   # channels one resume frame may name
CHANNEL_PREFIX = channel_key("")


def resume_request(frame: dict) -> dict[str, int]:
    """``{channel_id: last seq seen}`` from a ``resume`` frame, or invalid_input."""
    channels = frame.get("channels")
    if not isinstance(channels, dict) or not channels:
        raise InvalidInput("channels must be an object of channel id to last seq seen")
    if len(channels) > MAX_CHANNELS:
        raise InvalidInput(f"at most {MAX_CHANNELS} channels per resume")
    for channel_id, seq in channels.items():
        if not channel_id or not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise InvalidInput("each channel's seq must be a non-negative integer")
    return channels


class HeldEvents:
    """Live events of the channels being replayed, kept in arrival order until
    their replay is sent. ``hold_everything`` (a socket opened with ``?resume=1``)
    holds every channel from the moment the socket listens until it is released."""

    def __init__(self) -> None:
        self._events: list[tuple[str, str, dict[str, Any]]] = []  # channel, key, event
        self._held: set[str] = set()
        self._released: set[str] = set()
        self._everything = False

    def hold(self, channel_id: str) -> None:
        self._held.add(channel_id)
        self._released.discard(channel_id)

    def hold_everything(self) -> None:
        self._everything = True

    @property
    def holding_everything(self) -> bool:
        return self._everything

    def keep(self, routing_key: str, event: dict[str, Any]) -> bool:
        """Keep ``event`` if its channel is held; False: deliver it now."""
        if not routing_key.startswith(CHANNEL_PREFIX):
            return False
        channel_id = routing_key[len(CHANNEL_PREFIX):]
        if channel_id in self._held or (self._everything and channel_id not in self._released):
            self._events.append((channel_id, routing_key, event))
            return True
        return False

    def release(self, channel_id: str, last_seq: int) -> list[tuple[str, dict[str, Any]]]:
        """The channel's held events in arrival order, without the messages the
        client has (``seq`` at or below ``last_seq``); the channel is live again."""
        mine = [(key, event) for cid, key, event in self._events if cid == channel_id]
        self._events = [held for held in self._events if held[0] != channel_id]
        self._held.discard(channel_id)
        self._released.add(channel_id)
        return [(key, event) for key, event in mine
                if not _covered(event, channel_id, last_seq)]

    def release_all(self) -> list[tuple[str, dict[str, Any]]]:
        """Every event still held, in arrival order; from now on nothing is held."""
        events = [(key, event) for _, key, event in self._events]
        self._events, self._held, self._released, self._everything = [], set(), set(), False
        return events


def _covered(event: dict[str, Any], channel_id: str, last_seq: int) -> bool:
    data = event.get("data") or {}
    seq = data.get("seq")
    return (event.get("type") == "message.created" and data.get("channel_id") == channel_id
            and isinstance(seq, int) and seq <= last_seq)
