"""Rate limits shared by every gateway: token buckets in Redis.

Each bucket holds up to ``burst`` tokens and refills at ``rate`` tokens per
second; a request takes one token or is refused with how long until one is
back. The whole step (refill, take, remember) is one Lua script, so gateways
racing on one bucket never both take its last token, and the clock is Redis's
own (``TIME``), so gateways with drifting clocks agree.

Buckets (config section ``ratelimit``, see docs/api/limits.md):

- ``user``: every authenticated request, per person, on every gateway together;
- ``ip``: every request, per client address (behind Traefik's own per-IP
  ``rateLimit`` middleware, which guards each Traefik instance; this one holds
  across all of them and covers sign-up and sign-in before anyone is known).

If Redis cannot answer, requests go through (and ``rate_limit_unavailable`` is
logged and counted): limits protect the service, they must not take it down.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import redis

from services.common.config import Config
from services.common.errors import RateLimited
from services.common.logging import get_logger
from services.common.metrics import RATE_LIMIT_REJECTIONS, RATE_LIMIT_UNAVAILABLE

log = get_logger(__name__)

# KEYS[1] bucket; ARGV rate (tokens/s), burst, cost. Returns {taken (0/1), ms until
# enough tokens are back}. State: hash {tokens, at (ms)}, expiring once full again.
TAKE = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local taken, wait = 0, 0
if tokens >= cost then
  tokens = tokens - cost
  taken = 1
else
  wait = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {taken, wait}
"""


@dataclass(frozen=True)
class Bucket:
    scope: str     # "user" or "ip": a bounded metric label
    rate: float    # tokens per second
    burst: int

    @classmethod
    def from_config(cls, cfg: Config, scope: str) -> "Bucket":
        return cls(scope, float(cfg[f"ratelimit.{scope}_rate"]),
                   int(cfg[f"ratelimit.{scope}_burst"]))


class RateLimiter:
    def __init__(self, client, buckets: dict[str, Bucket], prefix: str = "parley:ratelimit"):
        self.redis = client        # redis.asyncio.Redis (fakeredis with Lua in unit tests)
        self.buckets = buckets
        self.prefix = prefix
        self._take = client.register_script(TAKE)

    @classmethod
    def from_config(cls, client, cfg: Config) -> "RateLimiter":
        return cls(client, {scope: Bucket.from_config(cfg, scope) for scope in ("user", "ip")})

    async def check(self, scope: str, who: str, cost: int = 1) -> None:
        """Take ``cost`` tokens from ``who``'s bucket of ``scope``, or raise
        RateLimited with the seconds until they are back."""
        bucket = self.buckets[scope]
        try:
            taken, wait_ms = await self._take(keys=[f"{self.prefix}:{scope}:{who}"],
                                              args=[bucket.rate, bucket.burst, cost])
        except redis.RedisError as exc:
            RATE_LIMIT_UNAVAILABLE.inc()
            log.warning("rate_limit_unavailable", error=str(exc))
            return
        if not int(taken):
            RATE_LIMIT_REJECTIONS.labels(scope).inc()
            raise RateLimited(f"too many requests; try again in {math.ceil(wait_ms / 1000)} s",
                              retry_after=math.ceil(int(wait_ms) / 1000))
