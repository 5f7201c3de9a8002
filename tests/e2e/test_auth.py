"""Sign-in security on the real stack, through Traefik: tokens that are tampered
with, expired or signed with the wrong key are refused; refresh tokens rotate and a
reused one ends its whole session; logout and logout-everywhere take effect at once
(REST and open WebSockets); failed logins are throttled; password changes and
resets by mail; weak passwords are refused."""
from __future__ import annotations

import asyncio
import base64
import json

import jwt
import psycopg2
import pytest
from tornado.websocket import websocket_connect

from services.common.tokens import TokenCodec
from tests.support.client import Person, eventually, http, unique_email
from tests.support.mail import mails_to, next_mail_to, reset_token
from tests.support.shell import nameko_shell

NEW_PASSWORD = "purple otter marmalade"


@pytest.fixture
async def ada(base_url):
    person = await Person(base_url, unique_email("ada")).sign_up()
    yield person
    person.close()


async def post(person: Person, path: str, body=None, token: str | None = None):
    return await http("POST", f"{person.api}{path}", body, token=token)


async def login(person: Person, password: str | None = None) -> dict:
    response = await post(person, "/auth/login",
                          {"email": person.email, "password": password or person.password})
    assert response.status == 200, response.body
    return response.body


async def me_status(person: Person, token: str) -> tuple[int, dict]:
    response = await http("GET", f"{person.api}/me", token=token)
    return response.status, response.body


def error(response) -> dict:
    return response.body["error"]


def forged_payload(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return ".".join([header, encoded, signature])


def age_reset_tokens(cfg, user_id: str) -> None:
    """Let the user's reset tokens expire (in auth's database: waiting 30 min is no test)."""
    conn = psycopg2.connect(host=cfg["postgres.host"], port=cfg["postgres.port"],
                            user=cfg["postgres.user"], password=cfg.secret("postgres.password"),
                            dbname="parley_auth")
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE password_resets SET expires_at = now() - interval '1 second' "
                        "WHERE user_id = %s", (user_id,))
            assert cur.rowcount >= 1
    finally:
        conn.close()


# -- tokens ------------------------------------------------------------------------------
async def test_login_returns_a_short_lived_access_token_and_a_refresh_token(ada, stack):
    pair = await login(ada)
    assert pair["expires_in"] == 900 and pair["token_type"] == "Bearer"
    assert pair["refresh_expires_in"] == 30 * 24 * 3600
    assert len(pair["refresh_token"]) >= 43
    header = jwt.get_unverified_header(pair["access_token"])
    assert (header["alg"], header["kid"]) == ("HS256", stack["jwt.key_id"])
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    assert claims["sub"] == ada.user_id and claims["sid"] == pair["session_id"]
    assert claims["workspace"] == stack["workspace.id"]
    assert claims["role"] in ("owner", "admin", "member", "guest")
    assert claims["exp"] - claims["iat"] == 900 and claims["jti"]


async def test_a_tampered_token_is_refused(ada, base_url):
    bob = await Person(base_url, unique_email("bob")).sign_up()
    as_bob = forged_payload(ada.token, sub=bob.user_id)
    status, body = await me_status(ada, as_bob)
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
    longer = forged_payload(ada.token, exp=2_000_000_000)
    assert (await me_status(ada, longer))[0] == 401


async def test_an_expired_token_is_refused(ada, stack):
    claims = jwt.decode(ada.token, options={"verify_signature": False})
    expired = TokenCodec(stack.jwt_secret, access_ttl=-60, key_id=stack["jwt.key_id"]).issue(
        ada.user_id, claims["sid"])
    status, body = await me_status(ada, expired)
    assert status == 401
    assert body["error"] == {"code": "unauthenticated", "message": "access token has expired"}


async def test_a_token_signed_with_another_key_is_refused(ada, stack):
    claims = jwt.decode(ada.token, options={"verify_signature": False})
    wrong_secret = TokenCodec("not-the-stacks-secret-but-long-enough-0123",
                              key_id=stack["jwt.key_id"]).issue(ada.user_id, claims["sid"])
    unknown_kid = TokenCodec(stack.jwt_secret, key_id="k-unknown").issue(ada.user_id,
                                                                          claims["sid"])
    for token in (wrong_secret, unknown_kid):
        status, body = await me_status(ada, token)
        assert (status, body["error"]["message"]) == (401, "access token is not valid")


