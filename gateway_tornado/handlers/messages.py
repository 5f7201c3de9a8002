"""REST: messages (messaging service); files are in files.py."""
from __future__ import annotations

from services.common.errors import InvalidInput

from .base import BaseHandler


class Messages(BaseHandler):
    route = "channel.messages"

    async def get(self, channel_id):
        actor = self.authenticate()
        query: dict = {}
        for name in ("before", "after", "around", "limit"):
            value = self.get_query_argument(name, None)
            if value is not None:
                if not value.isdigit():
                    raise InvalidInput(f"{name} must be a non-negative integer")
                query[name] = int(value)
        order = self.get_query_argument("order", None)
        if order is not None:
            query["order"] = order
        self.send_json(await self.rpc("messaging", "history", actor, channel_id, **query))

    async def post(self, channel_id):
        actor = self.authenticate()
        body = self.body_json()
        message = await self.rpc("messaging", "send", actor, channel_id,
                                 body.get("client_msg_id", ""), body.get("text", ""),
                                 body.get("attachments") or [],
                                 thread_parent_id=body.get("thread_parent_id"),
                                 also_to_channel=body.get("also_to_channel") is True)
        self.send_json(message, status=200 if message.pop("duplicate") else 201)


class MessageReplies(BaseHandler):
    """A thread: its replies, oldest first (reply by POSTing to the channel's
    messages with ``thread_parent_id``)."""

    route = "channel.message.replies"

    async def get(self, channel_id, message_id):
        actor = self.authenticate()
        query = {}
        for name in ("after", "limit"):
            value = self.get_query_argument(name, None)
            if value is not None:
                if not value.isdigit():
                    raise InvalidInput(f"{name} must be a non-negative integer")
                query[name] = int(value)
        self.send_json(await self.rpc("messaging", "thread", actor, channel_id, message_id,
                                      **query))


class Message(BaseHandler):
    """One message: read, edit (author), delete (author, owners, admins)."""

    route = "channel.message"

    async def get(self, channel_id, message_id):
        self.send_json(await self.rpc("messaging", "get", self.authenticate(), channel_id,
                                      message_id))

    async def patch(self, channel_id, message_id):
        actor = self.authenticate()
        text = self.body_json().get("text")
        if not isinstance(text, str):
            raise InvalidInput("text: a string is required")
        self.send_json(await self.rpc("messaging", "edit", actor, channel_id, message_id, text))

    async def delete(self, channel_id, message_id):
        self.send_json(await self.rpc("messaging", "delete", self.authenticate(), channel_id,
                                      message_id))


class MessagePin(BaseHandler):
    route = "channel.message.pin"

    async def post(self, channel_id, message_id):
        self.send_json(await self.rpc("messaging", "pin", self.authenticate(), channel_id,
                                      message_id, True))

    async def delete(self, channel_id, message_id):
        self.send_json(await self.rpc("messaging", "pin", self.authenticate(), channel_id,
                                      message_id, False))


class ChannelPins(BaseHandler):
    """The channel's pinned messages, the newest pin first (messaging keeps the
    list; pin and unpin are MessagePin)."""

    route = "channel.pins"

    async def get(self, channel_id):
        self.send_json(await self.rpc("messaging", "pins", self.authenticate(), channel_id))


class MessageReaction(BaseHandler):
    """PUT adds the caller's reaction, DELETE takes it away; both idempotent. The
    emoji is URL-encoded in the path (a short name or a unicode emoji)."""

    route = "channel.message.reaction"

    async def put(self, channel_id, message_id, emoji):
        self.send_json(await self.rpc("messaging", "react", self.authenticate(), channel_id,
                                      message_id, emoji, True))

    async def delete(self, channel_id, message_id, emoji):
        self.send_json(await self.rpc("messaging", "react", self.authenticate(), channel_id,
                                      message_id, emoji, False))
