"""Files, end to end through Traefik on the real stack: uploads stream through a
gateway into SeaweedFS, messaging sniffs and thumbnails them in FerretDB's and
S3's real company, and downloads are presigned URLs that S3 itself refuses once
they expire or once the file is gone.

Every person is new, so the S3 prefix ``files/<their id>/`` holds only what the
test uploaded: "nothing stored" is checked there, in SeaweedFS itself."""
from __future__ import annotations

import asyncio
import io
import json
import uuid
from urllib.parse import urlencode, urlparse

from PIL import Image
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from services.common.config import get_config
from services.common.stores import s3_client
from tests.support.client import Person, unique_email


async def someone(base_url, prefix="files") -> Person:
    return await Person(base_url, unique_email(prefix)).sign_up()


def png(width=640, height=480) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (20, 160, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def upload(person: Person, data: bytes, filename="file.bin",
                 content_type="application/octet-stream"):
    return await person.call("POST", f"/files?{urlencode({'filename': filename})}", raw=data,
                             headers={"Content-Type": content_type})


async def fetch(url: str):
    """GET a presigned URL straight from S3 (not through Parley)."""
    return await AsyncHTTPClient().fetch(HTTPRequest(url, request_timeout=20),
                                         raise_error=False)


def stored_objects(person: Person) -> list[str]:
    """What SeaweedFS holds under the person's upload prefix."""
    s3 = s3_client()
    listing = s3.list_objects_v2(Bucket=get_config()["s3.bucket"],
                                 Prefix=f"files/{person.user_id}/")
    return [item["Key"] for item in listing.get("Contents", [])]


async def raw_upload(base_url: str, person: Person, declared: int, body: bytes) -> bytes:
    """An upload over a bare socket that sends ``body`` whatever Content-Length
    says, then ends its side of the connection, as a client that gave up.
    Returns what came back, maybe nothing."""
    reader, writer = await _post_headers(base_url, person, "/api/v1/files?filename=lie.bin",
                                         declared)
    writer.write(body)
    await writer.drain()
    writer.write_eof()
    try:
        return await asyncio.wait_for(reader.read(), 30)
    except (ConnectionError, asyncio.TimeoutError):
        return b""
    finally:
        writer.close()


async def streaming_post(base_url: str, person: Person, path: str,
                         declared: int) -> tuple[bytes, int]:
    """A POST whose body is sent in 64 KiB pieces for as long as the server takes
    them (as a browser sends a file) while the answer is read. Returns the
    answer's first bytes (empty if the connection was reset before any came)
    and how many body bytes the server accepted."""
    reader, writer = await _post_headers(base_url, person, path, declared)
    sent = 0

    async def pump():
        nonlocal sent
        while sent < declared:
            writer.write(b"x" * 65536)
            await writer.drain()
            sent += 65536
    pumping = asyncio.ensure_future(pump())
    try:
        try:
            answer = await asyncio.wait_for(reader.read(1000), 30)
        except ConnectionResetError:
            answer = b""
        await asyncio.wait_for(asyncio.wait({pumping}), 30)  # until the server cuts it off
    finally:
        pumping.cancel()
        writer.close()
    return answer, sent


async def _post_headers(base_url, person, path, declared):
    parsed = urlparse(base_url)
    reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
    writer.write((f"POST {path} HTTP/1.1\r\nHost: {parsed.netloc}\r\n"
                  f"Authorization: Bearer {person.token}\r\nContent-Length: {declared}\r\n"
                  "Content-Type: application/octet-stream\r\n\r\n").encode())
    return reader, writer


async def channel_with(owner: Person, *members: Person) -> str:
    created = await owner.call("POST", "/channels", {"name": f"files-{uuid.uuid4().hex[:8]}"})
    assert created.status == 201, created.body
    for member in members:
        joined = await member.call("POST", f"/channels/{created.body['id']}/join")
        assert joined.status == 200, joined.body
    return created.body["id"]


async def post(person: Person, channel_id: str, *file_ids: str, client_msg_id=None):
    return await person.call("POST", f"/channels/{channel_id}/messages",
                             {"client_msg_id": client_msg_id or uuid.uuid4().hex,
                              "text": "see attached", "attachments": list(file_ids)})


# -- uploading ----------------------------------------------------------------------------
async def test_an_uploaded_image_is_sniffed_measured_and_thumbnailed(base_url):
    ada = await someone(base_url)
    image = png(640, 480)
    done = await upload(ada, image, filename="holiday.png", content_type="image/png")
    assert done.status == 201, done.body
    assert {k: done.body[k] for k in ("filename", "size", "content_type", "width", "height",
                                      "has_thumbnail", "uploader_id", "status")} == {
        "filename": "holiday.png", "size": len(image), "content_type": "image/png",
        "width": 640, "height": 480, "has_thumbnail": True, "uploader_id": ada.user_id,
        "status": "ready"}

    urls = await ada.call("GET", f"/files/{done.body['id']}")
    assert urls.status == 200, urls.body
    original, thumbnail = await fetch(urls.body["url"]), await fetch(urls.body["thumbnail_url"])
    assert (original.code, original.body) == (200, image)
    assert original.headers["Content-Type"] == "image/png"
    assert thumbnail.code == 200
    assert Image.open(io.BytesIO(thumbnail.body)).size == (360, 270)


async def test_a_file_that_is_not_an_image_has_no_thumbnail(base_url):
    ada = await someone(base_url)
    done = await upload(ada, PDF, filename="report.pdf")
    assert done.status == 201, done.body
    assert (done.body["content_type"], done.body["width"], done.body["has_thumbnail"]) == (
        "application/pdf", None, False)
    urls = await ada.call("GET", f"/files/{done.body['id']}")
    assert urls.body["thumbnail_url"] is None
    assert (await fetch(urls.body["url"])).body == PDF


async def test_the_type_the_client_claims_is_ignored(base_url):
    ada = await someone(base_url)
    html = b"<html><script>alert(1)</script></html>"
    done = await upload(ada, html, filename="cat.png", content_type="image/png")
    assert done.status == 201, done.body
    assert (done.body["content_type"], done.body["has_thumbnail"]) == ("text/plain", False)
    served = await fetch((await ada.call("GET", f"/files/{done.body['id']}")).body["url"])
    assert served.headers["Content-Type"] == "text/plain"
    assert served.headers["Content-Disposition"].startswith("attachment;")


async def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(base_url):
    ada = await someone(base_url)
    too_many = int(get_config()["files.max_upload_bytes"]) + 1
    answer, sent = await streaming_post(base_url, ada, "/api/v1/files?filename=big.bin",
                                        too_many)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413", answer[:300]
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"]["code"] == "too_large"
    assert sent < too_many // 4  # cut off long before the declared bytes went through
    assert stored_objects(ada) == []


async def test_an_upload_without_a_length_is_refused(base_url):
    ada = await someone(base_url)

    async def chunks(write):
        await write(b"some bytes")
    response = await AsyncHTTPClient().fetch(HTTPRequest(
        f"{ada.api}/files?filename=a.txt", method="POST", body_producer=chunks,
        headers={"Authorization": f"Bearer {ada.token}"}), raise_error=False)
    assert response.code == 411
    assert stored_objects(ada) == []


async def test_an_upload_shorter_than_its_content_length_stores_nothing(base_url):
    ada = await someone(base_url)
    answer = await raw_upload(base_url, ada, 300_000, b"y" * 100_000)
    assert not answer.startswith(b"HTTP/1.1 201"), answer[:300]
    # the gateway abandons the PUT (S3 keeps no partial object) and forgets the file
    await asyncio.sleep(1)
    assert stored_objects(ada) == []
    honest = await upload(ada, b"y" * 100_000)  # the gateway still serves the person
    assert honest.status == 201
    assert stored_objects(ada) == [f"files/{ada.user_id}/{honest.body['id']}/original"]


# -- downloading --------------------------------------------------------------------------
async def test_members_of_the_channel_get_the_file_and_others_get_not_found(base_url):
    ada, bob, eve = await someone(base_url), await someone(base_url), await someone(base_url)
    channel_id = await channel_with(ada, bob)
    file_id = (await upload(ada, PDF, filename="plan.pdf")).body["id"]
    assert (await bob.call("GET", f"/files/{file_id}")).status == 404  # not shared yet
    sent = await post(ada, channel_id, file_id)
    assert sent.status == 201, sent.body
    assert sent.body["attachments"][0]["id"] == file_id
    got = await bob.call("GET", f"/files/{file_id}")
    assert got.status == 200 and got.body["channel_id"] == channel_id
    assert (await fetch(got.body["url"])).body == PDF
    refused = await eve.call("GET", f"/files/{file_id}")
    assert (refused.status, refused.body["error"]["code"]) == (404, "not_found")


async def test_an_expired_url_is_refused_by_s3(base_url):
    ada = await someone(base_url)
    file_id = (await upload(ada, PDF)).body["id"]
    short = await ada.call("GET", f"/files/{file_id}?expires_in=2")
    assert short.body["expires_in"] == 2
    assert (await fetch(short.body["url"])).code == 200
    await asyncio.sleep(3.5)  # SigV4 dates have whole seconds
    assert (await fetch(short.body["url"])).code == 403
    longest = int(get_config()["s3.presign_seconds"])
    too_long = await ada.call("GET", f"/files/{file_id}?expires_in={longest + 1}")
    assert (too_long.status, too_long.body["error"]["code"]) == (400, "invalid_input")


# -- attaching and deleting ---------------------------------------------------------------
async def test_another_persons_file_cannot_be_attached(base_url):
    ada, bob = await someone(base_url), await someone(base_url)
    channel_id = await channel_with(ada, bob)
    file_id = (await upload(ada, PDF)).body["id"]
    refused = await post(bob, channel_id, file_id)
    assert (refused.status, refused.body["error"]["code"]) == (404, "not_found")
    history = await bob.call("GET", f"/channels/{channel_id}/messages")
    assert history.body == []


async def test_a_file_goes_with_one_message_only_and_a_resend_is_fine(base_url):
    ada = await someone(base_url)
    channel_id = await channel_with(ada)
    file_id = (await upload(ada, PDF)).body["id"]
    first = await post(ada, channel_id, file_id, client_msg_id="m-1")
    resent = await post(ada, channel_id, file_id, client_msg_id="m-1")
    assert (first.status, resent.status, resent.body["id"]) == (201, 200, first.body["id"])
    second = await post(ada, channel_id, file_id, client_msg_id="m-2")
    assert (second.status, second.body["error"]["code"]) == (409, "conflict")


async def test_deleting_the_message_removes_its_files_from_s3(base_url):
    ada = await someone(base_url)
    channel_id = await channel_with(ada)
    file_id = (await upload(ada, png(), filename="p.png")).body["id"]
    urls = (await ada.call("GET", f"/files/{file_id}")).body
    message = (await post(ada, channel_id, file_id)).body
    deleted = await ada.call("DELETE", f"/channels/{channel_id}/messages/{message['id']}")
    assert deleted.status == 200 and deleted.body["attachments"] == []
    assert stored_objects(ada) == []
    for url in (urls["url"], urls["thumbnail_url"]):  # signed before, refused now
        assert (await fetch(url)).code in (403, 404)
    assert (await ada.call("GET", f"/files/{file_id}")).status == 404


async def test_the_uploader_deletes_a_file_and_a_repeat_is_not_found(base_url):
    ada, bob = await someone(base_url), await someone(base_url)
    channel_id = await channel_with(ada, bob)
    file_id = (await upload(ada, png(), filename="p.png")).body["id"]
    await post(ada, channel_id, file_id)
    assert (await bob.call("DELETE", f"/files/{file_id}")).status == 403
    gone = await ada.call("DELETE", f"/files/{file_id}")
    assert (gone.status, gone.body) == (200, {"id": file_id, "deleted": True})
    assert stored_objects(ada) == []
    assert (await ada.call("DELETE", f"/files/{file_id}")).status == 404
    assert (await bob.call("GET", f"/files/{file_id}")).status == 404


async def test_other_routes_keep_the_gateways_body_limit(base_url):
    ada = await someone(base_url)
    too_big = int(get_config()["gateway.max_body_bytes"]) + 1
    answer, sent = await streaming_post(base_url, ada, "/api/v1/channels", too_big)
    # answered 413 too_large from Content-Length before any handler runs
    # (gateway_tornado/body_limit.py); the body is read and dropped, so the answer is
    # not lost to a reset
    assert answer.split(b" ")[1] == b"413", answer[:300]
    assert b'"too_large"' in answer
    assert (await ada.call("GET", "/channels")).body == []
