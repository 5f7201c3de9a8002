"""What every handler of one gateway process shares."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.common.config import Config
from services.common.rpc_client import AsyncRpcClient
from services.common.tokens import TokenCodec

from .hub import Hub
from .ratelimit import RateLimiter
from .sessions import SessionCheck


@dataclass
class Gateway:
    name: str
    cfg: Config
    rpc: AsyncRpcClient
    hub: Hub
    tokens: TokenCodec
    sessions: SessionCheck    # revoked sessions, checked on every authenticated request
    limiter: RateLimiter      # token buckets per person and per address (Redis)
    sockets: set[Any] = field(default_factory=set)           # open /ws connections
    cleanups: set[Any] = field(default_factory=set)          # their closing tasks
    readiness: dict[str, Any] = field(default_factory=dict)  # the last /readyz check (readiness.py)
