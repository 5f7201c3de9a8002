"""services/common/events.py: the event envelope, message.created, routing keys."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from services.common.events import (MESSAGE_CREATED, TOPICS, Event, Message, MessageCreated,
                                    channel_key, user_key)


@pytest.fixture
def message() -> Message:
    return Message(id="65f0c0ffee0000000000abcd", channel_id="chan-1", seq=7,
                   sender_id="user-1", client_msg_id="c-1", text="hello",
                   created_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc))


# -- routing keys --------------------------------------------------------------
def test_a_channel_event_is_routed_by_channel_id():
    assert channel_key("abc") == "channel.abc"


def test_a_personal_event_is_routed_by_user_id():
    assert user_key("u-9") == "user.u-9"


def test_message_created_is_a_kafka_topic():
    assert MESSAGE_CREATED == "message.created"
    assert MESSAGE_CREATED in TOPICS


# -- the envelope ----------------------------------------------------------------
def test_a_new_envelope_gets_an_id_version_1_and_an_aware_utc_timestamp():
    before = datetime.now(timezone.utc)
    event = Event(type="something.happened", data={"x": 1})
    assert len(event.event_id) == 32 and int(event.event_id, 16) >= 0
    assert event.version == 1
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert before <= event.occurred_at <= datetime.now(timezone.utc)
    assert event.request_id is None


def test_two_envelopes_never_share_an_id():
    assert Event(type="t", data={}).event_id != Event(type="t", data={}).event_id


def test_an_envelope_survives_the_json_round_trip():
    event = Event(type="something.happened", data={"x": [1, 2]}, request_id="req-1")
    again = Event.from_json(event.to_json())
    assert again == event


def test_an_envelope_is_read_from_text_as_well_as_bytes():
    raw = Event(type="t", data={"k": "v"}).to_json()
    assert Event.from_json(raw.decode()) == Event.from_json(raw)


def test_fields_a_newer_producer_added_are_ignored():
    raw = json.dumps({"type": "t", "data": {}, "shiny_new_field": 1})
    assert not hasattr(Event.from_json(raw), "shiny_new_field")


@pytest.mark.parametrize("missing", ["type", "data"])
def test_an_envelope_without_type_or_data_is_invalid(missing):
    body = {"type": "t", "data": {}}
    del body[missing]
    with pytest.raises(ValidationError):
        Event.model_validate(body)


# -- message.created -----------------------------------------------------------------
def test_message_created_carries_the_message_as_json_data(message):
    event = MessageCreated.of(message, request_id="req-1")
    assert event.type == MESSAGE_CREATED
    assert event.request_id == "req-1"
    assert event.data == json.loads(message.model_dump_json())
    assert json.loads(event.to_json())["data"]["created_at"] == event.data["created_at"]


def test_the_event_id_is_the_message_id_so_replays_are_one_event(message):
    assert MessageCreated.of(message).event_id == message.id
    assert MessageCreated.of(message).event_id == MessageCreated.of(message).event_id


def test_the_event_occurred_when_the_message_was_created(message):
    assert MessageCreated.of(message).occurred_at == message.created_at


def test_the_message_is_read_back_unchanged_from_the_event(message):
    event = MessageCreated.from_json(MessageCreated.of(message).to_json())
    assert isinstance(event, MessageCreated)
    assert event.message == message


def test_kafka_records_are_keyed_by_channel_id(message):
    assert MessageCreated.of(message).key == message.channel_id.encode()


def test_an_event_of_another_type_is_not_a_message_created(message):
    body = json.loads(MessageCreated.of(message).to_json())
    body["type"] = "message.deleted"
    with pytest.raises(ValidationError):
        MessageCreated.model_validate(body)


def test_a_message_created_whose_message_lacks_fields_fails_validation(message):
    body = json.loads(MessageCreated.of(message).to_json())
    del body["data"]["seq"]
    with pytest.raises(ValidationError, match="seq"):
        MessageCreated.model_validate(body).message


def test_a_message_without_attachments_has_an_empty_list(message):
    assert message.attachments == []
    assert MessageCreated.of(message).message.attachments == []
