"""services/messaging/service.py: files. An upload is reserved, its bytes land in
S3 (here a small in-memory S3), and completing it checks their length, sniffs
their type and makes a thumbnail; files are attached to one message only,
downloaded through expiring URLs by those who may, and removed with their
message or on their own."""
from __future__ import annotations

import io
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from botocore.exceptions import ClientError
from PIL import Image

from services.common.config import get_config, load_config
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from services.messaging import file_content, file_storage
from services.messaging.tests.mongo_races import stored


class MemoryS3:
    """The few S3 calls messaging makes, on a dict."""

    def __init__(self):
        self.objects: dict[str, bytes] = {}
        self.bucket = "parley-files"
        self.client = self.presigner = self

    def generate_presigned_url(self, operation, ExpiresIn, Params):  # noqa: N803 - boto3's names
        query = urlencode({"expires": ExpiresIn,
                           **{k: v for k, v in Params.items() if k not in ("Bucket", "Key")}})
        return f"https://s3.test/{operation}/{Params['Key']}?{query}"

    def put_object(self, Bucket, Key, Body, **extra):  # noqa: N803
        self.objects[Key] = Body

    def head_object(self, Bucket, Key):  # noqa: N803
        return {"ContentLength": len(self._get(Key))}

    def get_object(self, Bucket, Key, Range=None):  # noqa: N803
        data = self._get(Key)
        if Range:
            first, last = Range.removeprefix("bytes=").split("-")
            data = data[int(first):int(last) + 1]
        return {"Body": io.BytesIO(data)}

    def delete_object(self, Bucket, Key):  # noqa: N803
        self.objects.pop(Key, None)

    def _get(self, key):
        if key not in self.objects:
            raise ClientError({"Error": {"Code": "404"}}, "HeadObject")
        return self.objects[key]


@pytest.fixture
def s3(messaging):
    messaging.files = MemoryS3()
    return messaging.files


@pytest.fixture
def upload(messaging, s3):
    """``upload(data)`` does what the gateway does: reserve, PUT, complete."""
    def run(data: bytes, uploader="ada", filename="file.bin", claimed="text/plain",
            declared=None) -> dict:
        begun = messaging.begin_upload(uploader, filename, claimed,
                                       len(data) if declared is None else declared)
        s3.put_object(s3.bucket, urlparse(begun["upload_url"]).path.split("/", 2)[2], data)
        return messaging.complete_upload(uploader, begun["file_id"])
    return run


def png(width=800, height=600) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * 500


# -- uploading ----------------------------------------------------------------------------
def test_beginning_an_upload_reserves_a_pending_file_under_the_uploaders_prefix(
        messaging, mongo, s3):
    begun = messaging.begin_upload("ada", "my report.pdf", "application/pdf", 1234)
    doc = file_storage.get_file(mongo, begun["file_id"])
    assert (doc["status"], doc["declared_size"], doc["uploader_id"]) == ("pending", 1234, "ada")
    assert doc["key"] == f"files/ada/{begun['file_id']}/original"
    assert begun["upload_url"].startswith(f"https://s3.test/put_object/{doc['key']}?")


@pytest.mark.parametrize("filename, size", [("", 10), ("a.txt", -1), ("x" * 256, 10)])
def test_an_upload_without_a_name_or_with_an_impossible_size_is_refused(
        messaging, mongo, filename, size):
    with pytest.raises(InvalidInput):
        messaging.begin_upload("ada", filename, "text/plain", size)
    assert stored(mongo.files) == []


def test_an_upload_over_the_configured_limit_is_too_large_and_reserves_nothing(
        messaging, mongo, monkeypatch):
    assert get_config()["files.max_upload_bytes"] == 100 * 1024 * 1024  # the default
    monkeypatch.setenv("PARLEY_FILES_MAX_UPLOAD_BYTES", "1000")
    monkeypatch.setattr("services.messaging.service.get_config", load_config)
    with pytest.raises(TooLarge):
        messaging.begin_upload("ada", "big.bin", "application/octet-stream", 1001)
    assert stored(mongo.files) == []
    assert messaging.begin_upload("ada", "ok.bin", "application/octet-stream", 1000)


def test_an_image_is_sniffed_measured_and_thumbnailed(upload, s3):
    done = upload(png(800, 600), filename="photo.png", claimed="application/pdf")
    assert (done["content_type"], done["width"], done["height"]) == ("image/png", 800, 600)
    assert (done["status"], done["size"], done["has_thumbnail"]) == ("ready", len(png()), True)
    thumb = Image.open(io.BytesIO(s3.objects[f"files/ada/{done['id']}/thumbnail.png"]))
    assert thumb.size == (360, 270)  # fits in 360 square, proportions kept


def test_the_clients_claimed_type_is_ignored(upload):
    done = upload(PDF, filename="invoice.png", claimed="image/png")
    assert done["content_type"] == "application/pdf"
    assert (done["width"], done["has_thumbnail"]) == (None, False)


