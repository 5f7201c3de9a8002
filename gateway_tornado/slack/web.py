"""``/slack/api/<method>``: one handler for every Slack Web API method.

As Slack's API does (and slack_sdk expects): GET or POST; the token in
``Authorization: Bearer`` (or a ``token`` argument); arguments in the query
string, a form body (urlencoded or multipart) or a JSON body, an empty body
being no arguments whatever its content type; HTTP 200 with ``{"ok": true, …}``
or ``{"ok": false, "error": "<code>"}``, except ``ratelimited``: HTTP 429 with an
integer ``Retry-After``. Each request is logged and counted like every gateway
request (route ``slack.api``), with Parley's ``X-Request-Id``.

The order of checks: the method exists (``unknown_method``), the token
(``not_authed``, ``invalid_auth``, ``token_revoked``, ``account_inactive``), its
kind (app-level tokens call only what Socket Mode needs:
``not_allowed_token_type``), its scopes (``missing_scope``), the rate limits
(``ratelimited``), then the method itself.
"""
from __future__ import annotations

import json
from typing import Any

from services.common.errors import ParleyError
from services.common.logging import get_logger

from . import (auth_methods, chat, conversations, files, pins,  # noqa: F401 (registering)
               ratelimits, reactions, rtm, socket_mode, users)
from .api import METHODS, Call, SlackHandler
from .auth import APP, bearer, resolver
from .errors import SlackError, translate

log = get_logger(__name__)
APP_TOKEN_METHODS = {"auth.test", "apps.connections.open"}


class SlackApi(SlackHandler):
    route = "slack.api"

    async def get(self, name: str) -> None:
        await self._call(name)

    async def post(self, name: str) -> None:
        await self._call(name)

    def check_xsrf_cookie(self) -> None:  # tokens, never cookies
        return None

    async def _call(self, name: str) -> None:
        spec = METHODS.get(name)
        try:
            if spec is None:
                raise SlackError("unknown_method")
            params = self.arguments()
            actor = await resolver(self.gateway).resolve(bearer(self.request.headers, params),
                                                         self.request_id)
            self.user_id = actor.user_id
            if actor.kind == APP and name not in APP_TOKEN_METHODS:
                raise SlackError("not_allowed_token_type")
            actor.require(*spec.scopes)
            channel = params.get(spec.per_channel) if spec.per_channel else None
            await ratelimits.check(self.gateway, name, spec.tier, actor.limit_key,
                                   actor.user_id, channel if isinstance(channel, str) else None)
            answer = await spec.fn(Call(self, actor, params, spec))
        except SlackError as error:
            self.answer_error(error)
            return
        except ParleyError as exc:
            if exc.status >= 500:
                log.warning("slack_call_failed", method=name, code=exc.code, error=exc.message)
            self.answer_error(translate(exc, spec.not_found if spec else "channel_not_found"))
            return
        self.send_json({"ok": True, **answer})

    def arguments(self) -> dict[str, Any]:
        """The call's arguments: query string, then the body (form or JSON) over it."""
        params: dict[str, Any] = {k: self.decode_argument(v[-1])
                                  for k, v in self.request.query_arguments.items()}
        body = self.request.body
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not body.strip():
            return params
        if content_type == "application/json":
            try:
                parsed = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                raise SlackError("invalid_json") from None
            if not isinstance(parsed, dict):
                raise SlackError("json_not_object")
            params.update(parsed)
            return params
        for key, values in self.request.body_arguments.items():
            try:
                params[key] = values[-1].decode("utf-8")
            except UnicodeDecodeError:
                raise SlackError("invalid_form_data") from None
        return params
