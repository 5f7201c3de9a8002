"""Login throttling, per account and per client IP, with counters in Redis.

Every failed login counts against the address it named (registered or not, so that
throttling reveals nothing) and against the client's IP. Past a number of free
failures (``throttle.account_failures``, ``throttle.ip_failures``) each further
failure locks that key for ``base_delay * 2**(failures past the limit)`` seconds,
at most ``max_delay``; a locked key refuses logins with ``rate_limited`` and
``retry_after`` without checking the password. Counters are forgotten ``window``
seconds after the last failure; a successful login forgets its account's counter
(not the IP's: one's own account must not unlock guessing at others').
"""
from __future__ import annotations

import hashlib
import math

import redis

from services.common.errors import RateLimited, ServiceUnavailable

from .settings import ThrottleSettings

PREFIX = "parley:auth:login"


def _keys(kind: str, ident: str) -> tuple[str, str]:
    return f"{PREFIX}-failures:{kind}:{ident}", f"{PREFIX}-locked:{kind}:{ident}"


def account_id(email: str) -> str:
    """Addresses are not kept in Redis as they are: a digest names the account."""
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def lock_seconds(failures: int, free: int, settings: ThrottleSettings) -> int:
    """How long a key is locked after its ``failures``-th failure (0: not locked)."""
    if failures < free:
        return 0
    return min(settings.max_delay, settings.base_delay * 2 ** min(failures - free, 32))


class LoginThrottle:
    def __init__(self, client: redis.Redis, settings: ThrottleSettings):
        self.redis = client
        self.settings = settings

    def _subjects(self, email: str, ip: str | None) -> list[tuple[str, str, int]]:
        subjects = [("account", account_id(email), self.settings.account_failures)]
        if ip:
            subjects.append(("ip", ip, self.settings.ip_failures))
        return subjects

    def check(self, email: str, ip: str | None) -> None:
        """Refuse with RateLimited while the account or the IP is locked."""
        try:
            waits = [self.redis.pttl(_keys(kind, ident)[1])
                     for kind, ident, _ in self._subjects(email, ip)]
        except redis.RedisError as exc:
            raise ServiceUnavailable(f"login throttling is unavailable: {exc}") from None
        longest = max(waits)
        if longest > 0:
            seconds = math.ceil(longest / 1000)
            raise RateLimited(f"too many failed logins: try again in {seconds} s", seconds)

    def failed(self, email: str, ip: str | None) -> None:
        for kind, ident, free in self._subjects(email, ip):
            failures_key, lock_key = _keys(kind, ident)
            pipe = self.redis.pipeline()
            pipe.incr(failures_key)
            pipe.expire(failures_key, self.settings.window)
            failures, _ = pipe.execute()
            seconds = lock_seconds(failures, free, self.settings)
            if seconds:
                self.redis.set(lock_key, failures, ex=seconds)

    def succeeded(self, email: str) -> None:
        self.redis.delete(*_keys("account", account_id(email)))