@pytest.mark.parametrize("data, sniffed", [
    ("plain words, even with é and 漢字".encode(), "text/plain"),
    (bytes(range(256)) * 4, "application/octet-stream"),
    (b"", "application/octet-stream"),
])
def test_bytes_without_magic_are_text_when_they_are_utf8(upload, data, sniffed):
    assert upload(data)["content_type"] == sniffed


def test_a_text_sample_cut_inside_a_character_is_still_text():
    sample = ("é" * file_content.SNIFF_BYTES).encode()[:file_content.SNIFF_BYTES - 1]
    assert file_content.sniff(sample) == "text/plain"


def test_a_broken_image_is_kept_without_a_thumbnail(upload):
    done = upload(png()[:200], filename="broken.png")
    assert (done["content_type"], done["status"], done["has_thumbnail"]) == (
        "image/png", "ready", False)


def test_a_decompression_bomb_is_not_decoded():
    bomb = png(2000, 2000)  # 4 Mpx declared in a few KiB
    assert file_content.thumbnail(bomb, 360, max_pixels=1_000_000) is None
    assert file_content.thumbnail(bomb, 360, max_pixels=5_000_000)[:2] == (2000, 2000)


def test_bytes_that_differ_from_the_declared_length_are_removed_and_refused(
        upload, mongo, s3):
    with pytest.raises(InvalidInput, match="not the 5000 declared"):
        upload(b"short", declared=5000)
    assert stored(mongo.files) == [] and s3.objects == {}


def test_completing_an_upload_whose_bytes_never_arrived_is_refused(messaging, mongo, s3):
    begun = messaging.begin_upload("ada", "a.txt", "text/plain", 5)
    with pytest.raises(InvalidInput, match="not been uploaded"):
        messaging.complete_upload("ada", begun["file_id"])
    assert file_storage.get_file(mongo, begun["file_id"])["status"] == "pending"


def test_completing_twice_answers_the_same(upload, messaging):
    done = upload(png())
    assert messaging.complete_upload("ada", done["id"]) == done


@pytest.mark.parametrize("file_id", ["not-an-object-id", "0123456789abcdef01234567"])
def test_completing_an_unknown_file_is_not_found(messaging, file_id):
    with pytest.raises(NotFound):
        messaging.complete_upload("ada", file_id)


def test_completing_someone_elses_upload_is_not_found(messaging, s3):
    begun = messaging.begin_upload("ada", "a.txt", "text/plain", 5)
    with pytest.raises(NotFound):
        messaging.complete_upload("bob", begun["file_id"])


# -- attaching ----------------------------------------------------------------------------
def test_a_message_may_be_just_an_attachment_and_carries_the_files_metadata(
        messaging, upload):
    done = upload(png(), filename="photo.png")
    sent = messaging.send("ada", "general", "c-1", "", [done["id"]])
    assert sent["text"] == ""
    assert sent["attachments"] == [{**done, "channel_id": "general"}]


def test_a_file_attached_to_one_message_cannot_be_attached_to_another(
        messaging, mongo, stored_file):
    file_id = stored_file("ada")
    messaging.send("ada", "general", "c-1", "first", [file_id])
    with pytest.raises(Conflict, match="attached to another message"):
        messaging.send("ada", "random", "c-2", "second", [file_id])
    assert [m["text"] for m in messaging.history("ada", "random")] == []


def test_a_retried_send_reattaches_its_own_files(messaging, stored_file):
    file_id = stored_file("ada")
    first = messaging.send("ada", "general", "c-1", "see attached", [file_id])
    again = messaging.send("ada", "general", "c-1", "see attached", [file_id])
    assert (again["id"], again["duplicate"]) == (first["id"], True)


def test_a_send_that_died_after_claiming_its_files_succeeds_when_retried(
        messaging, mongo, stored_file):
    file_id = stored_file("ada")
    file_storage.claim_attachment(mongo, file_id, "general", "c-1")  # then the instance died
    sent = messaging.send("ada", "general", "c-1", "see attached", [file_id])
    assert [a["id"] for a in sent["attachments"]] == [file_id]


def test_a_refused_attachment_claims_none_of_the_messages_files(messaging, mongo, stored_file):
    free, taken = stored_file("ada"), stored_file("ada")
    messaging.send("ada", "general", "c-1", "", [taken])
    with pytest.raises(Conflict):
        messaging.send("ada", "general", "c-2", "", [free, taken])
    assert file_storage.attachment(mongo, free) is None


def test_a_file_still_uploading_cannot_be_attached(messaging, mongo, stored_file):
    file_id = stored_file("ada", status="pending")
    with pytest.raises(InvalidInput, match="has not finished uploading"):
        messaging.send("ada", "general", "c-1", "see attached", [file_id])
    assert stored(mongo.messages) == [] and stored(mongo.file_attachments) == []


@pytest.mark.parametrize("owner", ["bob", None])
def test_only_ones_own_existing_files_can_be_attached(messaging, mongo, stored_file, owner):
    file_id = stored_file(owner) if owner else "0123456789abcdef01234567"
    with pytest.raises(NotFound):
        messaging.send("ada", "general", "c-1", "see attached", [file_id])
    assert stored(mongo.messages) == [] and stored(mongo.file_attachments) == []


