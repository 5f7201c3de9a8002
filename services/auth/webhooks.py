"""Incoming webhooks of the Slack-compatible API (docs/slack-compat.md): a bot's
secret URL ``/slack/hooks/T…/B<webhook id>/<secret>`` that posts into one channel.

Made by owners and admins (``actor_id``, checked like bots) or operators (the
``admin_*`` RPCs). The secret is an HMAC of the webhook id under the signing key,
recomputed (never stored) so a retried creation (same ``key``) answers the same
URL; only its SHA-256 is kept. Creating and revoking are audited.
"""
from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, NotFound, Unauthenticated

from . import audit_trail, opaque
from .bots import check_manager, find
from .context import Ctx
from .models import Bot, Webhook
from .schemas import NewWebhook


def secret_of(ctx: Ctx, webhook_id: str) -> str:
    return hmac.new(ctx.codec.secret.encode(), f"hook:{webhook_id}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def view(ctx: Ctx, hook: Webhook, bot: Bot, with_secret: bool = False) -> dict[str, Any]:
    answer = {"webhook_id": hook.id, "bot_id": bot.id, "user_id": bot.user_id,
              "bot_name": bot.name, "channel_id": hook.channel_id,
              "created_by": hook.created_by, "created_at": hook.created_at.isoformat(),
              "revoked_at": hook.revoked_at.isoformat() if hook.revoked_at else None}
    if with_secret:
        secret = secret_of(ctx, hook.id)
        answer["secret"] = secret if opaque.digest(secret) == hook.secret_hash else None
    return answer


def create(ctx: Ctx, actor_id: str | None, data: NewWebhook) -> tuple[dict[str, Any], bool]:
    """The webhook (with its secret) and whether this call made it; idempotent by
    ``key`` (the same key for another bot or channel is a conflict)."""
    check_manager(ctx, actor_id)
    bot = find(ctx, data.bot)
    if bot.revoked_at is not None:
        raise Conflict("the bot was revoked")
    existing = ctx.db.scalars(select(Webhook).where(Webhook.key == data.key)).one_or_none() \
        if data.key else None
    if existing is not None:
        if (existing.bot_id, existing.channel_id) != (bot.id, data.channel_id):
            raise Conflict(f"key {data.key!r} made a webhook for another bot or channel")
        return view(ctx, existing, bot, with_secret=True), False
    hook_id = uuid.uuid4().hex
    hook = Webhook(id=hook_id, bot_id=bot.id, channel_id=data.channel_id, key=data.key,
                   secret_hash=opaque.digest(secret_of(ctx, hook_id)), created_by=actor_id,
                   created_at=ctx.now)
    ctx.db.add(hook)
    audit_trail.record(ctx, "auth.webhook_created", actor_id, bot.user_id,
                       {"webhook_id": hook_id, "bot_id": bot.id, "channel_id": data.channel_id})
    try:
        ctx.db.commit()
    except IntegrityError:   # a racing creation with the same key won: answer with it
        ctx.db.rollback()
        return create(ctx, actor_id, data)
    return view(ctx, hook, bot, with_secret=True), True


def _find(ctx: Ctx, webhook_id: str) -> tuple[Webhook, Bot]:
    hook = ctx.db.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound("no such webhook")
    return hook, ctx.db.get(Bot, hook.bot_id)


def revoke(ctx: Ctx, actor_id: str | None, webhook_id: str) -> dict[str, Any]:
    """The webhook stops working for good. Idempotent (a repeat records nothing)."""
    check_manager(ctx, actor_id)
    hook, bot = _find(ctx, webhook_id)
    if hook.revoked_at is None:
        hook.revoked_at = ctx.now
        audit_trail.record(ctx, "auth.webhook_revoked", actor_id, bot.user_id,
                           {"webhook_id": hook.id, "channel_id": hook.channel_id})
        ctx.db.commit()
    return view(ctx, hook, bot)


def listing(ctx: Ctx, actor_id: str | None) -> list[dict[str, Any]]:
    check_manager(ctx, actor_id)
    rows = ctx.db.execute(select(Webhook, Bot).join(Bot, Bot.id == Webhook.bot_id)
                          .order_by(Webhook.created_at))
    return [view(ctx, hook, bot) for hook, bot in rows]


def verify(ctx: Ctx, webhook_id: str, secret: str) -> dict[str, Any]:
    """Who posts through this webhook and where; ``Unauthenticated`` if the secret
    is wrong or the webhook (or its bot) was revoked."""
    hook = ctx.db.get(Webhook, webhook_id)
    if hook is None or not hmac.compare_digest(opaque.digest(secret), hook.secret_hash):
        raise Unauthenticated("no such webhook")
    bot = ctx.db.get(Bot, hook.bot_id)
    if hook.revoked_at is not None or bot.revoked_at is not None:
        raise Unauthenticated("the webhook has been revoked")
    return view(ctx, hook, bot)
