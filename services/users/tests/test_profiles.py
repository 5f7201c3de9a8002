"""Profiles: what a person changes about themselves, who sees whose profile, the
status that expires, last activity, and avatars (square PNGs in S3)."""
from __future__ import annotations

import base64
import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from services.common.errors import Forbidden, InvalidInput, NotFound
from services.users.models import Profile


def soon(minutes=30) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat()


# -- editing one's own profile ----------------------------------------------------------
def test_a_new_profile_is_blank_but_for_the_name(people):
    mo = people.get("mo")
    assert (mo["full_name"], mo["title"], mo["time_zone"], mo["avatar"]) == ("", "", None, None)
    assert mo["status"] == {"text": "", "emoji": "", "expires_at": None}


def test_a_person_edits_their_profile(people):
    edited = people.update_profile("mo", {
        "display_name": " Mo ", "full_name": "Maureen O'Hara", "title": "Engineer",
        "time_zone": "Europe/Paris", "status_text": "in a meeting", "status_emoji": ":calendar:"})
    assert (edited["display_name"], edited["full_name"], edited["title"],
            edited["time_zone"]) == ("Mo", "Maureen O'Hara", "Engineer", "Europe/Paris")
    assert edited["status"] == {"text": "in a meeting", "emoji": ":calendar:", "expires_at": None}
    assert people.get("mo") == edited


def test_fields_not_sent_stay_as_they_are(people):
    people.update_profile("mo", {"title": "Engineer", "time_zone": "Asia/Tokyo"})
    edited = people.update_profile("mo", {"full_name": "Maureen"})
    assert (edited["title"], edited["time_zone"], edited["full_name"]) == (
        "Engineer", "Asia/Tokyo", "Maureen")


def test_editing_twice_with_the_same_values_gives_the_same_profile(people):
    change = {"title": "Engineer", "time_zone": "America/New_York"}
    assert people.update_profile("mo", change) == people.update_profile("mo", change)


@pytest.mark.parametrize("change", [
    {"time_zone": "Mars/Olympus_Mons"},
    {"time_zone": "europe/paris"},
    {"display_name": "   "},
    {"display_name": None},
    {"display_name": "x" * 81},
    {"status_text": "x" * 101},
    {"status_expires_at": "2001-01-01T00:00:00Z"},
    {"status_expires_at": "2999-01-01T00:00:00"},  # no offset
    {"role": "owner"},
    {"email": "someone@else.com"},
    {"title": "Boss", "time_zone": "Nowhere/Special"},  # one bad field spoils all
])
def test_bad_input_is_invalid_and_changes_nothing(people, change):
    before = people.get("mo")
    with pytest.raises(InvalidInput):
        people.update_profile("mo", change)
    assert people.get("mo") == before


def test_a_profile_edit_must_be_an_object(people):
    with pytest.raises(InvalidInput):
        people.update_profile("mo", ["title", "Boss"])


def test_an_empty_time_zone_clears_it(people):
    people.update_profile("mo", {"time_zone": "Europe/Paris"})
    assert people.update_profile("mo", {"time_zone": ""})["time_zone"] is None


def test_a_status_with_an_expiry_reads_as_no_status_once_it_passed(people, session):
    expires = soon()
    status = people.update_profile("mo", {"status_text": "lunch", "status_emoji": ":taco:",
                                          "status_expires_at": expires})["status"]
    assert status == {"text": "lunch", "emoji": ":taco:",
                      "expires_at": datetime.fromisoformat(expires).isoformat()}
    session.get(Profile, "mo").status_expires_at = datetime.now(timezone.utc) - timedelta(1)
    session.commit()
    assert people.get("mo")["status"] == {"text": "", "emoji": "", "expires_at": None}


def test_a_new_status_does_not_inherit_the_old_expiry(people):
    people.update_profile("mo", {"status_text": "lunch", "status_expires_at": soon()})
    assert people.update_profile("mo", {"status_text": "on call"})["status"]["expires_at"] is None


# -- seeing profiles ---------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["olive", "ada", "mo", "gus"])
def test_everyone_sees_their_own_profile(people, actor):
    assert people.profile(actor, actor)["user_id"] == actor


@pytest.mark.parametrize("actor", ["olive", "ada", "mo"])
def test_members_and_up_see_anyones_profile(people, actor):
    assert people.profile(actor, "max")["display_name"] == "Max"


def test_a_guest_sees_only_people_sharing_a_channel_with_them(people, channels):
    channels.members["project"] = ["gus", "mo"]
    assert people.profile("gus", "mo")["display_name"] == "Mo"
    with pytest.raises(Forbidden):
        people.profile("gus", "max")


def test_an_unknown_persons_profile_is_not_found(people):
    with pytest.raises(NotFound):
        people.profile("mo", "nobody")


# -- last active ------------------------------------------------------------------------
def test_touch_records_last_activity(people):
    assert people.get("mo")["last_active_at"] is None
    people.touch("mo")
    seen = datetime.fromisoformat(people.get("mo")["last_active_at"])
    assert abs(datetime.now(timezone.utc) - seen) < timedelta(seconds=5)