# -- downloading --------------------------------------------------------------------------
def test_the_uploader_gets_expiring_urls_served_with_the_sniffed_type(messaging, upload):
    done = upload(png(), filename='my "best" photo.png', claimed="text/html")
    download = messaging.download_url("ada", done["id"])
    assert download["expires_in"] == 300  # s3.presign_seconds
    query = parse_qs(urlparse(download["url"]).query)
    assert query["expires"] == ["300"] and query["ResponseContentType"] == ["image/png"]
    assert query["ResponseContentDisposition"][0].startswith(
        'attachment; filename="my _best_ photo.png"; filename*=UTF-8\'\'my%20%22best')
    assert urlparse(download["thumbnail_url"]).path.endswith("/thumbnail.png")


def test_a_file_without_a_thumbnail_has_no_thumbnail_url(messaging, upload):
    assert messaging.download_url("ada", upload(PDF)["id"])["thumbnail_url"] is None


def test_a_client_may_ask_for_a_shorter_lived_url_but_not_a_longer_one(messaging, upload):
    file_id = upload(PDF)["id"]
    short = messaging.download_url("ada", file_id, expires_in=2)
    assert (short["expires_in"], parse_qs(urlparse(short["url"]).query)["expires"]) == (
        2, ["2"])
    for wrong in (0, 301, "5", 1.5):
        with pytest.raises(InvalidInput):
            messaging.download_url("ada", file_id, expires_in=wrong)


def test_a_member_of_the_channel_the_file_was_shared_in_may_download_it(
        messaging, stored_file):
    file_id = stored_file("ada")
    messaging.send("ada", "general", "c-1", "", [file_id])
    download = messaging.download_url("bob", file_id)
    assert (download["id"], download["channel_id"]) == (file_id, "general")


def test_a_file_not_shared_with_any_of_ones_channels_is_not_found(messaging, stored_file):
    shared, unshared = stored_file("ada"), stored_file("ada")
    messaging.send("ada", "random", "c-1", "", [shared])  # bob is not in #random
    for file_id in (shared, unshared):
        with pytest.raises(NotFound):
            messaging.download_url("bob", file_id)


def test_a_file_still_uploading_cannot_be_downloaded_even_by_its_uploader(
        messaging, stored_file):
    with pytest.raises(NotFound):
        messaging.download_url("ada", stored_file("ada", status="pending"))


# -- deleting -----------------------------------------------------------------------------
def test_deleting_a_message_removes_its_files_objects_and_records(messaging, mongo, upload, s3):
    done = upload(png())
    sent = messaging.send("ada", "general", "c-1", "", [done["id"]])
    messaging.delete("ada", "general", sent["id"])
    assert s3.objects == {} and stored(mongo.files) == []
    with pytest.raises(NotFound):
        messaging.download_url("ada", done["id"])
    assert messaging.delete("ada", "general", sent["id"])["deleted_at"]  # a repeat is fine


def test_a_message_delete_that_died_after_removing_files_is_finished_by_a_retry(
        messaging, mongo, upload, s3, monkeypatch):
    done = upload(png())
    sent = messaging.send("ada", "general", "c-1", "", [done["id"]])
    tombstone = messaging._change

    def die(*args, **kwargs):
        raise ConnectionError("the instance died before writing the tombstone")
    monkeypatch.setattr(messaging, "_change", die)
    with pytest.raises(ConnectionError):
        messaging.delete("ada", "general", sent["id"])
    assert s3.objects == {}  # the files went first
    monkeypatch.setattr(messaging, "_change", tombstone)
    assert messaging.delete("ada", "general", sent["id"])["deleted_at"]
    assert stored(mongo.files) == []


def test_the_uploader_deletes_a_file_and_then_it_is_not_found(messaging, mongo, upload, s3):
    file_id = upload(png())["id"]
    assert messaging.delete_file("ada", file_id) == {"id": file_id, "deleted": True}
    assert s3.objects == {} and stored(mongo.files) == []
    for call in (messaging.download_url, messaging.delete_file):
        with pytest.raises(NotFound):
            call("ada", file_id)


def test_an_admin_deletes_anyones_file(messaging, users, upload, s3):
    file_id = upload(PDF)["id"]
    users.roles["bob"] = "admin"
    messaging.delete_file("bob", file_id)
    assert s3.objects == {}


def test_a_member_who_sees_a_file_may_not_delete_it_and_a_stranger_not_see_it(
        messaging, channels, upload, s3):
    file_id = upload(PDF)["id"]
    messaging.send("ada", "general", "c-1", "", [file_id])
    channels.add("elsewhere", "cy")
    with pytest.raises(Forbidden):
        messaging.delete_file("bob", file_id)
    with pytest.raises(NotFound):
        messaging.delete_file("cy", file_id)
    assert len(s3.objects) == 1


def test_a_deleted_file_can_never_be_attached_again(messaging, stored_file):
    file_id = stored_file("ada")
    messaging.delete_file("ada", file_id)
    with pytest.raises(NotFound):
        messaging.send("ada", "general", "c-1", "", [file_id])
