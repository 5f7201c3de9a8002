"""Bots and their API tokens, for the Slack-compatible API (docs/slack-compat.md).

A bot is an account (a credential whose hash is no password's, so it never signs
in, and a profile in the users service) with two tokens: a bot token
(``xoxb-…``, the scopes it was given) and an app-level token (``xapp-…``, scope
``connections:write``, for Socket Mode). Tokens are stored only as SHA-256
digests (opaque.digest), like refresh tokens. Each is
``<prefix>-<token id>-<HMAC of the token id under the signing key>``: a retried
creation (same ``key``, or same name) recomputes the same tokens from the stored
token id and answers exactly as the first call did, without storing them. After
the signing key rotated, a repeat cannot recompute them (it answers ``null``
tokens); ``rotate`` issues new ones.

Owners and admins create, list, rotate and revoke bots (``actor_id`` checked
with users.access); operators do it in `nameko shell` with the ``admin_*`` RPCs
(the system acts). Every change is in auth's audit log, in its own transaction.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, Forbidden, NotFound, Unauthenticated
from services.common.slack_scopes import APP_SCOPES, BOT_EMAIL_DOMAIN, BOT_SCOPES

from . import audit_trail, opaque, store
from .context import Ctx
from .models import ApiToken, Bot, Credential
from .schemas import NewBot

PREFIX = {"bot": "xoxb", "app": "xapp"}
MANAGERS = ("owner", "admin")
NO_PASSWORD = "!bot: signs in with its tokens only"   # not an argon2 hash: never matches


def check_manager(ctx: Ctx, actor_id: str | None) -> None:
    """Owners and admins manage bots; ``None`` is the system (nameko shell)."""
    if actor_id is None:
        return
    access = ctx.users.access(actor_id)
    if not access.get("active") or access.get("role") not in MANAGERS:
        raise Forbidden("only workspace owners and admins manage bots")


def token_text(ctx: Ctx, kind: str, token_id: str) -> str:
    mac = hmac.new(ctx.codec.secret.encode(), f"{PREFIX[kind]}:{token_id}".encode(),
                   hashlib.sha256).hexdigest()[:40]
    return f"{PREFIX[kind]}-{token_id}-{mac}"


def _issue(ctx: Ctx, bot: Bot, kind: str, scopes: list[str]) -> ApiToken:
    token_id = secrets.token_hex(12)
    row = ApiToken(token_hash=opaque.digest(token_text(ctx, kind, token_id)),
                   token_id=token_id, kind=kind, bot_id=bot.id, scopes=" ".join(scopes),
                   created_at=ctx.now)
    ctx.db.add(row)
    return row


def _live_tokens(ctx: Ctx, bot_id: str) -> list[ApiToken]:
    return list(ctx.db.scalars(select(ApiToken).where(ApiToken.bot_id == bot_id,
                                                      ApiToken.revoked_at.is_(None))))


def view(ctx: Ctx, bot: Bot, with_tokens: bool = False) -> dict[str, Any]:
    tokens = _live_tokens(ctx, bot.id)
    scopes = next((t.scopes.split() for t in tokens if t.kind == "bot"), [])
    answer = {"bot_id": bot.id, "user_id": bot.user_id, "app_id": bot.app_id,
              "name": bot.name, "scopes": scopes, "created_by": bot.created_by,
              "created_at": bot.created_at.isoformat(),
              "revoked_at": bot.revoked_at.isoformat() if bot.revoked_at else None}
    if with_tokens:
        for kind in PREFIX:
            text = None
            for row in tokens:
                candidate = token_text(ctx, kind, row.token_id)
                if row.kind == kind and opaque.digest(candidate) == row.token_hash:
                    text = candidate
            answer[f"{kind}_token"] = text
    return answer


def _existing(ctx: Ctx, data: NewBot) -> Bot | None:
    by_key = ctx.db.scalars(select(Bot).where(Bot.key == data.key)).one_or_none() \
        if data.key else None
    if by_key is not None:
        if by_key.name != data.name:
            raise Conflict(f"key {data.key!r} created the bot {by_key.name!r}")
        return by_key
    by_name = ctx.db.scalars(select(Bot).where(Bot.name == data.name)).one_or_none()
    if by_name is not None and data.key and by_name.key not in (None, data.key):
        raise Conflict(f"a bot named {data.name!r} already exists")
    return by_name


def create(ctx: Ctx, actor_id: str | None, data: NewBot) -> tuple[dict[str, Any], bool]:
    """The bot (with its tokens) and whether this call created it. Idempotent by
    ``key``, else by name. The caller makes its profile (users.ensure_profile)."""
    check_manager(ctx, actor_id)
    bot = _existing(ctx, data)
    if bot is not None:
        if bot.revoked_at is not None:
            raise Conflict(f"the bot {bot.name!r} was revoked; pick another name")
        return view(ctx, bot, with_tokens=True), False
    user_id = uuid.uuid4().hex
    bot = Bot(id=uuid.uuid4().hex, user_id=user_id, app_id=uuid.uuid4().hex, name=data.name,
              key=data.key, created_by=actor_id, created_at=ctx.now)
    ctx.db.add(Credential(user_id=user_id, email=bot_email(bot.id),
                          password_hash=NO_PASSWORD, active=True))
    ctx.db.flush()
    ctx.db.add(bot)
    ctx.db.flush()
    scopes = data.scopes or sorted(BOT_SCOPES)
    _issue(ctx, bot, "bot", scopes)
    _issue(ctx, bot, "app", list(APP_SCOPES))
    audit_trail.record(ctx, "auth.bot_created", actor_id, user_id,
                       {"bot_id": bot.id, "name": bot.name, "scopes": scopes})
    try:
        ctx.db.commit()
    except IntegrityError:  # a racing creation of the same bot won: answer with it
        ctx.db.rollback()
        again = _existing(ctx, data)
        if again is None:
            raise
        return view(ctx, again, with_tokens=True), False
    return view(ctx, bot, with_tokens=True), True


def bot_email(bot_id: str) -> str:
    return f"bot-{bot_id}@{BOT_EMAIL_DOMAIN}"


def find(ctx: Ctx, ref: str) -> Bot:
    bot = ctx.db.get(Bot, ref) if re.fullmatch(r"[0-9a-f]{32}", ref) else \
        ctx.db.scalars(select(Bot).where(Bot.name == ref)).one_or_none()
    if bot is None:
        raise NotFound("no such bot")
    return bot


def rotate(ctx: Ctx, actor_id: str | None, ref: str) -> dict[str, Any]:
    """New bot and app-level tokens (same scopes); the old ones stop working."""
    check_manager(ctx, actor_id)
    bot = find(ctx, ref)
    if bot.revoked_at is not None:
        raise Conflict("the bot was revoked")
    old = _live_tokens(ctx, bot.id)
    scopes = next((t.scopes.split() for t in old if t.kind == "bot"), sorted(BOT_SCOPES))
    for row in old:
        row.revoked_at = ctx.now
    _issue(ctx, bot, "bot", scopes)
    _issue(ctx, bot, "app", list(APP_SCOPES))
    audit_trail.record(ctx, "auth.bot_tokens_rotated", actor_id, bot.user_id,
                       {"bot_id": bot.id, "name": bot.name})
    ctx.db.commit()
    return view(ctx, bot, with_tokens=True)


def revoke(ctx: Ctx, actor_id: str | None, ref: str) -> dict[str, Any]:
    """Revoke the bot and all its tokens. Idempotent (a repeat records nothing)."""
    check_manager(ctx, actor_id)
    bot = find(ctx, ref)
    if bot.revoked_at is None:
        bot.revoked_at = ctx.now
        for row in _live_tokens(ctx, bot.id):
            row.revoked_at = ctx.now
        audit_trail.record(ctx, "auth.bot_revoked", actor_id, bot.user_id,
                           {"bot_id": bot.id, "name": bot.name})
        ctx.db.commit()
    return view(ctx, bot)


def listing(ctx: Ctx, actor_id: str | None) -> list[dict[str, Any]]:
    check_manager(ctx, actor_id)
    return [view(ctx, bot) for bot in ctx.db.scalars(select(Bot).order_by(Bot.created_at))]


def bot_users(ctx: Ctx) -> dict[str, dict[str, Any]]:
    """Every bot's user id -> its bot id, app id and name (revoked bots too: their
    messages are still a bot's)."""
    return {bot.user_id: {"bot_id": bot.id, "app_id": bot.app_id, "name": bot.name,
                          "revoked": bot.revoked_at is not None}
            for bot in ctx.db.scalars(select(Bot))}


def verify(ctx: Ctx, token: str) -> dict[str, Any]:
    """Who a bot or app-level token is, and what it may do."""
    row = ctx.db.get(ApiToken, opaque.digest(token))
    if row is None:
        raise Unauthenticated("token is not valid")
    if row.revoked_at is not None:
        raise Unauthenticated("token has been revoked")
    bot = ctx.db.get(Bot, row.bot_id)
    credential = store.credential(ctx.db, bot.user_id)
    if credential is None or not credential.active:
        raise Forbidden("the bot's account is deactivated")
    return {"kind": row.kind, "token_id": row.token_id, "bot_id": bot.id,
            "app_id": bot.app_id, "user_id": bot.user_id, "name": bot.name,
            "scopes": row.scopes.split()}
