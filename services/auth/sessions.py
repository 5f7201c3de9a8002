"""Sessions: opening one at login, rotating its refresh token, ending it.

A session is one sign-in. Its refresh tokens form a family: each is used once and
replaced by the next. Presenting a spent one means two parties hold the family
(a stolen token, or a client that lost the answer to its refresh): the whole
session ends, and both must log in again. Ending sessions is written to the
database first, then announced: a Redis key per session, which the gateways check
on every request, and a ``session.revoked`` event on the owner's real-time key,
which closes their open sockets at once.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

import redis
import structlog

from services.common.errors import NotFound, ServiceUnavailable, Unauthenticated
from services.common.events import Event, user_key
from services.common.revocation import SESSION_REVOKED, revoked_session_key
from services.common.times import as_utc

from . import opaque, store
from .context import Ctx
from .models import RefreshToken, Session

log = structlog.get_logger(__name__)


def open_session(ctx: Ctx, user_id: str) -> tuple[Session, str]:
    """A new session with its first refresh token (not committed)."""
    session = Session(id=uuid.uuid4().hex, user_id=user_id)
    ctx.db.add(session)
    ctx.db.flush()  # the session row before its refresh token's (no ORM relationship orders them)
    return session, add_refresh_token(ctx, session.id)


def add_refresh_token(ctx: Ctx, session_id: str) -> str:
    token, token_hash = opaque.new_token()
    ctx.db.add(RefreshToken(token_hash=token_hash, session_id=session_id, created_at=ctx.now,
                            expires_at=ctx.now + timedelta(seconds=ctx.settings.refresh_ttl)))
    return token


def token_pair(ctx: Ctx, session: Session, role: str, refresh_token: str) -> dict:
    """What login and refresh answer."""
    return {"user_id": session.user_id, "session_id": session.id, "token_type": "Bearer",
            "access_token": ctx.codec.issue(session.user_id, session.id, role=role),
            "expires_in": ctx.codec.access_ttl,
            "refresh_token": refresh_token, "refresh_expires_in": ctx.settings.refresh_ttl}


def refreshable(ctx: Ctx, token: str) -> tuple[RefreshToken, Session]:
    """The stored refresh token and its session, if the token may still be presented."""
    row = store.refresh_token(ctx.db, opaque.digest(token))
    if row is None:
        raise Unauthenticated("refresh token is not valid")
    session = store.session(ctx.db, row.session_id)
    if session.revoked_at is not None:
        raise Unauthenticated("session has ended")
    if as_utc(row.expires_at) <= ctx.now:
        raise Unauthenticated("refresh token has expired")
    return row, session


def rotate(ctx: Ctx, row: RefreshToken, session: Session) -> str:
    """Spend a refresh token and add its successor (not committed). A token that was
    spent already ends its session (committed and announced) and is refused."""
    if not store.spend(ctx.db, RefreshToken, row.token_hash, ctx.now):
        end(ctx, [session], "refresh_reuse")
        log.warning("refresh_token_reused", session_id=session.id, user_id=session.user_id)
        raise Unauthenticated("refresh token was already used: the session has ended")
    return add_refresh_token(ctx, session.id)


def verify(ctx: Ctx, token: str) -> dict:
    """An access token's claims, if it is valid and its session has not ended."""
    claims = ctx.codec.verify(token)
    session = store.session(ctx.db, claims["sid"])
    if session is None or session.revoked_at is not None:
        raise Unauthenticated("session has ended")
    return claims


def end_one(ctx: Ctx, user_id: str, session_id: str, reason: str) -> list[str]:
    session = store.session(ctx.db, session_id)
    if session is None or session.user_id != user_id:
        raise NotFound("no such session")
    return end(ctx, [session], reason)


def end(ctx: Ctx, sessions: list[Session], reason: str) -> list[str]:
    """End ``sessions`` (those not ended yet get ``reason``), commit, and announce
    all of them; announcing again is harmless, so a retried call repairs a lost one."""
    for session in sessions:
        if session.revoked_at is None:
            session.revoked_at, session.revoked_reason = ctx.now, reason
    ctx.db.commit()
    announce(ctx, sessions)
    return [session.id for session in sessions]


def end_all(ctx: Ctx, user_id: str, reason: str, keep: str | None = None) -> list[str]:
    """End every session of a user (but ``keep``), see :func:`end`."""
    since = ctx.now - timedelta(seconds=ctx.settings.revocation_ttl)
    return end(ctx, store.sessions_to_end(ctx.db, user_id, since, keep=keep), reason)


def announce(ctx: Ctx, sessions: list[Session]) -> None:
    if not sessions:
        return
    try:
        pipe = ctx.redis.pipeline(transaction=False)
        for session in sessions:
            pipe.set(revoked_session_key(session.id), session.revoked_reason or "revoked",
                     ex=ctx.settings.revocation_ttl)
        pipe.execute()
    except redis.RedisError as exc:
        # The database says ended; repeating the call announces it again.
        raise ServiceUnavailable(f"could not record the ended sessions: {exc}") from None
    by_user: dict[str, list[str]] = defaultdict(list)
    for session in sessions:
        by_user[session.user_id].append(session.id)
    for user_id, session_ids in by_user.items():
        try:
            ctx.publish(user_key(user_id), Event(type=SESSION_REVOKED, data={
                "user_id": user_id, "session_ids": session_ids}))
        except Exception:  # sockets also check Redis on their next frame
            log.warning("session_revoked_event_not_published", user_id=user_id, exc_info=True)
