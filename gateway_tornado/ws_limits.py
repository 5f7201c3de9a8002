"""What one WebSocket may send: frames per second, kept in the gateway's memory.

A socket lives on one gateway, so its budget needs no Redis: a token bucket per
socket (``gateway.ws_frame_rate`` per second, ``gateway.ws_frame_burst`` at once).
A frame over budget is refused with a ``rate_limited`` error frame; a socket that
goes on sending refused frames (``gateway.ws_flood_close_after`` of them with no
quiet second between two) is flooding and is closed with 1008 (policy violation). Frame size is Tornado's
``max_message_size`` (``gateway.max_frame_bytes``): larger frames close with 1009.
"""
from __future__ import annotations

import time
from typing import Callable

from services.common.config import Config

CLOSE_POLICY_VIOLATION = 1008
CLOSE_TOO_BIG = 1009
QUIET = 1.0   # seconds without a refused frame after which a socket's refusals are forgiven


class FrameBucket:
    """``rate`` frames per second sustained, ``burst`` at once."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self._clock = float(rate), float(burst), clock
        self._tokens, self._stamp = self.burst, clock()

    def take(self) -> float:
        """0 when a frame may go now (it takes a token), else the seconds until one may."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1 - 1e-9:   # float rounding of the refill
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate


class FrameLimit:
    """One socket's budget, and whether it is flooding."""

    def __init__(self, rate: float, burst: float, close_after: int,
                 clock: Callable[[], float] = time.monotonic):
        self.bucket = FrameBucket(rate, burst, clock)
        self.close_after = close_after
        self.refused = 0   # refused frames since the last quiet second
        self._last_refused = float("-inf")
        self._clock = clock

    @classmethod
    def from_config(cls, cfg: Config) -> "FrameLimit":
        return cls(cfg["gateway.ws_frame_rate"], cfg["gateway.ws_frame_burst"],
                   int(cfg["gateway.ws_flood_close_after"]))

    def check(self) -> float:
        """0 for a frame within budget, else the seconds to wait (``retry_after``)."""
        wait = self.bucket.take()
        if wait:
            now = self._clock()
            self.refused = 1 if now - self._last_refused > QUIET else self.refused + 1
            self._last_refused = now
        return wait

    @property
    def flooding(self) -> bool:
        return self.refused >= self.close_after
