"""Is an access token's session still live? One Redis EXISTS per authenticated
request or socket frame, no RPC: auth writes a key for every session it ends
(services/common/revocation.py). If Redis cannot answer, the request is refused
with ``service_unavailable`` rather than let a possibly revoked token through."""
from __future__ import annotations

import redis

from services.common.errors import ServiceUnavailable, Unauthenticated
from services.common.logging import get_logger
from services.common.revocation import revoked_session_key

log = get_logger(__name__)

SESSION_ENDED = "session has ended"


class SessionCheck:
    def __init__(self, client):
        self.redis = client   # redis.asyncio.Redis (fakeredis in tests)

    async def is_revoked(self, session_id: str) -> bool:
        try:
            return bool(await self.redis.exists(revoked_session_key(session_id)))
        except redis.RedisError as exc:
            log.error("session_check_failed", error=str(exc))
            raise ServiceUnavailable("cannot check sessions right now; try again") from None

    async def revoked_among(self, session_ids) -> set[str]:
        """Which of these sessions have ended, in one round trip (the heartbeat)."""
        ids = sorted(set(session_ids))
        if not ids:
            return set()
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for session_id in ids:
                    pipe.exists(revoked_session_key(session_id))
                found = await pipe.execute()
        except redis.RedisError as exc:
            log.error("session_check_failed", error=str(exc))
            raise ServiceUnavailable("cannot check sessions right now; try again") from None
        return {session_id for session_id, ended in zip(ids, found) if ended}

    async def ensure_live(self, session_id: str) -> None:
        if await self.is_revoked(session_id):
            raise Unauthenticated(SESSION_ENDED)

    async def close(self) -> None:
        await self.redis.aclose()
