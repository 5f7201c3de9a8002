"""REST: people (profiles, avatars, the directory, roles), their unread counters
and presence (users, presence services). The users service enforces
docs/permissions.md; these handlers only translate."""
from __future__ import annotations

import asyncio
import base64
import time

from services.common.errors import InvalidInput
from services.common.logging import get_logger

from .base import BaseHandler

log = get_logger(__name__)

TOUCH_EVERY = 60.0  # seconds: last activity is minute-grained
_touched: dict[str, float] = {}  # user id -> when this gateway last told users
_pending: set[asyncio.Task] = set()


def should_touch(user_id: str, now: float) -> bool:
    """At most once a minute per person and gateway (the service also writes at
    most once a minute, whatever the number of gateways)."""
    if now - _touched.get(user_id, float("-inf")) < TOUCH_EVERY:
        return False
    if len(_touched) > 100_000:
        _touched.clear()
    _touched[user_id] = now
    return True


class PeopleHandler(BaseHandler):
    def actor(self) -> str:
        """The signed-in person; tells the users service they are active (in the
        background: a slow or failed touch never delays or fails the request)."""
        user_id = self.authenticate()
        if should_touch(user_id, time.monotonic()):
            task = asyncio.ensure_future(self._touch(user_id))
            _pending.add(task)
            task.add_done_callback(_pending.discard)
        return user_id

    async def _touch(self, user_id: str) -> None:
        try:
            await self.rpc("users", "touch", user_id)
        except Exception as exc:  # noqa: BLE001 - best effort
            log.warning("touch_failed", user_id=user_id, error=str(exc))

    def int_argument(self, name: str, default: int | None = None) -> int | None:
        value = self.get_query_argument(name, None)
        if value is None or value == "":
            return default
        if not value.isdigit():
            raise InvalidInput(f"{name} must be a non-negative integer")
        return int(value)

    def bool_argument(self, name: str) -> bool:
        value = self.get_query_argument(name, "false").lower()
        if value not in ("true", "false", "1", "0"):
            raise InvalidInput(f"{name} must be true or false")
        return value in ("true", "1")


class Me(PeopleHandler):
    route = "me"

    async def get(self):
        # one's own profile: every role may see it (a deactivated person's
        # sessions have ended, so their token no longer gets here)
        self.send_json(await self.rpc("users", "get", self.actor()))

    async def patch(self):
        actor = self.actor()
        self.send_json(await self.rpc("users", "update_profile", actor, self.body_json()))


class MyAvatar(PeopleHandler):
    """PUT: the body is the image's bytes (PNG, JPEG, GIF or WebP)."""

    route = "me.avatar"

    async def put(self):
        actor = self.actor()
        image = base64.b64encode(self.request.body).decode()
        self.send_json(await self.rpc("users", "set_avatar", actor, image))

    async def delete(self):
        self.send_json(await self.rpc("users", "remove_avatar", self.actor()))


class MyUnread(PeopleHandler):
    route = "me.unread"

    async def get(self):
        self.send_json(await self.rpc("users", "unread_counts", self.actor()))


class Users(PeopleHandler):
    """The directory: ?q=<name prefix>&cursor=<next_cursor>&limit=<1..200>
    (&include_deactivated=true for owners and admins). The next page's cursor is
    both in the body and in ``X-Next-Cursor`` (absent on the last page)."""

    route = "users"

    async def get(self):
        actor = self.actor()
        page = await self.rpc(
            "users", "directory", actor, prefix=self.get_query_argument("q", ""),
            cursor=self.get_query_argument("cursor", None) or None,
            limit=self.int_argument("limit", 50),
            include_deactivated=self.bool_argument("include_deactivated"))
        if page.get("next_cursor"):  # like every paged route: also in X-Next-Cursor
            self.set_header("X-Next-Cursor", page["next_cursor"])
        self.send_json(page)


class User(PeopleHandler):
    route = "user"

    async def get(self, user_id):
        self.send_json(await self.rpc("users", "profile", self.actor(), user_id))


class UserRole(PeopleHandler):
    route = "user.role"

    async def put(self, user_id):
        actor = self.actor()
        role = self.body_json().get("role")
        if not isinstance(role, str):
            raise InvalidInput("role: one of owner, admin, member, guest")
        self.send_json(await self.rpc("users", "set_role", actor, user_id, role))


class UserDeactivate(PeopleHandler):
    route = "user.deactivate"

    async def post(self, user_id):
        self.send_json(await self.rpc("users", "deactivate", self.actor(), user_id))


class UserReactivate(PeopleHandler):
    route = "user.reactivate"

    async def post(self, user_id):
        self.send_json(await self.rpc("users", "reactivate", self.actor(), user_id))


class Presence(BaseHandler):
    route = "presence"

    async def get(self):
        self.authenticate()
        user_ids = [u for u in self.get_query_argument("user_ids", "").split(",") if u][:200]
        self.send_json(await self.rpc("presence", "get", user_ids))
