"""REST: people (profiles, avatars, the directory, roles), their unread counters
and presence (users, presence services). The users service enforces
docs/permissions.md; these handlers only translate."""
from __future__ import annotations

import base64

from services.common.errors import InvalidInput

from ..activity import note_activity
from .base import BaseHandler


class PeopleHandler(BaseHandler):
    def actor(self) -> str:
        """The signed-in person, noted as active (see activity.py)."""
        user_id = self.authenticate()
        note_activity(self.gateway, user_id, self.request_id)
        return user_id

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
        self.send_json(await self.rpc("users", "update_profile", actor,
                                      self.body_json(required=True)))


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


class MyPresence(BaseHandler):
    """Set oneself away (whatever one's devices do) or back to automatic."""

    route = "me.presence"

    async def put(self):
        user_id = self.authenticate()
        status = await self.rpc("presence", "set_manual", user_id,
                                self.body_json().get("presence"))
        self.send_json({"user_id": user_id, "status": status})
