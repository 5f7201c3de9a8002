"""The general request body limit (``gateway.max_body_bytes``), answered in JSON.

Tornado enforces ``HTTPServer(max_body_size=…)`` while it reads the body, before
any handler runs, and answers a body over it with a bare ``400 Bad Request`` (or
just closes the connection). This delegate sits in front of the application and
looks at ``Content-Length`` as soon as the headers arrive: a body declared larger
than the limit is answered at once with a 413 ``too_large`` error envelope, and no
handler runs. The upload route (``POST /api/v1/files``) is left alone: it sets its
own, larger limit from its Content-Length (handlers/files.py).

The answer goes out before the body is read; the connection stays open while the
body is read and dropped, up to ``DRAIN_FACTOR`` times the limit, because closing
while the client (or Traefik) is still sending makes the kernel reset the
connection and the answer is lost. A body declared larger than that is dropped up
to that point, then the connection is closed (the answer says ``Connection:
close``). A chunked body without Content-Length cannot be judged early: over the
limit, Tornado still closes it with a bare 400.
"""
from __future__ import annotations

import json

from tornado import httputil
from tornado.httpserver import HTTPServer

from services.common.errors import TooLarge

from .handlers.base import new_request_id

UPLOAD_PATH = "/api/v1/files"   # POST: its own limit, files.max_upload_bytes
DRAIN_FACTOR = 2


def http_server(app: httputil.HTTPServerConnectionDelegate, limit: int) -> HTTPServer:
    """The gateway's HTTP server: ``app`` behind the body limit."""
    return HTTPServer(BodyLimit(app, limit), xheaders=True, max_body_size=limit)


class BodyLimit(httputil.HTTPServerConnectionDelegate):
    def __init__(self, app: httputil.HTTPServerConnectionDelegate, limit: int):
        self.app = app
        self.limit = limit

    def start_request(self, server_conn: object,
                      request_conn: httputil.HTTPConnection) -> httputil.HTTPMessageDelegate:
        return _Request(self, self.app.start_request(server_conn, request_conn), request_conn)

    def on_close(self, server_conn: object) -> None:
        self.app.on_close(server_conn)


class _Request(httputil.HTTPMessageDelegate):
    """Passes everything on to the application's delegate, unless the declared body
    is too large: then answers 413 itself and drops the body."""

    def __init__(self, limit: BodyLimit, inner: httputil.HTTPMessageDelegate,
                 connection: httputil.HTTPConnection):
        self.inner = inner
        self.connection = connection
        self.limit = limit.limit
        self.refused = False
        self.drained = 0
        self.finished = False
        self.drain_cap: int | None = None   # drop this much, then close

    def headers_received(self, start_line, headers):
        declared = headers.get("Content-Length", "")
        if (declared.isdigit() and int(declared) > self.limit
                and not (start_line.method == "POST"
                         and start_line.path.split("?", 1)[0] == UPLOAD_PATH)):
            self._refuse(int(declared), headers)
            return None
        return self.inner.headers_received(start_line, headers)

    def _refuse(self, declared: int, headers: httputil.HTTPHeaders) -> None:
        self.refused = True
        body = json.dumps({"error": TooLarge(
            f"a request body is at most {self.limit} bytes").to_dict()}).encode()
        answer = httputil.HTTPHeaders({"Content-Type": "application/json",
                                       "Content-Length": str(len(body)),
                                       "X-Request-Id": new_request_id(headers.get("X-Request-Id"))})
        drain = DRAIN_FACTOR * self.limit
        if declared > drain:
            answer["Connection"] = "close"
        # read (and drop) the body rather than fail on it
        self.connection.set_max_body_size(declared)
        self.connection.write_headers(
            httputil.ResponseStartLine("HTTP/1.1", 413, "Payload Too Large"), answer, body)
        self.drain_cap = drain if declared > drain else None

    def data_received(self, chunk: bytes):
        if not self.refused:
            return self.inner.data_received(chunk)
        self.drained += len(chunk)
        if self.drain_cap is not None and self.drained > self.drain_cap:
            self._finish()   # Tornado closes the connection: the rest is unread
        return None

    def finish(self) -> None:
        if not self.refused:
            self.inner.finish()
            return
        self._finish()

    def on_connection_close(self) -> None:
        if not self.refused:
            self.inner.on_connection_close()

    def _finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.connection.finish()

