"""Parley's typed errors as Slack's error codes (slack/errors.py)."""
from __future__ import annotations

from gateway_tornado.slack.errors import SlackError, translate
from services.common.errors import (Conflict, Forbidden, InvalidInput, NotFound, RateLimited,
                                    RemoteError, RpcTimeout, ServiceUnavailable, Unauthenticated)


def code(exc, **kw) -> str:
    return translate(exc, **kw).code


def test_not_found_says_what_was_not_found_else_the_family_default():
    assert code(NotFound("no such channel")) == "channel_not_found"
    assert code(NotFound("no such message")) == "message_not_found"
    assert code(NotFound("no such message to reply to")) == "message_not_found"
    assert code(NotFound("no such user")) == "user_not_found"
    assert code(NotFound("no such file")) == "file_not_found"
    assert code(NotFound("gone"), not_found="message_not_found") == "message_not_found"
    assert code(NotFound("gone")) == "channel_not_found"


def test_refusals_name_the_rule_that_refused():
    assert code(Forbidden("only members post, and not in an archived channel")) == \
        "not_in_channel"
    assert code(Forbidden("only members post")) == "not_in_channel"
    assert code(Forbidden("you are not a member of this channel")) == "not_in_channel"
    assert code(Forbidden("an archived channel is read-only")) == "is_archived"
    assert code(Forbidden("only its author edits a message")) == "cant_update_message"
    assert code(Forbidden("only its author, owners and admins delete a message")) == \
        "cant_delete_message"
    assert code(Forbidden("your account is deactivated")) == "account_inactive"
    assert code(Forbidden("something else")) == "restricted_action"


def test_bad_input_is_invalid_arguments_with_the_detail_or_a_precise_code():
    error = translate(InvalidInput("limit: must be at most 200"))
    assert error.body() == {"ok": False, "error": "invalid_arguments", "response_metadata": {
        "messages": ["[ERROR] limit: must be at most 200"]}}
    assert code(InvalidInput("a message needs text or an attachment")) == "no_text"
    assert code(InvalidInput("text: String should have at most 40000 characters")) == \
        "msg_too_long"
    assert code(Conflict("a channel named 'x' already exists")) == "name_taken"


def test_rate_limits_are_429_with_retry_after_and_the_rest_is_service_trouble():
    limited = translate(RateLimited("slow down", retry_after=7))
    assert (limited.code, limited.status, limited.retry_after) == ("ratelimited", 429, 7)
    assert code(Unauthenticated()) == "invalid_auth"
    assert code(ServiceUnavailable()) == "service_unavailable"
    assert code(RpcTimeout()) == "request_timeout"
    assert code(RemoteError("KeyError", "x")) == "internal_error"


def test_an_error_answer_is_ok_false_with_its_extra_fields():
    error = SlackError("missing_scope", needed="chat:write", provided="users:read")
    assert error.status == 200
    assert error.body() == {"ok": False, "error": "missing_scope", "needed": "chat:write",
                            "provided": "users:read"}
