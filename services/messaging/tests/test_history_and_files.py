"""services/messaging/service.py: reading history, and the file lifecycle
(reserve, confirm, presigned download) with S3 as the worker's mock."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from services.common.config import get_config
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.messaging import storage
from services.messaging.tests.mongo_races import stored


@pytest.fixture
def sent(messaging):
    """Five messages in #general, seq 1..5."""
    return [messaging.send("ada", "general", f"c-{i}", f"message {i}") for i in range(1, 6)]


def seqs(page) -> list[int]:
    return [m["seq"] for m in page]


# -- history --------------------------------------------------------------------
def test_history_is_oldest_first_and_shaped_like_a_sent_message(messaging, sent):
    page = messaging.history("bob", "general")
    assert seqs(page) == [1, 2, 3, 4, 5]
    assert page[0] == {k: v for k, v in sent[0].items() if k != "duplicate"}


def test_history_with_a_limit_is_the_latest_messages(messaging, sent):
    assert seqs(messaging.history("bob", "general", limit=2)) == [4, 5]


def test_history_after_a_seq_is_what_came_next(messaging, sent):
    assert seqs(messaging.history("bob", "general", after=2)) == [3, 4, 5]
    assert seqs(messaging.history("bob", "general", after=2, limit=2)) == [3, 4]
    assert messaging.history("bob", "general", after=5) == []


def test_history_before_a_seq_is_what_came_just_before(messaging, sent):
    assert seqs(messaging.history("bob", "general", before=4, limit=2)) == [2, 3]


def test_history_of_one_channel_has_none_of_anothers(messaging, sent):
    messaging.send("ada", "random", "c-1", "elsewhere")
    assert seqs(messaging.history("ada", "random")) == [1]


def test_anyone_who_may_see_a_public_channel_may_read_its_history(messaging, sent):
    messaging.send("ada", "random", "c-1", "open to all")
    assert seqs(messaging.history("bob", "random")) == [1]


def test_a_private_channels_history_is_not_found_for_non_members(messaging, sent):
    messaging.send("ada", "secret", "c-1", "members only")
    with pytest.raises(NotFound):
        messaging.history("bob", "secret")


def test_history_around_a_seq_is_centred_on_it(messaging, sent):
    assert seqs(messaging.history("bob", "general", around=3, limit=3)) == [2, 3, 4]
    assert seqs(messaging.history("bob", "general", around=1, limit=3)) == [1, 2, 3]


def test_history_newest_first_is_the_same_page_reversed(messaging, sent):
    assert seqs(messaging.history("bob", "general", limit=2, order="newest")) == [5, 4]
    assert seqs(messaging.history("bob", "general", before=3, order="newest")) == [2, 1]


def test_one_message_by_id_for_those_who_see_the_channel(messaging, sent):
    assert messaging.get("bob", "general", sent[1]["id"])["seq"] == 2
    secret = messaging.send("ada", "secret", "c-1", "members only")
    with pytest.raises(NotFound):
        messaging.get("bob", "secret", secret["id"])
    with pytest.raises(NotFound):
        messaging.get("ada", "random", sent[1]["id"])


@pytest.mark.parametrize("kwargs", [{"limit": 0}, {"limit": 201}, {"before": 0},
                                    {"after": -1}, {"limit": "many"}, {"around": 0},
                                    {"before": 3, "after": 1}, {"order": "sideways"}])
def test_history_refuses_out_of_range_paging(messaging, channels, kwargs):
    with pytest.raises(InvalidInput):
        messaging.history("ada", "general", **kwargs)
    assert channels.asked == []


# -- files ------------------------------------------------------------------------
def test_beginning_an_upload_reserves_a_pending_file_and_a_put_url(messaging, mongo):
    messaging.files.client.generate_presigned_url.return_value = "https://s3/put"
    upload = messaging.begin_upload("ada", "my report (v2).pdf", "application/pdf", 1234)
    assert upload["upload_url"] == "https://s3/put"
    doc = storage.get_file(mongo, upload["file_id"])
    assert (doc["status"], doc["uploader_id"], doc["declared_size"]) == ("pending", "ada", 1234)
    assert doc["key"] == f"files/{upload['file_id']}/my_report_v2_.pdf"
    _, kwargs = messaging.files.client.generate_presigned_url.call_args
    assert kwargs["Params"]["Key"] == doc["key"]
    assert kwargs["Params"]["ContentType"] == "application/pdf"


@pytest.mark.parametrize("filename, size", [("", 10), ("a.txt", -1),
                                            ("a.txt", 100 * 1024 * 1024 + 1)])
def test_an_upload_without_a_name_or_with_an_impossible_size_is_refused(
        messaging, mongo, filename, size):
    with pytest.raises(InvalidInput):
        messaging.begin_upload("ada", filename, "text/plain", size)
    assert stored(mongo.files) == []


def test_completing_an_upload_records_the_size_s3_reports(messaging, stored_file):
    file_id = stored_file("ada", status="pending")
    messaging.files.client.head_object.return_value = {"ContentLength": 4321}
    done = messaging.complete_upload("ada", file_id)
    assert (done["id"], done["status"], done["size"]) == (file_id, "ready", 4321)
    assert messaging.complete_upload("ada", file_id) == done  # idempotent


def test_completing_an_upload_whose_bytes_never_arrived_is_refused(messaging, mongo, stored_file):
    file_id = stored_file("ada", status="pending")
    messaging.files.client.head_object.side_effect = ClientError(
        {"Error": {"Code": "404", "Message": "Not Found"}}, "HeadObject")
    with pytest.raises(InvalidInput):
        messaging.complete_upload("ada", file_id)
    assert storage.get_file(mongo, file_id)["status"] == "pending"


@pytest.mark.parametrize("file_id", ["not-an-object-id", "0123456789abcdef01234567"])
def test_completing_an_unknown_file_is_not_found(messaging, file_id):
    with pytest.raises(NotFound):
        messaging.complete_upload("ada", file_id)


def test_completing_someone_elses_upload_is_not_found(messaging, stored_file):
    with pytest.raises(NotFound):
        messaging.complete_upload("bob", stored_file("ada", status="pending"))


def test_the_uploader_gets_an_expiring_download_url(messaging, stored_file):
    file_id = stored_file("ada", filename="notes.txt")
    messaging.files.presigner.generate_presigned_url.return_value = "https://s3/get"
    download = messaging.download_url("ada", file_id)
    assert (download["id"], download["url"]) == (file_id, "https://s3/get")
    assert download["expires_in"] == int(get_config()["s3.presign_seconds"])
    _, kwargs = messaging.files.presigner.generate_presigned_url.call_args
    assert kwargs["ExpiresIn"] == download["expires_in"]
    assert kwargs["Params"]["ResponseContentDisposition"] == 'attachment; filename="notes.txt"'


def test_a_member_of_a_channel_the_file_was_shared_in_may_download_it(messaging, stored_file):
    file_id = stored_file("ada")
    messaging.send("ada", "general", "c-1", "", [file_id])
    assert messaging.download_url("bob", file_id)["id"] == file_id


def test_a_file_not_shared_with_any_of_ones_channels_is_not_found(messaging, stored_file):
    file_id = stored_file("ada")
    messaging.send("ada", "random", "c-1", "", [file_id])  # bob is not in #random
    with pytest.raises(NotFound):
        messaging.download_url("bob", file_id)


def test_a_file_still_uploading_cannot_be_downloaded_even_by_its_uploader(messaging, stored_file):
    with pytest.raises(NotFound):
        messaging.download_url("ada", stored_file("ada", status="pending"))