async def test_a_tampered_token_cannot_open_a_websocket(ada):
    as_owner = forged_payload(ada.token, role="owner")
    ws = await websocket_connect(ada.base_url.replace("http", "ws", 1)
                                 + f"/ws?access_token={as_owner}")
    assert await ws.read_message() is None
    assert ws.close_code == 4001


# -- refresh -----------------------------------------------------------------------------
async def test_refreshing_gives_a_new_pair_for_the_same_session(ada):
    first = await login(ada)
    refreshed = await post(ada, "/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert refreshed.status == 200, refreshed.body
    second = refreshed.body
    assert second["session_id"] == first["session_id"]
    assert second["refresh_token"] != first["refresh_token"]
    assert (await me_status(ada, second["access_token"]))[0] == 200
    third = await post(ada, "/auth/refresh", {"refresh_token": second["refresh_token"]})
    assert third.status == 200


async def test_reusing_a_spent_refresh_token_ends_the_whole_session(ada):
    first = await login(ada)
    second = (await post(ada, "/auth/refresh", {"refresh_token": first["refresh_token"]})).body
    reuse = await post(ada, "/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert reuse.status == 401
    assert "already used" in error(reuse)["message"]
    # the family is gone: the rotated refresh token and its access token stop working too
    rotated = await post(ada, "/auth/refresh", {"refresh_token": second["refresh_token"]})
    assert (rotated.status, error(rotated)["message"]) == (401, "session has ended")
    status, body = await me_status(ada, second["access_token"])
    assert (status, body["error"]["message"]) == (401, "session has ended")
    # other sessions of the same person are not touched
    assert (await me_status(ada, ada.token))[0] == 200


async def test_a_made_up_refresh_token_is_refused(ada):
    response = await post(ada, "/auth/refresh", {"refresh_token": "x" * 43})
    assert (response.status, error(response)["code"]) == (401, "unauthenticated")


# -- logout --------------------------------------------------------------------------------
async def test_logout_ends_the_session_at_once_on_rest_and_on_its_open_socket(ada):
    other = await login(ada)
    await ada.connect()
    logout = await post(ada, "/auth/logout", token=ada.token)
    assert logout.status == 200 and logout.body["ended"] is True
    status, body = await me_status(ada, ada.token)
    assert (status, body["error"]["message"]) == (401, "session has ended")
    await eventually(lambda: _closed(ada), timeout=10)
    assert (ada.ws.close_code, ada.ws.close_reason) == (4001, "session has ended")
    assert (await me_status(ada, other["access_token"]))[0] == 200  # another session lives on


async def _closed(person: Person) -> bool:
    return person.ws.close_code is not None


async def test_logout_everywhere_ends_every_session_of_the_person(ada, base_url):
    phone, laptop = await login(ada), await login(ada)
    bob = await Person(base_url, unique_email("bob")).sign_up()
    response = await post(ada, "/auth/logout-all", token=phone["access_token"])
    assert response.status == 200 and response.body["ended_sessions"] >= 3
    for token in (ada.token, phone["access_token"], laptop["access_token"]):
        assert (await me_status(ada, token))[0] == 401
    refresh = await post(ada, "/auth/refresh", {"refresh_token": laptop["refresh_token"]})
    assert refresh.status == 401
    assert (await me_status(bob, bob.token))[0] == 200


# -- throttling ------------------------------------------------------------------------------
async def test_failed_logins_are_throttled_and_success_forgets_them(ada):
    for _ in range(5):
        wrong = await post(ada, "/auth/login", {"email": ada.email, "password": "not it, sorry"})
        assert wrong.status == 401
    locked = await post(ada, "/auth/login", {"email": ada.email, "password": ada.password})
    assert locked.status == 429
    assert error(locked)["code"] == "rate_limited"
    retry_after = int(locked.headers["Retry-After"])
    assert retry_after == error(locked)["retry_after"] >= 1
    await asyncio.sleep(retry_after + 0.2)
    assert (await ada.log_in()).status == 200
    # the account's failures were forgotten: one more failure is just a wrong password
    wrong = await post(ada, "/auth/login", {"email": ada.email, "password": "not it, sorry"})
    assert wrong.status == 401
    assert (await ada.log_in()).status == 200


# -- passwords ----------------------------------------------------------------------------------
async def test_a_weak_or_common_password_is_refused_and_nothing_is_created(base_url):
    person = Person(base_url, unique_email("weak"))
    for password, problem in (("short1", "at least 10"), ("Password123", "too common"),
                              ("qwertyuiop", "too common")):
        response = await post(person, "/auth/register", {
            "email": person.email, "password": password, "display_name": "Weak"})
        assert (response.status, error(response)["code"]) == (400, "invalid_input")
        assert error(response)["message"].startswith("password: ")
        assert problem in error(response)["message"]
    nobody = await post(person, "/auth/login", {"email": person.email, "password": "Password123"})
    assert nobody.status == 401
    created = await post(person, "/auth/register", {
        "email": person.email, "password": person.password, "display_name": "Weak"})
    assert created.status == 201  # the address was still free


async def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(ada):
    other = await login(ada)
    wrong = await post(ada, "/auth/password", {"old_password": "not it, sorry",
                                               "new_password": NEW_PASSWORD}, token=ada.token)
    assert (wrong.status, error(wrong)["code"]) == (403, "forbidden")
    changed = await post(ada, "/auth/password", {"old_password": ada.password,
                                                 "new_password": NEW_PASSWORD}, token=ada.token)
    assert changed.status == 200 and changed.body["changed"] is True
    assert (await me_status(ada, ada.token))[0] == 200          # this session goes on
    assert (await me_status(ada, other["access_token"]))[0] == 401
    assert (await post(ada, "/auth/login", {"email": ada.email,
                                            "password": ada.password})).status == 401
    await login(ada, NEW_PASSWORD)


async def test_a_reset_request_does_not_reveal_whether_the_address_exists(ada, base_url):
    stranger = Person(base_url, unique_email("stranger"))
    unknown = await post(stranger, "/auth/password-reset", {"email": stranger.email})
    known = await post(ada, "/auth/password-reset", {"email": ada.email})
    assert (unknown.status, unknown.body) == (known.status, known.body) == (
        202, {"accepted": True})
    await next_mail_to(ada.email)
    await asyncio.sleep(0.5)
    assert mails_to(stranger.email) == []


async def test_a_reset_sets_the_password_ends_every_session_and_works_only_once(ada):
    other = await login(ada)
    await post(ada, "/auth/password-reset", {"email": ada.email})
    mail = await next_mail_to(ada.email)
    assert mail["Subject"] == "Reset your Parley password"
    token = reset_token(mail)
    confirmed = await post(ada, "/auth/password-reset/confirm",
                           {"token": token, "new_password": NEW_PASSWORD})
    assert confirmed.status == 200 and confirmed.body["user_id"] == ada.user_id
    for access in (ada.token, other["access_token"]):
        assert (await me_status(ada, access))[0] == 401
    await login(ada, NEW_PASSWORD)
    again = await post(ada, "/auth/password-reset/confirm",
                       {"token": token, "new_password": "yet another fine password"})
    assert (again.status, error(again)["code"]) == (401, "unauthenticated")
    await login(ada, NEW_PASSWORD)


async def test_a_reset_token_expires(ada, stack):
    await post(ada, "/auth/password-reset", {"email": ada.email})
    token = reset_token(await next_mail_to(ada.email))
    age_reset_tokens(stack, ada.user_id)
    late = await post(ada, "/auth/password-reset/confirm",
                      {"token": token, "new_password": NEW_PASSWORD})
    assert late.status == 401 and "expired" in error(late)["message"]
    await login(ada)  # the password is unchanged


async def test_a_reset_link_issued_by_an_admin_in_nameko_shell_works(ada):
    (issued,) = nameko_shell(f"emit(n.rpc.auth.admin_issue_password_reset({ada.email!r}))")
    assert issued["user_id"] == ada.user_id
    mailed = reset_token(await next_mail_to(ada.email))
    assert issued["link"].endswith(f"token={mailed}")
    confirmed = await post(ada, "/auth/password-reset/confirm",
                           {"token": mailed, "new_password": NEW_PASSWORD})
    assert confirmed.status == 200
    await login(ada, NEW_PASSWORD)


# -- deactivation ---------------------------------------------------------------------------------
async def test_a_deactivated_account_is_signed_out_and_cannot_sign_in_until_reactivated(
        ada, system):
    deactivated = await system.call("auth", "deactivate", ada.user_id)
    assert deactivated["active"] is False
    assert (await me_status(ada, ada.token))[0] == 401
    refused = await post(ada, "/auth/login", {"email": ada.email, "password": ada.password})
    assert (refused.status, error(refused)["code"]) == (403, "forbidden")
    assert (await system.call("auth", "reactivate", ada.user_id))["active"] is True
    await login(ada)
