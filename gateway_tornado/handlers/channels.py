"""REST: channels and memberships (channels service)."""
from __future__ import annotations

from services.common.errors import InvalidInput

from .base import BaseHandler


class Channels(BaseHandler):
    route = "channels"

    async def get(self):
        self.send_json(await self.rpc("channels", "list_for_user", self.authenticate()))

    async def post(self):
        actor = self.authenticate()
        body = self.body_json()
        self.send_json(await self.rpc("channels", "create", actor, body.get("name", ""),
                                      bool(body.get("is_private", False))), status=201)


class Channel(BaseHandler):
    route = "channel"

    async def get(self, channel_id):
        self.send_json(await self.rpc("channels", "get", self.authenticate(), channel_id))


class ChannelJoin(BaseHandler):
    route = "channel.join"

    async def post(self, channel_id):
        self.send_json(await self.rpc("channels", "join", self.authenticate(), channel_id))


class ChannelMembers(BaseHandler):
    route = "channel.members"

    async def get(self, channel_id):
        self.send_json(await self.rpc("channels", "members", self.authenticate(), channel_id))


class ChannelRead(BaseHandler):
    route = "channel.read"

    async def post(self, channel_id):
        actor = self.authenticate()
        seq = self.body_json().get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise InvalidInput("seq must be a non-negative integer")
        self.send_json(await self.rpc("users", "mark_read", actor, channel_id, seq))
