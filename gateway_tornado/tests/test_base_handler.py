"""gateway_tornado/handlers/base.py (through the real application): request ids,
the JSON error envelope, body parsing and bearer authentication."""
from __future__ import annotations

import json
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.common.errors import (Conflict, Forbidden, InvalidInput, NotFound, RemoteError,
                                    RpcTimeout, ServiceUnavailable)
from services.common.tokens import TokenCodec

NEW_ID = re.compile(r"^[0-9a-f]{32}$")


def envelope(response) -> dict:
    assert response.headers["Content-Type"].startswith("application/json")
    body = json.loads(response.body)
    assert list(body) == ["error"]
    assert set(body["error"]) == {"code", "message"}
    return body["error"]


# -- request ids ---------------------------------------------------------------
async def test_a_response_carries_a_new_request_id_when_the_client_sent_none(fetch):
    first = await fetch("/healthz")
    second = await fetch("/healthz")
    assert first.code == 200
    assert NEW_ID.match(first.headers["X-Request-Id"])
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


async def test_the_clients_own_request_id_is_kept(fetch):
    response = await fetch("/healthz", headers={"X-Request-Id": "trace-2026-abc"})
    assert response.headers["X-Request-Id"] == "trace-2026-abc"


@pytest.mark.parametrize("offered", ["x" * 65, "has spaces", "semi;colon", "../etc"])
async def test_an_unusable_request_id_is_replaced_by_a_new_one(fetch, offered):
    response = await fetch("/healthz", headers={"X-Request-Id": offered})
    assert NEW_ID.match(response.headers["X-Request-Id"])


async def test_the_request_id_and_client_address_travel_to_the_service_in_the_rpc_context(
        fetch, rpc, bearer):
    rpc.answer("users", "get", {"user_id": "user-1"})
    response = await fetch("/api/v1/me", headers={**bearer(), "X-Request-Id": "req-42",
                                                  "X-Real-Ip": "198.51.100.9"})
    assert response.code == 200
    assert rpc.calls[0]["context"] == {"request_id": "req-42", "client_ip": "198.51.100.9"}


async def test_an_error_response_carries_the_request_id_too(fetch):
    response = await fetch("/no/such/route", headers={"X-Request-Id": "req-err-1"})
    assert response.code == 404
    assert response.headers["X-Request-Id"] == "req-err-1"


# -- the error envelope ------------------------------------------------------------
async def test_an_unknown_route_is_a_not_found_envelope_naming_the_path(fetch):
    response = await fetch("/api/v1/nothing-here")
    assert response.code == 404
    error = envelope(response)
    assert error["code"] == "not_found"
    assert "/api/v1/nothing-here" in error["message"]


@pytest.mark.parametrize("raised", [InvalidInput("channel_id: too long"),
                                    Forbidden("you are not a member of this channel"),
                                    NotFound("no such user"), Conflict("taken"),
                                    ServiceUnavailable("no instance of users is running"),
                                    RpcTimeout("users.get did not answer in 10.0s")])
async def test_a_service_error_is_answered_with_its_status_code_and_message(
        fetch, rpc, bearer, raised):
    rpc.answer("users", "get", raised)
    response = await fetch("/api/v1/me", headers=bearer())
    assert response.code == raised.status
    assert envelope(response) == {"code": raised.code, "message": raised.message}


async def test_an_unexpected_gateway_failure_is_an_internal_error_that_reveals_nothing(
        fetch, rpc, bearer):
    rpc.answer("users", "get", RuntimeError("secret detail: connection string"))
    response = await fetch("/api/v1/me", headers=bearer())
    assert response.code == 500
    error = envelope(response)
    assert error == {"code": "internal_error", "message": "something went wrong"}


async def test_an_untyped_failure_in_a_service_is_an_internal_error_that_reveals_nothing(
        fetch, rpc, bearer):
    rpc.answer("users", "get", RemoteError("KeyError", "'user_id'"))
    response = await fetch("/api/v1/me", headers=bearer())
    assert response.code == 500
    assert envelope(response) == {"code": "internal_error", "message": "something went wrong"}


async def test_a_method_a_route_does_not_have_is_a_405_http_error_envelope(fetch):
    response = await fetch("/healthz", method="DELETE")
    assert response.code == 405
    assert envelope(response)["code"] == "http_error"
    assert response.headers["Allow"] == "GET, OPTIONS"   # RFC 9110: the route's methods