def test_touching_again_within_a_minute_writes_nothing(people, session):
    people.touch("mo")
    first = people.get("mo")["last_active_at"]
    people.touch("mo")
    assert people.get("mo")["last_active_at"] == first
    session.get(Profile, "mo").last_active_at = datetime.now(timezone.utc) - timedelta(minutes=2)
    session.commit()
    people.touch("mo")
    assert datetime.fromisoformat(people.get("mo")["last_active_at"]) > \
        datetime.now(timezone.utc) - timedelta(seconds=5)


def test_a_gateways_heartbeat_touches_many_people_in_one_call_each_once_a_minute(
        people, session):
    people.touch("mo")
    assert people.touch_many(["mo", "gus", "max"]) == {"touched": 2}   # mo: just now
    assert people.touch_many(["mo", "gus", "max"]) == {"touched": 0}
    assert all(people.get(p)["last_active_at"] for p in ("mo", "gus", "max"))
    assert people.touch_many([]) == {"touched": 0}


@pytest.mark.parametrize("user_ids", ["mo", [""], ["x" * 65], ["mo"] * 1001, None])
def test_touch_many_refuses_anything_but_a_list_of_up_to_1000_ids(people, user_ids):
    with pytest.raises(InvalidInput):
        people.touch_many(user_ids)
    assert people.get("mo")["last_active_at"] is None


# -- avatars --------------------------------------------------------------------------------
def image(width=600, height=400, fmt="PNG", mode="RGB", color=(200, 30, 30)) -> str:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), color).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def stored_sizes(s3) -> list[tuple[int, int]]:
    return sorted(Image.open(io.BytesIO(o["body"])).size for o in s3.client.objects.values())


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_an_avatar_is_stored_as_256_and_64_pixel_squares(people, s3, fmt):
    avatar = people.set_avatar("mo", image(fmt=fmt))["avatar"]
    assert stored_sizes(s3) == [(64, 64), (256, 256)]
    assert set(avatar) == {"256", "64", "expires_in"}
    for size in ("256", "64"):
        key = avatar[size].split("parley-test/", 1)[1].split("?")[0]
        assert key.startswith("avatars/mo/") and key.endswith(f"-{size}.png")
        assert s3.client.objects[key]["ContentType"] == "image/png"


def test_a_transparent_avatar_keeps_its_transparency(people, s3):
    people.set_avatar("mo", image(mode="RGBA", color=(0, 0, 0, 0)))
    assert {Image.open(io.BytesIO(o["body"])).mode for o in s3.client.objects.values()} == {"RGBA"}


def test_uploading_the_same_avatar_again_stores_the_same_objects(people, s3):
    first = people.set_avatar("mo", image())["avatar"]
    again = people.set_avatar("mo", image())["avatar"]
    assert first == again and len(s3.client.objects) == 2


def test_a_new_avatar_replaces_the_old_objects(people, s3):
    people.set_avatar("mo", image(color=(1, 2, 3)))
    old = set(s3.client.objects)
    people.set_avatar("mo", image(color=(4, 5, 6)))
    assert len(s3.client.objects) == 2 and not old & set(s3.client.objects)


def test_removing_the_avatar_deletes_its_objects(people, s3):
    people.set_avatar("mo", image())
    assert people.remove_avatar("mo")["avatar"] is None
    assert s3.client.objects == {}


@pytest.mark.parametrize("body", [
    base64.b64encode(b"%PDF-1.4 definitely not an image").decode(),
    base64.b64encode(b"\x89PNG\r\n\x1a\n truncated").decode(),
    "",
    "not base64 at all!",
])
def test_something_that_is_not_an_image_is_invalid_and_changes_nothing(people, s3, body):
    people.set_avatar("mo", image())
    before = people.get("mo")
    with pytest.raises(InvalidInput):
        people.set_avatar("mo", body)
    assert people.get("mo") == before and len(s3.client.objects) == 2


def test_a_huge_image_is_refused(people, s3):
    with pytest.raises(InvalidInput):
        people.set_avatar("mo", image(width=10_000, height=5_000, fmt="PNG", mode="1", color=0))
    assert s3.client.objects == {} and people.get("mo")["avatar"] is None


# -- others hear of a change at once ------------------------------------------------------
def updates(bus):
    return [(key, event["data"]) for key, event in bus.published if event["type"] == "user.updated"]


def test_a_profile_edit_is_announced_to_the_person_and_every_conversation_they_are_in(
        people, channels, bus):
    channels.members["general"] = ["mo", "ada"]
    channels.members["dm-mo-max"] = ["mo", "max"]
    edited = people.update_profile("mo", {"status_text": "on a train", "status_emoji": ":train:"})
    announced = updates(bus)
    assert sorted(key for key, _ in announced) == ["channel.dm-mo-max", "channel.general", "user.mo"]
    assert all(data == edited for _, data in announced)
    assert edited["status"]["text"] == "on a train"


def test_a_new_or_removed_avatar_is_announced_too(people, bus):
    people.set_avatar("mo", image())
    people.remove_avatar("mo")
    announced = [data["avatar"] for key, data in updates(bus) if key == "user.mo"]
    assert announced[0] is not None and announced[1] is None


def test_a_refused_edit_announces_nothing(people, bus):
    with pytest.raises(InvalidInput):
        people.update_profile("mo", {"display_name": ""})
    assert updates(bus) == []
