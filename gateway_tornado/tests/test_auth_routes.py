"""The auth routes (gateway_tornado/handlers/auth.py) and how the gateway checks
sessions: every authenticated request looks up the token's session in Redis, where
auth marks ended ones; no RPC is made for it."""
from __future__ import annotations

import json

import pytest
import redis

from services.common.errors import RateLimited, Unauthenticated
from services.common.revocation import revoked_session_key
from services.common.tokens import TokenCodec

PAIR = {"user_id": "user-1", "session_id": "session-1", "token_type": "Bearer",
        "access_token": "a.b.c", "expires_in": 900, "refresh_token": "r-2",
        "refresh_expires_in": 2592000}


def error_of(response) -> dict:
    return json.loads(response.body)["error"]


# -- session revocation --------------------------------------------------------------
async def test_a_token_of_an_ended_session_is_refused_without_calling_any_service(
        fetch, rpc, bearer, revocations):
    await revocations.set(revoked_session_key("session-1"), "logout")
    response = await fetch("/api/v1/me", headers=bearer())
    assert response.code == 401
    assert error_of(response) == {"code": "unauthenticated", "message": "session has ended"}
    assert rpc.calls == []


async def test_other_sessions_of_the_same_user_keep_working(fetch, rpc, tokens, revocations):
    rpc.answer("users", "get", {"user_id": "user-1"})
    await revocations.set(revoked_session_key("phone-session"), "logout")
    laptop = tokens.issue("user-1", "laptop-session")
    response = await fetch("/api/v1/me", headers={"Authorization": f"Bearer {laptop}"})
    assert response.code == 200


async def test_when_sessions_cannot_be_checked_the_request_is_refused_not_let_through(
        fetch, rpc, bearer, revocations, monkeypatch):
    async def down(*keys):
        raise redis.ConnectionError("redis is away")
    monkeypatch.setattr(revocations, "exists", down)
    response = await fetch("/api/v1/me", headers=bearer())
    assert response.code == 503
    assert error_of(response)["code"] == "service_unavailable"
    assert rpc.calls == []


async def test_a_route_without_authentication_ignores_a_stale_token(fetch, rpc, revocations):
    rpc.answer("auth", "login", PAIR)
    await revocations.set(revoked_session_key("s"), "logout")
    stale = TokenCodec("some-other-secret-of-a-decent-length-0123456789").issue("user-1", "s")
    response = await fetch("/api/v1/auth/login", method="POST",
                           headers={"Authorization": f"Bearer {stale}"},
                           body={"email": "ada@example.com", "password": "correct horse battery"})
    assert response.code == 200


async def test_a_token_signed_with_a_previous_key_is_accepted_while_it_is_listed(
        fetch, rpc, gateway, tokens):
    rpc.answer("users", "get", {"user_id": "user-1"})
    old = TokenCodec("the-previous-secret-of-a-decent-length-0123", key_id="k0").issue("user-1", "s")
    response = await fetch("/api/v1/me", headers={"Authorization": f"Bearer {old}"})
    assert response.code == 401
    gateway.tokens = TokenCodec(tokens.secret, key_id="k1",
                                previous_keys={"k0": "the-previous-secret-of-a-decent-length-0123"})
    response = await fetch("/api/v1/me", headers={"Authorization": f"Bearer {old}"})
    assert response.code == 200


# -- login and throttling -------------------------------------------------------------
async def test_login_answers_the_token_pair(fetch, rpc):
    rpc.answer("auth", "login", PAIR)
    response = await fetch("/api/v1/auth/login", method="POST",
                           body={"email": "ada@example.com", "password": "correct horse battery"})
    assert response.code == 200
    assert json.loads(response.body) == PAIR


async def test_login_tells_auth_the_client_ip_that_traefik_forwarded(fetch, rpc):
    rpc.answer("auth", "login", PAIR)
    await fetch("/api/v1/auth/login", method="POST",
                headers={"X-Forwarded-For": "203.0.113.7"},
                body={"email": "ada@example.com", "password": "pw"})
    assert rpc.calls[0]["args"] == ("ada@example.com", "pw", "203.0.113.7")


