"""Slack's rate-limit tiers, enforced with the gateway's own Redis token buckets
(gateway_tornado/ratelimit.py: the same Lua script, the same clock, the same
"let requests through when Redis is down" rule).

Slack limits each method per app and workspace, in tiers of requests per minute
(https://docs.slack.dev/apis/web-api/rate-limits): Tier 1 1+/min, Tier 2 20+/min,
Tier 3 50+/min, Tier 4 100+/min, and ``chat.postMessage`` ("special") about one
message per second per channel with short bursts. Here each (method, token)
has a bucket of its tier that refills at the tier's rate and holds one minute's
worth, so a client may spend a minute's budget at once; ``chat.postMessage``'s
bucket is per (token, channel). A call also takes a token from the person's
general bucket (``ratelimit.user_*``), like every Parley request.
A refused call answers 429 ``ratelimited`` with ``Retry-After`` in whole seconds.
"""
from __future__ import annotations

from ..ratelimit import Bucket, RateLimiter

TIER1, TIER2, TIER3, TIER4, POST = "slack_tier1", "slack_tier2", "slack_tier3", \
    "slack_tier4", "slack_post"
PER_MINUTE = {TIER1: 1, TIER2: 20, TIER3: 50, TIER4: 100}
POST_RATE, POST_BURST = 1.0, 30   # chat.postMessage: per second per channel, and at once

BUCKETS = {tier: Bucket(tier, n / 60.0, n) for tier, n in PER_MINUTE.items()}
BUCKETS[POST] = Bucket(POST, POST_RATE, POST_BURST)


def limiter(gateway) -> RateLimiter:
    """The Slack tiers' limiter on the gateway's Redis (made once per gateway)."""
    found = getattr(gateway, "_slack_limiter", None)
    if found is None:
        found = RateLimiter(gateway.limiter.redis, BUCKETS, prefix="parley:ratelimit:slack")
        gateway._slack_limiter = found
    return found


async def check(gateway, method: str, tier: str, who: str, user_id: str,
                channel: str | None = None) -> None:
    """Take one token for ``method`` called with the token ``who`` (Actor.limit_key)
    by ``user_id``, or raise RateLimited. Tier POST counts per channel."""
    await gateway.limiter.check("user", user_id)
    key = f"{method}:{who}" + (f":{channel}" if tier == POST and channel else "")
    await limiter(gateway).check(tier, key)
