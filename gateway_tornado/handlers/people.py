"""REST: people, their unread counters and presence (users, presence services)."""
from __future__ import annotations

from .base import BaseHandler


class Me(BaseHandler):
    route = "me"

    async def get(self):
        self.send_json(await self.rpc("users", "get", self.authenticate()))


class MyUnread(BaseHandler):
    route = "me.unread"

    async def get(self):
        self.send_json(await self.rpc("users", "unread_counts", self.authenticate()))


class Presence(BaseHandler):
    route = "presence"

    async def get(self):
        self.authenticate()
        user_ids = [u for u in self.get_query_argument("user_ids", "").split(",") if u][:200]
        self.send_json(await self.rpc("presence", "get", user_ids))
