"""POST /api/v1/files: the body streams through the gateway into one S3 PUT as it
arrives, within the configured size, and an upload that fails or stops short is
forgotten. S3 here is a small Tornado server that records what reaches it."""
from __future__ import annotations

import asyncio
import json
from urllib.parse import urlparse

import pytest
import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

from services.common.errors import InvalidInput


class S3Stub:
    """Takes PUTs as streams: ``received`` grows chunk by chunk, ``stored`` holds
    only bodies that arrived whole (as S3 does); ``status`` is what it answers."""

    def __init__(self):
        self.received = bytearray()
        self.stored: dict[str, bytes] = {}
        self.status = 200
        self.lengths: list[str] = []


@pytest.fixture
async def s3():
    stub = S3Stub()

    @tornado.web.stream_request_body
    class Put(tornado.web.RequestHandler):
        def prepare(self):
            stub.lengths.append(self.request.headers.get("Content-Length"))
            self.body = bytearray()

        def data_received(self, chunk):
            self.body += chunk
            stub.received.extend(chunk)

        def put(self, key):
            if stub.status == 200:
                stub.stored[key] = bytes(self.body)
            self.set_status(stub.status)

    sock, port = bind_unused_port()
    server = HTTPServer(tornado.web.Application([(r"/bucket/(.*)", Put)]))
    server.add_sockets([sock])
    stub.url = f"http://127.0.0.1:{port}/bucket"
    yield stub
    server.stop()


@pytest.fixture
def uploads(rpc, s3):
    """messaging's upload RPCs, scripted: a file id and a PUT URL on the stub."""
    rpc.answer("messaging", "begin_upload",
               lambda actor, name, claimed, size: {"file_id": "f1",
                                                   "upload_url": f"{s3.url}/f1?sig=x"})
    rpc.answer("messaging", "complete_upload",
               lambda actor, file_id: {"id": file_id, "content_type": "image/png"})
    rpc.answer("messaging", "delete_file", lambda actor, file_id: {"id": file_id})
    return rpc


async def bare_post(base_url, headers: dict, body: bytes) -> bytes:
    """A POST whose body may be shorter than its Content-Length; the client then
    hangs up. Returns whatever came back."""
    parsed = urlparse(base_url)
    reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(f"POST /api/v1/files?filename=a.bin HTTP/1.1\r\nHost: x\r\n{head}\r\n"
                 .encode() + body)
    await writer.drain()
    writer.write_eof()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


async def test_an_upload_is_reserved_put_to_s3_and_completed(fetch, bearer, uploads, s3):
    data = bytes(range(256)) * 1000
    response = await fetch("/api/v1/files?filename=photo.png", "POST", data,
                           {**bearer("ada"), "Content-Type": "image/gif"})
    assert response.code == 201
    assert json.loads(response.body) == {"id": "f1", "content_type": "image/png"}
    assert s3.stored == {"f1": data} and s3.lengths == [str(len(data))]
    assert uploads.methods_called() == ["messaging.begin_upload", "messaging.complete_upload"]
    assert uploads.calls[0]["args"] == ("ada", "photo.png", "image/gif", len(data))


async def test_bytes_reach_s3_before_the_client_has_sent_them_all(base_url, bearer, uploads,
                                                                  s3):
    """Streamed, not buffered: the client sends its second half only once S3 has
    received part of the first, which a gateway holding the body could never do."""
    half = b"x" * 256 * 1024

    async def body(write):
        await write(half)
        for _ in range(200):
            if s3.received:
                break
            await asyncio.sleep(0.01)
        assert s3.received, "nothing reached S3 while the client was still sending"
        await write(half)

    response = await AsyncHTTPClient().fetch(HTTPRequest(
        f"{base_url}/api/v1/files?filename=a.bin", method="POST", body_producer=body,
        headers={**bearer(), "Content-Length": str(2 * len(half))}), raise_error=False)
    assert response.code == 201
    assert s3.stored["f1"] == half * 2


async def test_an_upload_declared_too_large_is_refused_before_anything_happens(
        base_url, config, bearer, uploads, s3):
    limit = int(config["files.max_upload_bytes"])
    answer = await bare_post(base_url, {**bearer(), "Content-Length": str(limit + 1)}, b"x")
    assert answer.startswith(b"HTTP/1.1 413")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["code"] == "too_large"
    assert uploads.calls == [] and s3.lengths == []


