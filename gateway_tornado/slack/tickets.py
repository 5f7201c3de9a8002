"""Short-lived, single-use tickets for the Slack sockets' URLs (``rtm.connect``,
``apps.connections.open``): the URL carries a ticket, never the token.

A ticket is 32 random bytes (URL-safe) naming, in Redis, the :class:`Actor` that
asked for it; it lives ``TICKET_SECONDS`` and is deleted by the first connection
that presents it (GETDEL), so a leaked URL is worth nothing once used.
"""
from __future__ import annotations

import json
import secrets

import redis

from services.common.errors import ServiceUnavailable

from .auth import Actor

TICKET_SECONDS = 30
PREFIX = "parley:slack:ticket:"


def _redis(gateway):
    return gateway.sessions.redis


async def issue(gateway, actor: Actor, purpose: str) -> str:
    """A new ticket for ``actor`` to open a ``purpose`` socket (rtm, socket_mode)."""
    ticket = secrets.token_urlsafe(32)
    record = {"purpose": purpose, "user_id": actor.user_id, "kind": actor.kind,
              "scopes": sorted(actor.scopes), "bot_id": actor.bot_id, "app_id": actor.app_id,
              "name": actor.name, "token_id": actor.token_id,
              "sid": actor.claims.get("sid")}
    try:
        await _redis(gateway).set(PREFIX + ticket, json.dumps(record), ex=TICKET_SECONDS)
    except redis.RedisError as exc:
        raise ServiceUnavailable("tickets cannot be issued now") from exc
    return ticket


async def redeem(gateway, ticket: str, purpose: str) -> Actor | None:
    """The actor of ``ticket`` (now used up), or None if it is unknown, expired,
    used, or for another kind of socket."""
    if not ticket or len(ticket) > 100:
        return None
    try:
        raw = await _redis(gateway).getdel(PREFIX + ticket)
    except redis.RedisError as exc:
        raise ServiceUnavailable("tickets cannot be checked now") from exc
    if raw is None:
        return None
    record = json.loads(raw)
    if record.get("purpose") != purpose:
        return None
    return Actor(user_id=record["user_id"], kind=record["kind"],
                 scopes=frozenset(record["scopes"]), bot_id=record["bot_id"],
                 app_id=record["app_id"], name=record["name"], token_id=record["token_id"],
                 claims={"sid": record["sid"]} if record.get("sid") else {})
