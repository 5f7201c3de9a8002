"""Files: ``files.getUploadURLExternal``, the upload to its ``upload_url``,
``files.completeUploadExternal``, ``files.info``, ``files.delete``, and
``url_private`` (https://docs.slack.dev/messaging/working-with-files), on
messaging's file RPCs.

The upload flow slack_sdk's ``files_upload_v2`` follows:

1. ``files.getUploadURLExternal(filename, length)`` reserves the file
   (messaging.begin_upload) and answers ``upload_url``: an absolute URL of this
   server, ``/slack/upload/<ticket>``. The ticket is the URL's own credential (the
   SDK sends no token there): 256 random bits, kept in Redis for
   ``TICKET_SECONDS`` with the uploader, the file and the presigned S3 URL, and
   good for one upload.
2. The client POSTs the bytes there; the gateway streams them to S3 exactly as
   ``POST /api/v1/files`` does (handlers/files.py), checks and sniffs them
   (messaging.complete_upload) and answers ``200 OK - <bytes>``.
3. ``files.completeUploadExternal(files=[{id, title}], channel_id,
   initial_comment, thread_ts)`` shares them: one message carrying the files (its
   client id is derived from the first file's id, so a retried completion posts
   it once). Answers ``files``.

``url_private`` (``/slack/files/<F id>/<name>``) serves the bytes to a bearer of
a token with ``files:read`` that may read the file: the gateway streams them
from S3.
"""
from __future__ import annotations

import json
import secrets
from typing import Any

import tornado.escape
import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from services.common.errors import (Forbidden, InvalidInput, NotFound, ParleyError,
                                    ServiceUnavailable)
from ..handlers.files import Files
from . import ids, shapes
from .api import Call, SlackHandler, method
from .auth import bearer, resolver
from .errors import SlackError, invalid_arguments, translate
from .ratelimits import TIER3, TIER4

TICKET_SECONDS = 600
TICKET_PREFIX = "parley:slack:upload:"
MAX_SHARE = 10   # files in one message (messaging's limit)


# -- the upload ticket ------------------------------------------------------------------
async def issue_ticket(gateway, user_id: str, upload: dict, length: int) -> str:
    ticket = secrets.token_urlsafe(32)
    await gateway.limiter.redis.set(
        TICKET_PREFIX + ticket, json.dumps({"user_id": user_id, "file_id": upload["file_id"],
                                            "upload_url": upload["upload_url"],
                                            "length": length}), ex=TICKET_SECONDS)
    return ticket


@tornado.web.stream_request_body
class SlackUpload(Files):
    """``POST /slack/upload/<ticket>``: the bytes of a file reserved by
    files.getUploadURLExternal, streamed to S3 like every upload."""

    route = "slack.upload"

    async def reserve(self) -> tuple[str, dict, int]:
        key = TICKET_PREFIX + (self.path_args[0] if self.path_args else "")
        raw = await self.gateway.limiter.redis.get(key)
        if raw is None:
            raise NotFound("no such upload, or its URL has expired")
        ticket = json.loads(raw)
        declared = self._declared_length()
        if declared != ticket["length"]:
            raise InvalidInput(f"send the {ticket['length']} bytes announced, not {declared}")
        await self.gateway.limiter.redis.delete(key)   # one upload per URL
        return ticket["user_id"], ticket, declared

    def stored(self, file: dict) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"OK - {file['size']}")

    async def post(self, ticket: str) -> None:  # noqa: ARG002 - read in reserve()
        await super().post()


class SlackFile(SlackHandler):
    """``GET /slack/files/<F id>/<name>``: a file's bytes for a token with
    ``files:read`` whose actor may read the file (``url_private``)."""

    route = "slack.file"

    async def get(self, slack_file_id: str, name: str) -> None:  # noqa: ARG002
        try:
            actor = await resolver(self.gateway).resolve(bearer(self.request.headers, {}),
                                                         self.request_id)
            actor.require("files:read")
            await self.gateway.limiter.check("user", actor.user_id)
            file_id = ids.parley_file(slack_file_id)
            if file_id is None:
                raise SlackError("file_not_found")
            found = await self.rpc("messaging", "download_url", actor.user_id, file_id)
        except SlackError as error:
            self.refuse(error)
            return
        except ParleyError as exc:
            self.refuse(translate(exc, "file_not_found"))
            return
        await self.relay(found)

    def refuse(self, error: SlackError) -> None:
        self.answer_error(error, {"file_not_found": 404, "ratelimited": 429}.get(error.code, 403))

    async def relay(self, found: dict) -> None:
        """Stream the bytes from S3's presigned URL to the client."""
        state = {"ok": None}

        def header(line: str) -> None:
            if state["ok"] is None and line.startswith("HTTP/"):
                state["ok"] = line.split()[1] == "200"

        def chunk(data: bytes) -> None:
            if state["ok"]:
                self.write(data)
                self.flush()

        self.set_header("Content-Type", found["content_type"])
        self.set_header("Content-Length", str(found["size"]))
        download = "download" in self.request.arguments
        self.set_header("Content-Disposition", f"{'attachment' if download else 'inline'}; "
                        f"filename*=UTF-8''{tornado.escape.url_escape(found['filename'], False)}")
        response = await AsyncHTTPClient().fetch(HTTPRequest(
            found["url"], header_callback=header, streaming_callback=chunk,
            request_timeout=float(self.gateway.cfg["files.upload_timeout"])), raise_error=False)
        if response.code != 200:
            self.clear_header("Content-Length")
            raise ServiceUnavailable(f"file storage answered {response.code}")
        self.finish()


