"""What auth's logic works with during one RPC: the worker's dependencies and the
time the call started (one clock reading per call)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from argon2 import PasswordHasher

from services.common.audit import AuditWriter
from services.common.events import Event
from services.common.tokens import TokenCodec

from .settings import AuthSettings
from .throttle import LoginThrottle


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Ctx:
    db: Any                                   # SQLAlchemy session
    hasher: PasswordHasher
    codec: TokenCodec
    redis: Any                                # redis.Redis
    settings: AuthSettings
    users: Any                                # the users service (users.access)
    send_mail: Callable[[str, str, str], None]
    publish: Callable[[str, Event], None]     # the real-time bus
    now: datetime
    audit: AuditWriter                        # rows join the caller's transaction

    @property
    def throttle(self) -> LoginThrottle:
        return LoginThrottle(self.redis, self.settings.throttle)