async def test_login_without_a_proxy_uses_the_peer_address(fetch, rpc):
    rpc.answer("auth", "login", PAIR)
    await fetch("/api/v1/auth/login", method="POST", body={"email": "a@b.co", "password": "pw"})
    assert rpc.calls[0]["args"][2] == "127.0.0.1"


async def test_a_throttled_login_is_429_with_retry_after_in_header_and_body(fetch, rpc):
    rpc.answer("auth", "login", RateLimited("too many failed logins: try again in 8 s", 8))
    response = await fetch("/api/v1/auth/login", method="POST",
                           body={"email": "ada@example.com", "password": "pw"})
    assert response.code == 429
    assert response.headers["Retry-After"] == "8"
    assert error_of(response) == {"code": "rate_limited", "retry_after": 8,
                                  "message": "too many failed logins: try again in 8 s"}


# -- sessions ---------------------------------------------------------------------------
async def test_refresh_passes_the_refresh_token(fetch, rpc):
    rpc.answer("auth", "refresh", PAIR)
    response = await fetch("/api/v1/auth/refresh", method="POST", body={"refresh_token": "r-1"})
    assert response.code == 200
    assert rpc.calls[0]["args"] == ("r-1",)


async def test_refresh_needs_no_access_token_and_passes_auths_refusal_on(fetch, rpc):
    rpc.answer("auth", "refresh", Unauthenticated("refresh token was already used: the "
                                                  "session has ended"))
    response = await fetch("/api/v1/auth/refresh", method="POST", body={"refresh_token": "r-1"})
    assert response.code == 401
    assert "already used" in error_of(response)["message"]


async def test_logout_ends_the_session_named_in_the_token(fetch, rpc, tokens):
    rpc.answer("auth", "logout", lambda user_id, sid: {"session_id": sid, "ended": True})
    token = tokens.issue("user-7", "session-42")
    response = await fetch("/api/v1/auth/logout", method="POST",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.code == 200
    assert rpc.calls[0]["args"] == ("user-7", "session-42")


async def test_logout_all_ends_the_users_sessions(fetch, rpc, bearer):
    rpc.answer("auth", "logout_all", {"user_id": "user-3", "ended_sessions": 2})
    response = await fetch("/api/v1/auth/logout-all", method="POST", headers=bearer("user-3"))
    assert response.code == 200
    assert rpc.calls[0]["args"] == ("user-3",)


@pytest.mark.parametrize("path", ["/api/v1/auth/logout", "/api/v1/auth/logout-all",
                                  "/api/v1/auth/password"])
async def test_session_routes_need_an_access_token(fetch, rpc, path):
    response = await fetch(path, method="POST", body={})
    assert response.code == 401
    assert rpc.calls == []


# -- passwords ---------------------------------------------------------------------------
async def test_changing_the_password_names_user_session_and_both_passwords(fetch, rpc, tokens):
    rpc.answer("auth", "change_password", {"user_id": "user-7", "changed": True,
                                           "ended_sessions": 1})
    token = tokens.issue("user-7", "session-42")
    response = await fetch("/api/v1/auth/password", method="POST",
                           headers={"Authorization": f"Bearer {token}"},
                           body={"old_password": "old one", "new_password": "new one"})
    assert response.code == 200
    assert rpc.calls[0]["args"] == ("user-7", "session-42", "old one", "new one")


async def test_a_reset_request_is_accepted_with_202(fetch, rpc):
    rpc.answer("auth", "request_password_reset", {"accepted": True})
    response = await fetch("/api/v1/auth/password-reset", method="POST",
                           body={"email": "ada@example.com"})
    assert response.code == 202
    assert json.loads(response.body) == {"accepted": True}
    assert rpc.calls[0]["args"] == ("ada@example.com",)


async def test_a_reset_confirmation_passes_token_and_new_password(fetch, rpc):
    rpc.answer("auth", "confirm_password_reset", {"user_id": "user-1", "ended_sessions": 3})
    response = await fetch("/api/v1/auth/password-reset/confirm", method="POST",
                           body={"token": "t-1", "new_password": "purple otter marmalade"})
    assert response.code == 200
    assert rpc.calls[0]["args"] == ("t-1", "purple otter marmalade")
