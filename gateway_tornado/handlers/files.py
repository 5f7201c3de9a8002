"""REST: files (messaging service). Uploads stream through the gateway to S3.

Why a single streaming PUT to a presigned URL, with the client's Content-Length,
rather than an S3 multipart upload:

- S3 stores a PUT only when every byte its Content-Length announced arrived, so
  an upload that stops early (the client went away, or lied about its length)
  leaves nothing behind, with no multipart state to abort and no parts to clean
  up if the gateway dies mid-way.
- Memory stays bounded by a small queue of Tornado's read chunks (64 KiB each):
  ``data_received`` waits while the queue is full, so Tornado stops reading the
  client's socket until S3 has taken the bytes (back-pressure end to end).
  Multipart would hold a whole part (5 MiB at least) per upload instead.
- One request to S3 instead of one per part, and no part bookkeeping in
  messaging. A single PUT's 5 GB ceiling is far above the limit here.

The price is that the client must send Content-Length (no chunked uploads: 411),
which every browser and HTTP library does for a file. The limit is checked
against it before a single body byte is read (413), and the gateway's general
body limit (``gateway.max_body_bytes``) is raised for this one request only.
After the bytes are in S3, messaging checks their length, sniffs their type and
makes a thumbnail (``complete_upload``).
"""
from __future__ import annotations

import asyncio
import json

import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from services.common.errors import (InvalidInput, LengthRequired, ParleyError,
                                    ServiceUnavailable, TooLarge)
from services.common.logging import get_logger
from services.common.metrics import UPLOAD_BYTES, UPLOADS

from .base import BaseHandler

log = get_logger(__name__)
QUEUED_CHUNKS = 8      # chunks waiting for S3, per upload (Tornado reads 64 KiB at a time)
REFUSED_LINGER = 1.0   # seconds a refused upload's sender is held before the close
_END, _ABORT = object(), object()
_s3_http: AsyncHTTPClient | None = None


def s3_http() -> AsyncHTTPClient:
    """One client for uploads, with more connections than Tornado's shared one
    (10), which other requests use."""
    global _s3_http
    if _s3_http is None:
        _s3_http = AsyncHTTPClient(force_instance=True, max_clients=100)
    return _s3_http