async def test_an_upload_without_a_length_is_refused(base_url, bearer, uploads, s3):
    async def body(write):
        await write(b"chunked bytes")
    response = await AsyncHTTPClient().fetch(HTTPRequest(
        f"{base_url}/api/v1/files?filename=a.bin", method="POST", body_producer=body,
        headers=bearer()), raise_error=False)
    assert response.code == 411
    assert json.loads(response.body)["error"]["code"] == "length_required"
    assert uploads.calls == [] and s3.lengths == []


async def test_an_upload_that_stops_short_stores_nothing_and_is_forgotten(
        base_url, bearer, uploads, s3):
    answer = await bare_post(base_url, {**bearer("ada"), "Content-Length": "500000"},
                             b"y" * 200_000)
    assert not answer.startswith(b"HTTP/1.1 201")
    for _ in range(100):
        if "messaging.delete_file" in uploads.methods_called():
            break
        await asyncio.sleep(0.02)
    assert uploads.methods_called() == ["messaging.begin_upload", "messaging.delete_file"]
    assert uploads.calls[1]["args"] == ("ada", "f1")
    assert s3.stored == {}


async def test_a_failing_s3_is_service_unavailable_and_the_file_is_forgotten(
        fetch, bearer, uploads, s3):
    s3.status = 500
    response = await fetch("/api/v1/files?filename=a.bin", "POST", b"z" * 1000, bearer())
    assert response.code == 503
    assert uploads.methods_called() == ["messaging.begin_upload", "messaging.delete_file"]


async def test_a_refusal_from_messaging_is_answered_as_it_is(fetch, bearer, rpc, s3):
    rpc.answer("messaging", "begin_upload", InvalidInput("filename: at least 1 character"))
    response = await fetch("/api/v1/files", "POST", b"z" * 1000, bearer())
    assert response.code == 400
    assert json.loads(response.body)["error"]["code"] == "invalid_input"
    assert s3.lengths == []


async def test_an_upload_needs_a_signed_in_person(fetch, rpc, s3):
    response = await fetch("/api/v1/files?filename=a.bin", "POST", b"z" * 10)
    assert response.code == 401
    assert rpc.calls == [] and s3.lengths == []


async def test_other_routes_keep_the_general_body_limit(served_as_in_production, config,
                                                        rpc):
    limit = int(config["gateway.max_body_bytes"])
    response = await AsyncHTTPClient().fetch(HTTPRequest(
        f"{served_as_in_production}/api/v1/channels", method="POST", body=b"x" * (limit + 1)),
        raise_error=False)
    assert response.code == 413
    assert json.loads(response.body)["error"]["code"] == "too_large"
    assert rpc.calls == []


async def test_an_upload_may_exceed_the_general_body_limit(served_as_in_production, config,
                                                          bearer, uploads, s3):
    data = b"b" * (int(config["gateway.max_body_bytes"]) + 1)
    response = await AsyncHTTPClient().fetch(HTTPRequest(
        f"{served_as_in_production}/api/v1/files?filename=a.bin", method="POST", body=data,
        headers=bearer()), raise_error=False)
    assert response.code == 201
    assert len(s3.stored["f1"]) == len(data)


async def test_a_download_url_may_be_asked_to_expire_sooner(fetch, bearer, rpc):
    rpc.answer("messaging", "download_url",
               lambda actor, file_id, **kw: {"id": file_id, "expires_in": kw.get("expires_in")})
    response = await fetch("/api/v1/files/f1?expires_in=2", headers=bearer("ada"))
    assert json.loads(response.body) == {"id": "f1", "expires_in": 2}
    assert (await fetch("/api/v1/files/f1?expires_in=soon", headers=bearer())).code == 400


async def test_deleting_a_file_asks_messaging(fetch, bearer, rpc):
    rpc.answer("messaging", "delete_file", lambda actor, file_id: {"id": file_id,
                                                                   "deleted": True})
    response = await fetch("/api/v1/files/f1", "DELETE", headers=bearer("ada"))
    assert json.loads(response.body) == {"id": "f1", "deleted": True}
    assert rpc.calls[-1]["args"] == ("ada", "f1")
