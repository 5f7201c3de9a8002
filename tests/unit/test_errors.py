"""services/common/errors.py: stable codes and statuses, and the round trip of an
error raised in a service through Nameko's wire format back to the caller."""
from __future__ import annotations

import json

import pytest
from nameko.exceptions import RemoteError as NamekoRemoteError
from nameko.exceptions import deserialize, serialize

from services.common import errors
from services.common.errors import ParleyError, RemoteError, from_remote

# The table in docs/api/openapi.yaml ("Errors"): codes and statuses clients rely on.
DOCUMENTED = [
    (errors.InvalidInput, "invalid_input", 400),
    (errors.Unauthenticated, "unauthenticated", 401),
    (errors.Forbidden, "forbidden", 403),
    (errors.NotFound, "not_found", 404),
    (errors.Conflict, "conflict", 409),
    (errors.RateLimited, "rate_limited", 429),
    (errors.ServiceUnavailable, "service_unavailable", 503),
    (errors.RpcTimeout, "timeout", 504),
]
TYPED = [cls for cls, _, _ in DOCUMENTED]


def wire(error: Exception) -> dict:
    """What a Nameko service puts in its reply's ``error``, after the JSON trip."""
    return json.loads(json.dumps(serialize(error)))


@pytest.mark.parametrize("cls, code, status", DOCUMENTED)
def test_each_error_has_its_documented_code_and_status(cls, code, status):
    error = cls("details")
    assert (error.code, error.status) == (code, status)
    assert isinstance(error, ParleyError)


def test_an_unexpected_error_is_an_internal_error_500():
    assert (ParleyError.code, ParleyError.status) == ("internal_error", 500)
    assert (RemoteError.code, RemoteError.status) == ("internal_error", 500)


def test_the_envelope_body_is_code_and_message():
    assert errors.Forbidden("you are not a member").to_dict() == {
        "code": "forbidden", "message": "you are not a member"}


def test_an_error_without_a_message_is_described_by_its_code():
    assert errors.NotFound().message == "not found"
    assert errors.RpcTimeout().to_dict() == {"code": "timeout", "message": "timeout"}


@pytest.mark.parametrize("cls", TYPED)
def test_nameko_deserialises_a_typed_error_back_into_the_same_class(cls):
    back = deserialize(wire(cls("it went wrong")))
    assert type(back) is cls
    assert back.code == cls.code
    assert back.message == "it went wrong"


@pytest.mark.parametrize("cls", TYPED)
def test_from_remote_rebuilds_a_typed_error_with_its_code_and_message(cls):
    back = from_remote(wire(cls("it went wrong")))
    assert type(back) is cls
    assert (back.to_dict()["code"], back.to_dict()["message"]) == (cls.code, "it went wrong")


def test_rate_limited_carries_retry_after_through_the_wire_and_into_its_envelope():
    back = from_remote(wire(errors.RateLimited("too many failed logins", retry_after=8)))
    assert back.retry_after == 8
    assert back.to_dict() == {"code": "rate_limited", "message": "too many failed logins",
                              "retry_after": 8}
    assert deserialize(wire(errors.RateLimited("slow down", 3))).retry_after == 3


def test_retry_after_is_at_least_one_second():
    assert errors.RateLimited("now", retry_after=0).retry_after == 1


def test_from_remote_keeps_the_default_message_of_an_error_raised_without_one():
    back = from_remote(wire(errors.Conflict()))
    assert type(back) is errors.Conflict
    assert back.message == "conflict"


def test_an_untyped_remote_failure_becomes_an_internal_error_naming_it():
    back = from_remote(wire(KeyError("channel_id")))
    assert type(back) is RemoteError
    assert (back.code, back.status) == ("internal_error", 500)
    assert back.exc_type == "KeyError"
    assert "KeyError" in back.message and "channel_id" in back.message


def test_a_same_named_error_from_another_module_is_not_trusted():
    foreign = {"exc_type": "NotFound", "exc_path": "somewhere.else.NotFound",
               "exc_args": ["nope"], "value": "nope"}
    back = from_remote(foreign)
    assert type(back) is RemoteError
    assert back.code == "internal_error"


def test_the_base_error_is_not_deserialised_as_a_typed_error():
    assert isinstance(deserialize(wire(ParleyError("bare"))), NamekoRemoteError)
    assert type(from_remote(wire(ParleyError("bare")))) is RemoteError


def test_a_store_that_could_not_be_reached_is_service_unavailable_so_clients_retry():
    import pymongo.errors
    import sqlalchemy.exc
    for failure in (sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception(
            "FATAL:  the database system is starting up")),
            pymongo.errors.AutoReconnect("connection refused")):
        back = from_remote(wire(failure))
        assert (back.code, back.status) == ("service_unavailable", 503), failure
        assert "SELECT" not in back.message   # the detail stays in the service's log
