"""Presence: who is online, kept in Redis by the gateways' socket sessions.

A person is online while at least one of their sessions is alive. Each session
is a key with a time-to-live that the gateway refreshes on heartbeats, so a
gateway that dies takes its sessions offline within ``SESSION_TTL`` seconds.
"""
from __future__ import annotations

from nameko.rpc import rpc

from services.common.dependencies import RedisClient
from services.common.service_base import ParleyService

SESSION_TTL = 60


def _session_key(session_id):
    return f"presence:session:{session_id}"


def _user_key(user_id):
    return f"presence:user:{user_id}"


class Service(ParleyService):
    name = "presence"

    redis = RedisClient()

    @rpc
    def connect(self, user_id, session_id):
        """Record a live socket session (also the heartbeat). Idempotent."""
        pipe = self.redis.pipeline()
        pipe.set(_session_key(session_id), user_id, ex=SESSION_TTL)
        pipe.sadd(_user_key(user_id), session_id)
        pipe.expire(_user_key(user_id), SESSION_TTL * 2)
        pipe.execute()
        return self._status(user_id)

    @rpc
    def disconnect(self, user_id, session_id):
        pipe = self.redis.pipeline()
        pipe.delete(_session_key(session_id))
        pipe.srem(_user_key(user_id), session_id)
        pipe.execute()
        return self._status(user_id)

    @rpc
    def get(self, user_ids):
        return {user_id: self._status(user_id) for user_id in user_ids}

    def _status(self, user_id):
        sessions = self.redis.smembers(_user_key(user_id))
        if not sessions:
            return "offline"
        alive = self.redis.exists(*(_session_key(s) for s in sessions))
        return "online" if alive else "offline"