# -- methods ----------------------------------------------------------------------------
def parley_file(call: Call, value: Any) -> str:
    found = ids.parley_file(value)
    if found is None:
        raise SlackError("file_not_found")
    return found


@method("files.getUploadURLExternal", TIER4, scopes=("files:write",),
        not_found="file_not_found")
async def get_upload_url(call: Call) -> dict[str, Any]:
    filename = call.text("filename")
    if not filename:
        raise invalid_arguments("missing required field: filename")
    if call.arg("length") is None:
        raise invalid_arguments("missing required field: length")
    length = call.integer("length", 0, 0, 1 << 62)
    upload = await call.rpc("messaging", "begin_upload", call.me, filename,
                            "application/octet-stream", length)
    ticket = await issue_ticket(call.gateway, call.me, upload, length)
    return {"upload_url": f"{call.base_url}/slack/upload/{ticket}",
            "file_id": ids.file_id(upload["file_id"])}


def completions(call: Call) -> list[tuple[str, str | None]]:
    """``files``: ``[{"id": "F…", "title": "…"}]``, as (Parley file id, title)."""
    given = call.structured("files")
    if not isinstance(given, list) or not given or len(given) > MAX_SHARE or not all(
            isinstance(f, dict) for f in given):
        raise invalid_arguments("files must be a list of 1 to 10 objects with an id")
    return [(parley_file(call, f.get("id")), f.get("title") if isinstance(f.get("title"), str)
             else None) for f in given]


async def share(call: Call, channel_value: str, file_ids: list[str]) -> None:
    """Post one message in the channel carrying the files (idempotent)."""
    channel_id = ids.parley_channel(channel_value)
    if channel_id is None:
        raise SlackError("channel_not_found")
    parent_id = None
    if call.arg("thread_ts") is not None:
        parent = await call.message_at(channel_id, call.arg("thread_ts"),
                                       missing="thread_not_found")
        parent_id = parent.get("thread_parent_id") or parent["id"]
    try:
        await call.rpc("messaging", "send", call.me, channel_id, f"files-{file_ids[0]}",
                       text=call.text("initial_comment"), attachments=file_ids,
                       thread_parent_id=parent_id)
    except Forbidden:
        raise await call.refusal(channel_id) from None


@method("files.completeUploadExternal", TIER4, scopes=("files:write",),
        not_found="file_not_found")
async def complete_upload(call: Call) -> dict[str, Any]:
    wanted = completions(call)
    targets = ([call.arg("channel_id")] if call.arg("channel_id") else []) + \
        call.id_list("channels")
    if len(targets) > 1:
        raise invalid_arguments("share the files in one channel (channel_id)")
    done = []
    for file_id, _ in wanted:
        try:
            done.append(await call.rpc("messaging", "complete_upload", call.me, file_id))
        except InvalidInput:
            raise SlackError("file_not_found") from None   # its bytes never arrived
    if targets:
        await share(call, targets[0], [file_id for file_id, _ in wanted])
        channel_id = ids.parley_channel(targets[0])
        done = [{**doc, "channel_id": channel_id} for doc in done]
    view = await call.view()
    return {"files": [shapes.file(doc, view, title) for doc, (_, title) in zip(done, wanted)]}


@method("files.info", TIER4, scopes=("files:read",), not_found="file_not_found")
async def info(call: Call) -> dict[str, Any]:
    found = await call.rpc("messaging", "download_url", call.me,
                           parley_file(call, call.arg("file")))
    return {"file": shapes.file(found, await call.view()), "comments": [],
            "response_metadata": {"next_cursor": ""}}


@method("files.delete", TIER3, scopes=("files:write",), not_found="file_not_found")
async def delete(call: Call) -> dict[str, Any]:
    try:
        await call.rpc("messaging", "delete_file", call.me, parley_file(call, call.arg("file")))
    except Forbidden:
        raise SlackError("cant_delete_file") from None
    return {}
