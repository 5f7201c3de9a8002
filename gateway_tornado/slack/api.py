"""What every Slack method module uses: the registry of methods and a
:class:`Call` (one request's actor, arguments and helpers).

A method is an ``async def`` taking a Call and returning the fields of its
``{"ok": true, …}`` answer; it raises SlackError (or lets a Parley error
through, which web.py translates with the method's ``not_found``). It is
registered with :func:`method`, which says its rate-limit tier and the scopes
it always needs; scopes that depend on the conversation's kind are checked by
:meth:`Call.conversation`.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from services.common.errors import ParleyError
from services.common.logging import bind_request_id
from services.common.slack_scopes import conversation_scope

from ..handlers.base import BaseHandler, new_request_id

from . import ids, shapes
from .auth import Actor, resolver
from .errors import SlackError, invalid_arguments, translate

Handler = Callable[["Call"], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Method:
    name: str
    fn: Handler
    tier: str
    scopes: tuple[str, ...]
    not_found: str          # what a service's not_found means in this method
    per_channel: str = ""   # the argument a per-channel limit counts by (chat.postMessage)


METHODS: dict[str, Method] = {}


def method(name: str, tier: str, scopes: tuple[str, ...] = (),
           not_found: str = "channel_not_found", per_channel: str = "") -> Callable:
    def register(fn: Handler) -> Handler:
        METHODS[name] = Method(name, fn, tier, scopes, not_found, per_channel)
        return fn
    return register


class SlackHandler(BaseHandler):
    """The base of the Slack routes: Parley's request id, metrics and log line,
    but a Slack token instead of Parley's bearer check, and Slack's limits
    (ratelimits.py) instead of the general one, both once the token is read."""

    rate_limited = False

    async def prepare(self) -> None:
        self.request_id = new_request_id(self.request.headers.get("X-Request-Id"))
        bind_request_id(self.request_id)
        self.set_header("X-Request-Id", self.request_id)

    def answer_error(self, error: SlackError, status: int | None = None) -> None:
        if error.retry_after is not None:
            self.set_header("Retry-After", str(error.retry_after))
        self.send_json(error.body(), status=status or error.status)


# -- cursors ------------------------------------------------------------------------
def cursor(value: Any) -> str:
    """An opaque ``next_cursor`` for any JSON value (Slack's are base64 too)."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def uncursor(text: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(text.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        raise SlackError("invalid_cursor") from None


def page_meta(next_value: Any | None) -> dict[str, Any]:
    """``response_metadata`` with the next page's cursor, empty on the last page."""
    return {"response_metadata": {"next_cursor": cursor(next_value)
                                  if next_value is not None else ""}}


class Call:
    """One call of a Slack method."""

    def __init__(self, handler, actor: Actor, params: dict[str, Any], spec: Method):
        self.handler = handler
        self.gateway = handler.gateway
        self.actor = actor
        self.params = params
        self.spec = spec

    # -- services ---------------------------------------------------------------
    async def rpc(self, service: str, procedure: str, /, *args: Any, **kwargs: Any) -> Any:
        """``service.procedure(*args, **kwargs)`` with the request's context."""
        return await self.handler.rpc(service, procedure, *args, **kwargs)

    @property
    def me(self) -> str:
        return self.actor.user_id

    @property
    def base_url(self) -> str:
        request = self.handler.request
        return f"{request.protocol}://{request.host}"

    @property
    def team_id(self) -> str:
        return ids.team_id(self.gateway.cfg["workspace.id"])

    async def view(self, profiles: list[dict] = (), **extra: Any) -> shapes.View:
        """What shaping needs; ``profiles`` about to be shaped (a bot's among them
        is known as one at once, see TokenResolver.bots)."""
        bots = tuple(p["user_id"] for p in profiles if shapes.is_bot_profile(p))
        if self.actor.is_bot:
            bots += (self.me,)
        return shapes.View(team_id=self.team_id, base_url=self.base_url,
                           bots=await resolver(self.gateway).bots(self.handler.request_id,
                                                                  include=bots),
                           show_email="users:read.email" in self.actor.scopes, **extra)

    # -- arguments --------------------------------------------------------------
    def arg(self, name: str) -> Any:
        value = self.params.get(name)
        return None if value == "" else value

    def text(self, name: str, required: bool = False, default: str = "") -> str:
        value = self.arg(name)
        if value is None:
            if required:
                raise invalid_arguments(f"missing required field: {name}")
            return default
        if not isinstance(value, str):
            raise invalid_arguments(f"{name} must be a string")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.arg(name)
        if value is None:
            return max(low, min(high, default))
        if isinstance(value, bool) or not (isinstance(value, int) or
                                           (isinstance(value, str) and value.isdigit())):
            raise invalid_arguments(f"{name} must be a whole number")
        return max(low, min(high, int(value)))

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.arg(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true"):
            return True
        if str(value).lower() in ("0", "false"):
            return False
        raise invalid_arguments(f"{name} must be true or false")

    def structured(self, name: str, error: str = "") -> Any:
        """A JSON argument (blocks, files): a value in a JSON body, a JSON string in
        a form. ``error`` is the Slack code for one that is not valid JSON."""
        value = self.arg(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError(error) if error else invalid_arguments(
                    f"{name} must be JSON") from None
        return value

    def id_list(self, name: str) -> list[str]:
        """A comma-separated list (or a JSON list) of ids."""
        value = self.arg(name)
        if value is None:
            return []
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(item).strip() for item in items if str(item).strip()]

    # -- conversations ------------------------------------------------------------
    def channel_arg(self, name: str = "channel") -> str:
        found = ids.parley_channel(self.arg(name))
        if found is None:
            raise SlackError("channel_not_found")
        return found

    async def conversation(self, name: str = "channel", need: str = "read") -> dict:
        """The conversation named by argument ``name`` as the channels service shows
        it to the actor, after checking the scope to ``need`` (read, history,
        write) a conversation of its kind."""
        channel_id = self.channel_arg(name)
        try:
            channel = await self.rpc("channels", "get", self.me, channel_id)
        except ParleyError as exc:
            raise translate(exc, "channel_not_found") from None
        self.actor.require(conversation_scope(channel["kind"], need))
        return channel

    # -- messages -------------------------------------------------------------------
    async def message_at(self, channel_id: str, ts: Any, missing: str = "message_not_found"
                         ) -> dict:
        """The message whose ``ts`` this is (its seq, then the exact ts checked)."""
        return await message_at(self.rpc, self.me, channel_id, ts, missing)

    async def refusal(self, channel_id: str) -> SlackError:
        """Why a service refused the actor's write in a channel (its ``forbidden``
        says "only members post, and not in an archived channel"): ``is_archived``
        or ``not_in_channel``."""
        channel = await self.rpc("channels", "get", self.me, channel_id)
        return SlackError("is_archived" if channel.get("archived_at") else "not_in_channel")

    async def parents_of(self, channel_id: str, messages: list[dict]) -> dict[str, dict]:
        """The thread parents the replies among ``messages`` belong to."""
        known = {m["id"]: m for m in messages}
        wanted = {m["thread_parent_id"] for m in messages if m.get("thread_parent_id")}
        for parent_id in wanted - set(known):
            try:
                known[parent_id] = await self.rpc("messaging", "get", self.me, channel_id,
                                                  parent_id)
            except ParleyError:
                continue
        return {k: v for k, v in known.items() if k in wanted}


async def message_at(rpc, me: str, channel_id: str, ts: Any,
                     missing: str = "message_not_found") -> dict:
    """The message of ``channel_id`` whose ``ts`` this is, as ``me`` may see it: its
    seq (one slot read), then the exact ts checked; else SlackError(``missing``).
    ``rpc`` is ``(service, procedure, *args, **kwargs)`` with the caller's context."""
    seq = ids.seq_of_ts(ts)
    if seq is None:
        raise SlackError(missing)
    found = await rpc("messaging", "history", me, channel_id, after=seq - 1, limit=1)
    if not found or found[0]["seq"] != seq or ids.message_ts(found[0]) != ts:
        raise SlackError(missing)
    return found[0]
