"""REST API under /api/v1 (documented in docs/api/openapi.yaml)."""
from __future__ import annotations

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from services.common.errors import InvalidInput, ServiceUnavailable

from .base import BaseHandler


class Register(BaseHandler):
    route = "auth.register"

    async def post(self):
        body = self.body_json()
        account = await self.rpc("auth", "register", body.get("email", ""),
                                 body.get("password", ""), body.get("display_name", ""))
        profile = await self.rpc("users", "ensure_profile", account["user_id"],
                                 account["email"], body.get("display_name", "").strip())
        self.send_json(profile, status=201 if account["created"] else 200)


class Login(BaseHandler):
    route = "auth.login"

    async def post(self):
        body = self.body_json()
        self.send_json(await self.rpc("auth", "login", body.get("email", ""),
                                      body.get("password", "")))


class Me(BaseHandler):
    route = "me"

    async def get(self):
        self.send_json(await self.rpc("users", "get", self.authenticate()))


class MyUnread(BaseHandler):
    route = "me.unread"

    async def get(self):
        self.send_json(await self.rpc("users", "unread_counts", self.authenticate()))


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


class Messages(BaseHandler):
    route = "channel.messages"

    async def get(self, channel_id):
        actor = self.authenticate()
        query = {}
        for name in ("before", "after", "limit"):
            value = self.get_query_argument(name, None)
            if value is not None:
                if not value.isdigit():
                    raise InvalidInput(f"{name} must be a non-negative integer")
                query[name] = int(value)
        self.send_json(await self.rpc("messaging", "history", actor, channel_id, **query))

    async def post(self, channel_id):
        actor = self.authenticate()
        body = self.body_json()
        message = await self.rpc("messaging", "send", actor, channel_id,
                                 body.get("client_msg_id", ""), body.get("text", ""),
                                 body.get("attachments") or [])
        self.send_json(message, status=200 if message.pop("duplicate") else 201)


class Files(BaseHandler):
    """Upload: the body is the file's bytes; the gateway streams them to the
    presigned S3 URL the messaging service hands out, then confirms."""

    route = "files"

    async def post(self):
        actor = self.authenticate()
        filename = self.get_query_argument("filename", "")
        content_type = self.request.headers.get("Content-Type", "application/octet-stream")
        upload = await self.rpc("messaging", "begin_upload", actor, filename, content_type,
                                len(self.request.body))
        response = await AsyncHTTPClient().fetch(HTTPRequest(
            upload["upload_url"], method="PUT", body=self.request.body,
            headers={"Content-Type": content_type}, request_timeout=60), raise_error=False)
        if response.code != 200:
            raise ServiceUnavailable(f"file storage answered {response.code}")
        self.send_json(await self.rpc("messaging", "complete_upload", actor, upload["file_id"]),
                       status=201)


class File(BaseHandler):
    route = "file"

    async def get(self, file_id):
        self.send_json(await self.rpc("messaging", "download_url", self.authenticate(), file_id))


class Presence(BaseHandler):
    route = "presence"

    async def get(self):
        self.authenticate()
        user_ids = [u for u in self.get_query_argument("user_ids", "").split(",") if u][:200]
        self.send_json(await self.rpc("presence", "get", user_ids))
