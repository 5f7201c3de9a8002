"""The people routes (gateway_tornado/handlers/people.py): what reaches the users
service, what the gateway refuses itself, and the throttled activity touch."""
from __future__ import annotations

import asyncio
import base64
import json

import pytest

from gateway_tornado import activity
from services.common.errors import Forbidden

PROFILE = {"user_id": "user-1", "display_name": "Ada"}


@pytest.fixture(autouse=True)
def nobody_touched_yet():
    activity._touched.clear()
    yield
    activity._touched.clear()


@pytest.fixture
def touches(rpc):
    rpc.answer("users", "touch", lambda user_id: {"user_id": user_id})
    return lambda: [c["args"] for c in rpc.calls if c["method"] == "touch"]


def calls_to(rpc, method):
    return [c for c in rpc.calls if c["method"] == method]


async def test_editing_my_profile_sends_the_body_as_the_changes(fetch, rpc, bearer, touches):
    rpc.answer("users", "update_profile", PROFILE)
    response = await fetch("/api/v1/me", method="PATCH", headers=bearer("ada"),
                           body={"title": "Engineer", "time_zone": "Europe/Paris"})
    assert response.code == 200 and json.loads(response.body) == PROFILE
    assert calls_to(rpc, "update_profile")[0]["args"] == (
        "ada", {"title": "Engineer", "time_zone": "Europe/Paris"})


async def test_a_profile_edit_that_is_not_a_json_object_never_reaches_the_service(
        fetch, rpc, bearer, touches):
    response = await fetch("/api/v1/me", method="PATCH", headers=bearer(), body="[1, 2]")
    assert response.code == 400 and calls_to(rpc, "update_profile") == []


async def test_a_profile_edit_without_a_body_is_invalid_input(fetch, rpc, bearer, touches):
    response = await fetch("/api/v1/me", method="PATCH", headers=bearer())
    assert response.code == 400
    assert json.loads(response.body)["error"]["code"] == "invalid_input"
    assert calls_to(rpc, "update_profile") == []


async def test_an_avatar_travels_as_base64_of_the_body(fetch, rpc, bearer, touches):
    rpc.answer("users", "set_avatar", PROFILE)
    image = bytes(range(256)) * 4
    response = await fetch("/api/v1/me/avatar", method="PUT", headers=bearer("ada"), body=image)
    assert response.code == 200
    actor, sent = calls_to(rpc, "set_avatar")[0]["args"]
    assert actor == "ada" and base64.b64decode(sent) == image


async def test_removing_my_avatar(fetch, rpc, bearer, touches):
    rpc.answer("users", "remove_avatar", PROFILE)
    response = await fetch("/api/v1/me/avatar", method="DELETE", headers=bearer("ada"))
    assert response.code == 200 and calls_to(rpc, "remove_avatar")[0]["args"] == ("ada",)


async def test_the_directory_query_reaches_the_service(fetch, rpc, bearer, touches):
    rpc.answer("users", "directory", {"users": [], "next_cursor": "next-page"})
    response = await fetch("/api/v1/users?q=al&cursor=abc&limit=20&include_deactivated=true",
                           headers=bearer("ada"))
    assert response.code == 200
    assert response.headers["X-Next-Cursor"] == "next-page"
    assert json.loads(response.body) == {"users": [], "next_cursor": "next-page"}
    call = calls_to(rpc, "directory")[0]
    assert call["args"] == ("ada",)
    assert call["kwargs"] == {"prefix": "al", "cursor": "abc", "limit": 20,
                              "include_deactivated": True}


async def test_the_directory_defaults_and_its_last_page_has_no_cursor_header(
        fetch, rpc, bearer, touches):
    rpc.answer("users", "directory", {"users": [], "next_cursor": None})
    response = await fetch("/api/v1/users", headers=bearer("ada"))
    assert "X-Next-Cursor" not in response.headers
    assert calls_to(rpc, "directory")[0]["kwargs"] == {
        "prefix": "", "cursor": None, "limit": 50, "include_deactivated": False}


