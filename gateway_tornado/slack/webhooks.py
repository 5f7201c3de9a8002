"""Incoming webhooks in Slack's format (docs/slack-compat.md, Incoming webhooks).

``POST /slack/hooks/T…/B<webhook id>/<secret>`` with a JSON body (or a form with a
``payload`` field holding it) ``{"text", "blocks"?, "thread_ts"?, "username"?,
"icon_emoji"?}`` posts as the webhook's bot user into the webhook's channel,
through ``chat.postMessage`` itself (chat.py). Answers as Slack's webhooks do: a
plain-text body, ``ok`` with 200, else the error code with its status
(:data:`STATUS`). Rate-limited like ``chat.postMessage`` (per webhook and channel,
on the gateway's Redis limiter): 429 ``rate_limited`` with ``Retry-After``.

Admins make webhooks with ``POST /api/v1/admin/webhooks`` (:class:`Webhooks`: the
auth service checks the role, keeps the secret's digest, audits; this route also
adds the bot to the channel) or ``auth.admin_create_webhook`` in ``nameko shell``.
"""
from __future__ import annotations

import json
from typing import Any

from services.common.errors import InvalidInput, ParleyError, RateLimited, Unauthenticated
from services.common.logging import get_logger

from ..handlers.channels import ChannelsHandler
from . import ids, ratelimits
from .api import METHODS, Call, SlackHandler
from .auth import BOT, Actor
from .chat import post_message
from .errors import SlackError, translate

log = get_logger(__name__)

# Slack's webhook codes (and what chat.postMessage's codes become) -> HTTP status
STATUS = {"invalid_payload": 400, "no_text": 400, "invalid_blocks": 400,
          "msg_too_long": 400, "invalid_thread_ts": 400, "no_service": 404, "no_team": 404,
          "channel_not_found": 404, "action_prohibited": 403, "channel_is_archived": 410,
          "rate_limited": 429}
FROM_CHAT = {"not_in_channel": "action_prohibited", "is_archived": "channel_is_archived",
             "thread_not_found": "invalid_thread_ts", "invalid_blocks_format": "invalid_blocks",
             "ratelimited": "rate_limited", "invalid_arguments": "invalid_payload"}
FIELDS = {"text": str, "blocks": list, "thread_ts": str, "username": str,
          "icon_emoji": str, "icon_url": str, "mrkdwn": bool, "unfurl_links": bool,
          "unfurl_media": bool, "attachments": list, "reply_broadcast": bool}


def hook_path(team_id: str, webhook_id: str, secret: str) -> str:
    return f"/slack/hooks/{team_id}/{ids.bot_id(webhook_id)}/{secret}"


class SlackWebhook(SlackHandler):
    route = "slack.hook"

    def check_xsrf_cookie(self) -> None:   # the URL is the credential
        return None

    async def post(self, team: str, hook: str, secret: str) -> None:
        try:
            await self._post(team, hook, secret)
        except SlackError as error:
            code = FROM_CHAT.get(error.code, error.code)
            if error.retry_after is not None:
                self.set_header("Retry-After", str(error.retry_after))
            self._answer(code, STATUS.get(code, 400))
            return
        except ParleyError as exc:
            log.warning("slack_hook_failed", code=exc.code, error=exc.message)
            self._answer("service_unavailable" if exc.status == 503 else "internal_error",
                         exc.status if exc.status >= 500 else 500)
            return
        self._answer("ok", 200)

    def _answer(self, body: str, status: int) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html")
        self.finish(body)

    async def _post(self, team: str, hook: str, secret: str) -> None:
        if team != ids.team_id(self.gateway.cfg["workspace.id"]):
            raise SlackError("no_team")
        webhook_id = ids.parley_bot(hook)
        if webhook_id is None:
            raise SlackError("no_service")
        payload = self._payload()
        try:
            found = await self.rpc("auth", "verify_webhook", webhook_id, secret)
        except Unauthenticated:
            raise SlackError("no_service") from None
        except ParleyError as exc:
            if exc.status >= 500:
                raise
            raise SlackError("no_service") from None
        self.user_id = found["user_id"]
        actor = Actor(user_id=found["user_id"], kind=BOT, scopes=frozenset({"chat:write"}),
                      bot_id=found["bot_id"], name=found["bot_name"],
                      token_id=f"hook-{webhook_id}")
        channel = ids.channel_id_of(found["channel_id"])
        spec = METHODS["chat.postMessage"]
        try:
            await ratelimits.check(self.gateway, "webhook", spec.tier, actor.limit_key,
                                   actor.user_id, channel)
        except RateLimited as exc:
            raise translate(exc) from None
        params = {"channel": channel, "text": payload.get("text") or "",
                  "blocks": payload.get("blocks"), "thread_ts": payload.get("thread_ts"),
                  "reply_broadcast": payload.get("reply_broadcast")}
        try:
            await post_message(Call(self, actor, {k: v for k, v in params.items()
                                                  if v is not None}, spec))
        except ParleyError as exc:
            if exc.status >= 500:
                raise
            raise translate(exc, "channel_not_found") from None

    def _payload(self) -> dict[str, Any]:
        """The JSON payload: the body, or a form's ``payload`` field; ``invalid_payload``
        unless it is an object whose known fields have their types."""
        body = self.request.body
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        try:
            if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                raw = self.get_body_argument("payload", "")
            else:
                raw = body.decode("utf-8")
            payload = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise SlackError("invalid_payload") from None
        if not isinstance(payload, dict) or any(
                name in payload and payload[name] is not None
                and not isinstance(payload[name], kind) for name, kind in FIELDS.items()):
            raise SlackError("invalid_payload")
        return payload


class Webhooks(ChannelsHandler):
    """``POST /api/v1/admin/webhooks`` ``{"bot", "channel_id", "key"?}`` (an owner or
    admin): 201 with the webhook and its ``url`` (200 for a repeat with the same
    ``key``), the bot added to the channel; ``GET``: every webhook (no secrets)."""

    route = "admin.webhooks"

    async def get(self):
        self.send_json({"webhooks": await self.rpc("auth", "list_webhooks",
                                                   self.authenticate())})

    async def post(self):
        actor = self.authenticate()
        body = self.only(self.body_json(required=True), ("bot", "channel_id", "key"))
        if not isinstance(body.get("channel_id"), str) or not body["channel_id"]:
            raise InvalidInput("channel_id is required")
        await self.rpc("channels", "get", actor, body["channel_id"])   # one they can see
        hook = await self.rpc("auth", "create_webhook", actor, body.get("bot", ""),
                              body.get("channel_id", ""), key=body.get("key"))
        await self.rpc("channels", "admin_add_member", hook["channel_id"], hook["user_id"])
        secret = hook.pop("secret")
        path = hook_path(ids.team_id(self.gateway.cfg["workspace.id"]), hook["webhook_id"],
                         secret) if secret else None
        base = f"{self.request.protocol}://{self.request.host}"
        self.send_json({**hook, "url": base + path if path else None},
                       status=201 if hook["created"] else 200)


class Webhook(ChannelsHandler):
    route = "admin.webhook"

    async def delete(self, webhook_id):
        self.send_json(await self.rpc("auth", "revoke_webhook", self.authenticate(),
                                      webhook_id))