@tornado.web.stream_request_body
class Files(BaseHandler):
    """``POST /files?filename=…``: the body is the file's bytes."""

    route = "files"

    async def prepare(self) -> None:
        await super().prepare()
        self._chunks: asyncio.Queue = asyncio.Queue(QUEUED_CHUNKS)
        self._received = 0
        self._put: asyncio.Task | None = None
        self._file_id: str | None = None
        self._aborted = self._discarded = False
        self._refused = False
        self._drained = 0
        if self.request.method != "POST":
            return
        length = self.request.headers.get("Content-Length", "")
        if length.isdigit():  # this request's own limit is files.max_upload_bytes
            self.request.connection.set_max_body_size(
                max(int(length), int(self.gateway.cfg["gateway.max_body_bytes"])))
        try:
            self._actor, upload, declared = await self.reserve()
        except ParleyError as exc:
            await self._refuse(exc)
            return
        self._file_id, self._declared = upload["file_id"], declared
        self._put = asyncio.ensure_future(s3_http().fetch(HTTPRequest(
            upload["upload_url"], method="PUT", body_producer=self._produce,
            headers={"Content-Length": str(declared)}, connect_timeout=10,
            request_timeout=float(self.gateway.cfg["files.upload_timeout"])),
            raise_error=False))

    async def reserve(self) -> tuple[str, dict, int]:
        """Who uploads, where to (messaging.begin_upload's answer: ``file_id``,
        ``upload_url``) and how many bytes. The Slack API's upload URL
        (gateway_tornado/slack/files.py) reserves differently and streams the same."""
        actor = self.authenticate()
        declared = self._declared_length()
        upload = await self.rpc("messaging", "begin_upload", actor,
                                self.get_query_argument("filename", ""),
                                self.request.headers.get("Content-Type",
                                                         "application/octet-stream"),
                                declared)
        return actor, upload, declared

    def stored(self, file: dict) -> None:
        """Answer a completed upload (messaging.complete_upload's file)."""
        self.send_json(file, status=201)

    async def _refuse(self, exc: ParleyError) -> None:
        """Answer at once, before the body is read, but do not close at once:
        closing while the client (or Traefik) is still sending makes the kernel
        reset the connection, and an answer Traefik has not read yet is lost with
        it (it reports a 502 instead). So the first piece of body after the answer
        is held for REFUSED_LINGER seconds (reading stops, so the sender stalls on
        TCP flow control while Traefik passes the answer on), later pieces are
        dropped up to ``gateway.max_body_bytes``, then the connection is closed."""
        self._refused = True
        body = json.dumps({"error": exc.to_dict()}).encode()
        self.set_status(exc.status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Content-Length", str(len(body)))
        self.set_header("Connection", "close")
        self.write(body)
        await self.flush()

    def _declared_length(self) -> int:
        """The body's length from Content-Length, refused when missing or too large."""
        raw = self.request.headers.get("Content-Length")
        if raw is None or "chunked" in self.request.headers.get("Transfer-Encoding", ""):
            raise LengthRequired("send the file with a Content-Length header")
        if not raw.isdigit():
            raise InvalidInput("Content-Length must be a number")
        limit = int(self.gateway.cfg["files.max_upload_bytes"])
        if int(raw) > limit:
            raise TooLarge(f"a file is at most {limit} bytes")
        return int(raw)

    async def data_received(self, chunk: bytes) -> None:
        if self._refused:  # answered already: drop the body, up to a point
            if not self._drained:
                await asyncio.sleep(REFUSED_LINGER)
            self._drained += len(chunk)
            if self._drained > int(self.gateway.cfg["gateway.max_body_bytes"]) and \
                    not self._finished:
                self.finish()  # Tornado closes the connection: the body is unread
            return
        self._received += len(chunk)
        if self._received > self._declared:  # HTTP framing forbids it; never trust that
            self._abort()
            return
        await self._offer(chunk)

    async def _offer(self, item) -> None:
        """Queue ``item`` for the PUT, waiting while the queue is full, unless the
        PUT has ended early (S3 failed or the upload was aborted): post() reports it."""
        put = asyncio.ensure_future(self._chunks.put(item))
        await asyncio.wait({put, self._put}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()

    async def _produce(self, write) -> None:
        while True:
            chunk = await self._chunks.get()
            if chunk is _END:
                return
            if chunk is _ABORT:
                raise ConnectionAbortedError("the upload was abandoned")
            await write(chunk)

    async def post(self) -> None:
        if self._refused:
            self.finish()
            return
        if self._received != self._declared:
            self._abort()
            raise InvalidInput(f"{self._received} bytes arrived, not the "
                               f"{self._declared} declared")
        await self._offer(_END)
        try:
            response = await self._put
        except Exception as exc:  # noqa: BLE001 - connection refused, reset, timed out
            response, problem = None, str(exc)
        else:
            problem = f"file storage answered {response.code}"
        if response is None or response.code != 200:
            await self._discard()
            raise ServiceUnavailable(problem)
        stored = await self.rpc("messaging", "complete_upload", self._actor, self._file_id)
        UPLOADS.inc()
        UPLOAD_BYTES.inc(self._received)
        self.stored(stored)

    def on_connection_close(self) -> None:
        """The client went away before the declared bytes arrived (or Traefik
        gave up on it): stop the PUT, so that S3 stores nothing, and forget the file."""
        super().on_connection_close()
        if self._put is not None and not self._finished and not self._refused:
            self._abort()

    def _abort(self) -> None:
        if self._aborted:
            return
        self._aborted = True
        while not self._chunks.empty():  # make room: the producer must see the abort now
            self._chunks.get_nowait()
        self._chunks.put_nowait(_ABORT)
        asyncio.ensure_future(self._discard())

    async def _discard(self) -> None:
        """Forget the file (and whatever S3 may hold of it), once."""
        if self._discarded:
            return
        self._discarded = True
        if self._put is not None:
            await asyncio.wait({self._put})
            if not self._put.cancelled():
                self._put.exception()  # expected when aborted: retrieved, not logged
        try:
            await self.rpc("messaging", "delete_file", self._actor, self._file_id)
        except Exception as exc:  # noqa: BLE001 - best effort: a pending file is never served
            log.warning("upload_discard_failed", file_id=self._file_id, error=str(exc))


class File(BaseHandler):
    """``GET /files/{id}``: presigned URLs (``?expires_in=`` seconds, capped);
    ``DELETE``: the uploader, owners and admins remove the file."""

    route = "file"

    async def get(self, file_id):
        actor = self.authenticate()
        raw = self.get_query_argument("expires_in", None)
        kwargs = {}
        if raw is not None:
            if not raw.isdigit():
                raise InvalidInput("expires_in must be a whole number of seconds")
            kwargs["expires_in"] = int(raw)
        self.send_json(await self.rpc("messaging", "download_url", actor, file_id, **kwargs))

    async def delete(self, file_id):
        self.send_json(await self.rpc("messaging", "delete_file", self.authenticate(),
                                      file_id))