@pytest.mark.parametrize("query", ["limit=ten", "limit=-1", "include_deactivated=maybe"])
async def test_a_malformed_directory_query_is_refused_by_the_gateway(fetch, rpc, bearer,
                                                                     touches, query):
    response = await fetch(f"/api/v1/users?{query}", headers=bearer())
    assert response.code == 400
    assert json.loads(response.body)["error"]["code"] == "invalid_input"
    assert calls_to(rpc, "directory") == []


async def test_someones_profile(fetch, rpc, bearer, touches):
    rpc.answer("users", "profile", PROFILE)
    response = await fetch("/api/v1/users/user-1", headers=bearer("ada"))
    assert response.code == 200 and calls_to(rpc, "profile")[0]["args"] == ("ada", "user-1")


async def test_setting_a_role(fetch, rpc, bearer, touches):
    rpc.answer("users", "set_role", {**PROFILE, "role": "guest"})
    response = await fetch("/api/v1/users/user-1/role", method="PUT", headers=bearer("ada"),
                           body={"role": "guest"})
    assert response.code == 200
    assert calls_to(rpc, "set_role")[0]["args"] == ("ada", "user-1", "guest")


@pytest.mark.parametrize("body", [{}, {"role": None}, {"role": 3}])
async def test_a_role_must_be_a_string(fetch, rpc, bearer, touches, body):
    response = await fetch("/api/v1/users/user-1/role", method="PUT", headers=bearer(),
                           body=body)
    assert response.code == 400 and calls_to(rpc, "set_role") == []


@pytest.mark.parametrize("action", ["deactivate", "reactivate"])
async def test_deactivating_and_reactivating(fetch, rpc, bearer, touches, action):
    rpc.answer("users", action, PROFILE)
    response = await fetch(f"/api/v1/users/user-1/{action}", method="POST",
                           headers=bearer("ada"))
    assert response.code == 200 and calls_to(rpc, action)[0]["args"] == ("ada", "user-1")


async def test_a_refusal_by_the_service_is_a_403(fetch, rpc, bearer, touches):
    rpc.answer("users", "deactivate", Forbidden("only owners and admins deactivate people"))
    response = await fetch("/api/v1/users/user-1/deactivate", method="POST", headers=bearer())
    assert response.code == 403
    assert json.loads(response.body)["error"]["code"] == "forbidden"


async def test_the_people_routes_need_a_token(fetch, rpc):
    for method, path in (("GET", "/api/v1/users"), ("PATCH", "/api/v1/me"),
                         ("PUT", "/api/v1/me/avatar"), ("POST", "/api/v1/users/u/deactivate")):
        response = await fetch(path, method=method, body=b"{}" if method != "GET" else None)
        assert response.code == 401, path
    assert rpc.calls == []


# -- last activity ------------------------------------------------------------------------
async def test_a_request_tells_users_that_its_person_is_active_once_a_minute(
        fetch, rpc, bearer, touches):
    rpc.answer("users", "get", PROFILE)
    for _ in range(3):
        await fetch("/api/v1/me", headers=bearer("ada"))
    await fetch("/api/v1/me", headers=bearer("bob"))
    await asyncio.sleep(0.05)  # the touch runs in the background
    assert touches() == [("ada",), ("bob",)]


async def test_a_failing_touch_does_not_fail_the_request(fetch, rpc, bearer):
    rpc.answer("users", "get", PROFILE)
    rpc.answer("users", "touch", RuntimeError("users is down"))
    response = await fetch("/api/v1/me", headers=bearer("ada"))
    await asyncio.sleep(0.05)
    assert response.code == 200 and calls_to(rpc, "touch")


def test_touching_is_throttled_per_person_to_once_a_minute():
    assert activity.should_touch("ada", 1000.0)
    assert not activity.should_touch("ada", 1059.0)
    assert activity.should_touch("bob", 1059.0)
    assert activity.should_touch("ada", 1060.0)