# -- bodies --------------------------------------------------------------------
async def test_a_body_that_is_not_json_is_invalid_input_and_no_service_is_called(fetch, rpc):
    response = await fetch("/api/v1/auth/login", method="POST", body=b"{email: nope")
    assert response.code == 400
    assert envelope(response) == {"code": "invalid_input",
                                  "message": "the body is not valid JSON"}
    assert rpc.calls == []


async def test_a_body_that_is_not_utf8_is_invalid_input_saying_so(fetch, rpc):
    response = await fetch("/api/v1/auth/login", method="POST",
                           body=b'{"email": "ann@example.test", "password": "\xff\xfe"}')
    assert response.code == 400
    assert envelope(response) == {"code": "invalid_input",
                                  "message": "the body is not valid UTF-8"}
    assert rpc.calls == []


async def test_a_body_nested_too_deeply_for_the_parser_is_invalid_input_not_a_crash(fetch, rpc):
    response = await fetch("/api/v1/auth/login", method="POST",
                           body=b"[" * 100_000 + b"]" * 100_000)
    assert response.code == 400
    assert envelope(response) == {"code": "invalid_input",
                                  "message": "the body is nested too deeply"}
    assert rpc.calls == []


async def test_a_path_segment_that_is_not_utf8_is_invalid_input_not_a_generic_error(
        fetch, rpc, bearer):
    response = await fetch(f"/api/v1/channels/c1/messages/{'a' * 24}/reactions/%FF%FE",
                           method="PUT", headers=bearer())
    assert response.code == 400
    assert envelope(response)["code"] == "invalid_input"
    assert rpc.calls == []


@pytest.mark.parametrize("body", [[], ["a"], "text", 3, None])
async def test_a_body_that_is_not_a_json_object_is_invalid_input(fetch, rpc, body):
    response = await fetch("/api/v1/auth/login", method="POST", body=json.dumps(body))
    assert response.code == 400
    assert envelope(response)["code"] == "invalid_input"
    assert rpc.calls == []


async def test_an_empty_body_counts_as_an_empty_object(fetch, rpc):
    rpc.answer("auth", "login", InvalidInput("email: Field required"))
    response = await fetch("/api/v1/auth/login", method="POST", body=b"")
    assert response.code == 400
    assert rpc.calls[0]["args"][:2] == ("", "")


# -- authentication ----------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz",
                                    "Token abc"])
async def test_a_route_that_needs_a_token_refuses_a_request_without_one(fetch, rpc, header):
    headers = {} if header is None else {"Authorization": header}
    response = await fetch("/api/v1/me", headers=headers)
    assert response.code == 401
    assert envelope(response)["code"] == "unauthenticated"
    assert rpc.calls == []


async def test_a_token_signed_with_another_key_is_refused(fetch, rpc):
    forged = TokenCodec("not-the-gateways-secret-0123456789").issue("user-1", "s")
    response = await fetch("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.code == 401
    assert envelope(response)["message"] == "access token is not valid"
    assert rpc.calls == []


async def test_an_expired_token_is_refused_as_expired(fetch, rpc, tokens):
    expired = TokenCodec(tokens.secret, access_ttl=-60).issue("user-1", "s")
    response = await fetch("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.code == 401
    assert envelope(response)["message"] == "access token has expired"


async def test_the_token_subject_is_the_user_the_service_acts_for(fetch, rpc, bearer):
    rpc.answer("users", "get", lambda user_id: {"user_id": user_id})
    response = await fetch("/api/v1/me", headers=bearer("ada"))
    assert response.code == 200
    assert json.loads(response.body) == {"user_id": "ada"}
    assert rpc.calls[0]["args"] == ("ada",)


async def test_the_bearer_scheme_is_not_case_sensitive(fetch, rpc, tokens):
    rpc.answer("users", "get", {"user_id": "ada"})
    token = tokens.issue("ada", "session-1")
    response = await fetch("/api/v1/me", headers={"Authorization": f"bEaReR {token}"})
    assert response.code == 200


# -- operational routes -------------------------------------------------------------
async def test_health_names_the_gateway(fetch, gateway):
    response = await fetch("/healthz")
    assert json.loads(response.body) == {"status": "ok", "gateway": gateway.name}


async def test_every_answered_request_is_counted_in_the_metrics_by_route_and_status(fetch):
    async def healthz_answered() -> float:
        response = await fetch("/metrics")
        assert response.code == 200
        for family in text_string_to_metric_families(response.body.decode()):
            for sample in family.samples:
                if sample.name == "parley_http_requests_total" and sample.labels == {
                        "route": "healthz", "method": "GET", "status": "200"}:
                    return sample.value
        return 0.0

    before = await healthz_answered()
    await fetch("/healthz")
    await fetch("/healthz")
    assert await healthz_answered() == before + 2
