"""REST: channels, conversations, memberships, read cursors and receipts (channels service).

The handlers authenticate and pass what the client sent; the channels service
validates it and enforces docs/permissions.md. Lists that come a page at a time
carry the next page's cursor in ``X-Next-Cursor`` (absent on the last page)."""
from __future__ import annotations

from typing import Any

from services.common.errors import InvalidInput

from .base import BaseHandler

CHANGEABLE = ("name", "topic", "purpose")
NOTIFICATION_FIELDS = ("level", "muted")


class ChannelsHandler(BaseHandler):
    """What the channel handlers share: query arguments and paged answers."""

    def int_argument(self, name: str) -> int | None:
        value = self.get_query_argument(name, None)
        if value is None:
            return None
        if not value.isdigit():
            raise InvalidInput(f"{name} must be a non-negative integer")
        return int(value)

    def page_arguments(self) -> dict[str, Any]:
        query: dict[str, Any] = {"cursor": self.get_query_argument("cursor", None) or None}
        limit = self.int_argument("limit")
        if limit is not None:
            query["limit"] = limit
        return query

    def send_page(self, payload: Any, next_cursor: str | None) -> None:
        if next_cursor:
            self.set_header("X-Next-Cursor", next_cursor)
        self.send_json(payload)

    def only(self, body: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
        """The body's fields, refusing any this route does not know (a typo would
        otherwise be silently ignored)."""
        unknown = sorted(set(body) - set(allowed))
        if unknown:
            raise InvalidInput(f"unknown field(s): {', '.join(unknown)}; "
                               f"expected some of: {', '.join(allowed)}")
        return body


class Channels(ChannelsHandler):
    route = "channels"

    async def get(self):
        self.send_json(await self.rpc("channels", "list_for_user", self.authenticate()))

    async def post(self):
        actor = self.authenticate()
        body = self.only(self.body_json(), ("name", "is_private", "topic", "purpose"))
        self.send_json(await self.rpc("channels", "create", actor, body.get("name", ""),
                                      body.get("is_private", False), body.get("topic", ""),
                                      body.get("purpose", "")), status=201)


class ChannelDirectory(ChannelsHandler):
    route = "channels.directory"

    async def get(self):
        actor = self.authenticate()
        archived = self.get_query_argument("archived", "false").lower()
        if archived not in ("true", "false", "1", "0"):
            raise InvalidInput("archived must be true or false")
        page = await self.rpc("channels", "directory", actor,
                              prefix=self.get_query_argument("q", ""),
                              include_archived=archived in ("true", "1"),
                              **self.page_arguments())
        self.send_page(page, page["next_cursor"])


class Channel(ChannelsHandler):
    route = "channel"

    async def get(self, channel_id):
        self.send_json(await self.rpc("channels", "get", self.authenticate(), channel_id))

    async def patch(self, channel_id):
        actor = self.authenticate()
        changes = self.only(self.body_json(), CHANGEABLE)
        self.send_json(await self.rpc("channels", "update", actor, channel_id, **changes))


class ChannelAction(ChannelsHandler):
    """A one-word action on a channel: POST, no body, the RPC of the same name."""

    action = ""

    async def post(self, channel_id):
        self.send_json(await self.rpc("channels", self.action, self.authenticate(), channel_id))


class ChannelArchive(ChannelAction):
    route, action = "channel.archive", "archive"


class ChannelUnarchive(ChannelAction):
    route, action = "channel.unarchive", "unarchive"


class ChannelJoin(ChannelAction):
    route, action = "channel.join", "join"


class ChannelLeave(ChannelAction):
    route, action = "channel.leave", "leave"


class ChannelMembers(ChannelsHandler):
    route = "channel.members"

    async def get(self, channel_id):
        """User ids in order of joining, a page at a time."""
        page = await self.rpc("channels", "members", self.authenticate(), channel_id,
                              **self.page_arguments())
        self.send_page(page["members"], page["next_cursor"])

    async def post(self, channel_id):
        """Invite: ``{"user_ids": [...]}``."""
        actor = self.authenticate()
        body = self.only(self.body_json(), ("user_ids",))
        self.send_json(await self.rpc("channels", "invite", actor, channel_id,
                                      body.get("user_ids", [])))


class ChannelMember(ChannelsHandler):
    route = "channel.member"

    async def delete(self, channel_id, user_id):
        self.send_json(await self.rpc("channels", "remove", self.authenticate(), channel_id,
                                      user_id))


class ChannelRead(ChannelsHandler):
    route = "channel.read"

    async def post(self, channel_id):
        actor = self.authenticate()
        seq = self.body_json().get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise InvalidInput("seq must be a non-negative integer")
        self.send_json(await self.rpc("channels", "mark_read", actor, channel_id, seq))


class ChannelNotifications(ChannelsHandler):
    route = "channel.notifications"

    async def put(self, channel_id):
        actor = self.authenticate()
        settings = self.only(self.body_json(), NOTIFICATION_FIELDS)
        self.send_json(await self.rpc("channels", "set_notifications", actor, channel_id,
                                      **settings))


class DirectMessages(ChannelsHandler):
    route = "dms"

    async def post(self):
        """Open the DM or group DM of ``user_ids`` and the caller: 201 when it was
        created, 200 when it existed."""
        actor = self.authenticate()
        body = self.only(self.body_json(), ("user_ids",))
        conversation = await self.rpc("channels", "open_dm", actor, body.get("user_ids", []))
        self.send_json(conversation, status=201 if conversation.pop("created") else 200)


class MessageReceipts(ChannelsHandler):
    route = "channel.message.receipts"

    async def get(self, channel_id, message_id):
        """Who has a message: messaging gives its seq and sender (and answers 404 for
        a message or channel the caller may not see), channels the cursors."""
        actor = self.authenticate()
        message = await self.rpc("messaging", "get", actor, channel_id, message_id)
        receipts = await self.rpc("channels", "receipts", actor, channel_id, message["seq"],
                                  message["sender_id"])
        self.send_json({"message_id": message["id"], **receipts})
