"""The Slack upload URL and url_private (gateway_tornado/slack/files.py): the URL
files.getUploadURLExternal answers is absolute, needs no token, takes exactly the
announced bytes once and streams them to S3 like POST /api/v1/files; url_private
serves a file's bytes to a bearer with files:read. S3 is a small Tornado stub."""
from __future__ import annotations

import json

import pytest
import tornado.web
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

from gateway_tornado.tests.test_file_routes import s3  # noqa: F401 (the S3 stub fixture)
from services.common.errors import NotFound

ME = "a" * 32
FILE = "65b000000000000000000001"


@pytest.fixture
def reserved(rpc, s3):  # noqa: F811
    rpc.answer("messaging", "begin_upload", {"file_id": FILE, "upload_url": f"{s3.url}/k1"})
    rpc.answer("messaging", "complete_upload",
               lambda actor, file_id: {"id": file_id, "size": len(s3.stored.get("k1", b"")),
                                       "filename": "a.txt", "status": "ready"})

    async def reserve(fetch, bearer, length: int) -> dict:
        response = await fetch("/slack/api/files.getUploadURLExternal", method="POST",
                               headers={**bearer(ME), "Content-Type": "application/json"},
                               body=json.dumps({"filename": "a.txt", "length": length}))
        return json.loads(response.body)
    return reserve


async def post(url: str, body: bytes):
    return await AsyncHTTPClient().fetch(url, method="POST", body=body, raise_error=False)


async def test_the_upload_url_takes_the_announced_bytes_once_without_a_token(
        fetch, bearer, rpc, s3, reserved, base_url):  # noqa: F811
    answer = await reserved(fetch, bearer, 5)
    assert answer["ok"] and answer["file_id"] == "F" + FILE.upper()
    assert answer["upload_url"].startswith(f"{base_url}/slack/upload/")
    assert rpc.calls[0]["args"] == (ME, "a.txt", "application/octet-stream", 5)
    uploaded = await post(answer["upload_url"], b"hello")
    assert (uploaded.code, uploaded.body) == (200, b"OK - 5")
    assert s3.stored == {"k1": b"hello"}
    assert ("messaging", "complete_upload", (ME, FILE)) in \
        [(c["service"], c["method"], c["args"]) for c in rpc.calls]
    assert (await post(answer["upload_url"], b"hello")).code == 404   # used up


async def test_other_bytes_than_announced_are_refused_and_nothing_is_stored(
        fetch, bearer, s3, reserved):  # noqa: F811
    answer = await reserved(fetch, bearer, 5)
    refused = await post(answer["upload_url"], b"hello, world")
    assert refused.code == 400
    assert s3.stored == {}
    assert (await post(answer["upload_url"].rsplit("/", 1)[0] + "/nope", b"hello")).code == 404


@pytest.fixture
async def s3_get():
    class Get(tornado.web.RequestHandler):
        def get(self, key):
            self.write(b"file bytes" if key == "f1" else b"")
            self.set_status(200 if key == "f1" else 403)

    sock, port = bind_unused_port()
    server = HTTPServer(tornado.web.Application([(r"/bucket/(.*)", Get)]))
    server.add_sockets([sock])
    yield f"http://127.0.0.1:{port}/bucket"
    server.stop()


async def test_url_private_serves_the_bytes_to_a_bearer_who_may_read_them(
        fetch, bearer, rpc, s3_get):
    rpc.answer("messaging", "download_url", {"id": FILE, "filename": "a b.txt", "size": 10,
                                             "content_type": "text/plain",
                                             "url": f"{s3_get}/f1"})
    path = f"/slack/files/F{FILE.upper()}/a%20b.txt"
    response = await fetch(path, headers=bearer(ME))
    assert (response.code, response.body) == (200, b"file bytes")
    assert response.headers["Content-Type"] == "text/plain"
    assert rpc.calls[-1]["args"] == (ME, FILE)
    assert json.loads((await fetch(path)).body)["error"] == "not_authed"
    assert (await fetch(path)).code == 403
    rpc.answer("messaging", "download_url", NotFound("no such file"))
    missing = await fetch(path, headers=bearer(ME))
    assert (missing.code, json.loads(missing.body)["error"]) == (404, "file_not_found")
    assert (await fetch("/slack/files/FZZ/x.txt", headers=bearer(ME))).code == 404
