"""Joining, leaving, inviting, removing, and member lists page by page."""
from __future__ import annotations

from unittest.mock import call

import pytest

from services.common.errors import Forbidden, InvalidInput, NotFound


@pytest.fixture
def general(channels) -> str:
    return channels.create("ada", "general")["id"]


@pytest.fixture
def secret(channels) -> str:
    return channels.create("ada", "secret", is_private=True)["id"]


def joined(channel_id, user_id):
    return {"type": "member.joined", "data": {"channel_id": channel_id, "user_id": user_id}}


def left(channel_id, user_id, removed_by=None):
    return {"type": "member.left",
            "data": {"channel_id": channel_id, "user_id": user_id, "removed_by": removed_by}}


# -- joining ---------------------------------------------------------------------------
def test_joining_a_public_channel_is_announced(channels, bus, general):
    bus.clear()
    assert channels.join("bob", general) == {"channel_id": general, "user_id": "bob",
                                             "joined": True}
    assert bus.published == [(f"channel.{general}", joined(general, "bob")),
                             ("user.bob", joined(general, "bob"))]


def test_joining_again_changes_and_announces_nothing(channels, bus, general):
    channels.join("bob", general)
    bus.clear()
    assert channels.join("bob", general)["joined"] is False
    assert bus.published == []


def test_a_private_channel_is_joined_by_invitation_only_and_invisible_to_outsiders(
        channels, secret):
    with pytest.raises(NotFound):
        channels.join("bob", secret)
    assert channels.is_member(secret, "bob") is False


# -- leaving ---------------------------------------------------------------------------
def test_leaving_is_announced_to_the_channel_including_the_leaver(channels, bus, general):
    channels.join("bob", general)
    bus.clear()
    assert channels.leave("bob", general)["left"] is True
    assert bus.published == [(f"channel.{general}", left(general, "bob"))]
    assert channels.member_ids(general) == ["ada"]


def test_leaving_a_channel_one_is_not_in_changes_nothing(channels, bus, general):
    bus.clear()
    assert channels.leave("bob", general)["left"] is False
    assert bus.published == []


def test_the_creator_can_leave_too(channels, general):
    assert channels.leave("ada", general)["left"] is True
    assert channels.member_ids(general) == []


# -- inviting --------------------------------------------------------------------------
def test_a_member_invites_several_people_at_once(channels, bus, secret):
    bus.clear()
    answer = channels.invite("ada", secret, ["bob", "cy", "bob"])
    assert answer == {"channel_id": secret, "added": ["bob", "cy"], "already_members": []}
    assert [event for _, event in bus.published] == [joined(secret, "bob")] * 2 + [
        joined(secret, "cy")] * 2
    assert channels.get("cy", secret)["member_count"] == 3


def test_inviting_people_already_in_changes_nothing(channels, bus, secret):
    channels.invite("ada", secret, ["bob"])
    bus.clear()
    answer = channels.invite("ada", secret, ["bob", "ada"])
    assert answer == {"channel_id": secret, "added": [], "already_members": ["bob", "ada"]}
    assert bus.published == []


def test_inviting_someone_unknown_adds_nobody(channels, secret):
    with pytest.raises(NotFound):
        channels.invite("ada", secret, ["bob", "nobody"])
    assert channels.member_ids(secret) == ["ada"]


def test_a_deactivated_person_cannot_be_invited(channels, users, secret):
    users.inactive.add("bob")
    with pytest.raises(InvalidInput):
        channels.invite("ada", secret, ["bob"])
    assert channels.is_member(secret, "bob") is False


@pytest.mark.parametrize("user_ids", [[], [""], ["x" * 65], "bob", [f"u{i}" for i in range(101)]])
def test_an_invitation_needs_1_to_100_user_ids(channels, secret, user_ids):
    with pytest.raises(InvalidInput):
        channels.invite("ada", secret, user_ids)


def test_outsiders_cannot_invite_to_a_public_channel(channels, general):
    with pytest.raises(Forbidden):
        channels.invite("bob", general, ["cy"])


# -- removing --------------------------------------------------------------------------
def test_the_creator_removes_someone_and_the_channel_hears_who_did(channels, bus, general):
    channels.join("bob", general)
    bus.clear()
    assert channels.remove("ada", general, "bob")["removed"] is True
    assert bus.published == [(f"channel.{general}", left(general, "bob", removed_by="ada"))]
    assert channels.is_member(general, "bob") is False


def test_removing_someone_not_in_the_channel_changes_nothing(channels, bus, general):
    bus.clear()
    assert channels.remove("ada", general, "bob")["removed"] is False
    assert bus.published == []


def test_removing_oneself_is_leaving(channels, bus, general):
    channels.join("bob", general)
    bus.clear()
    assert channels.remove("bob", general, "bob") == {"channel_id": general, "user_id": "bob",
                                                      "removed": True}
    assert bus.published == [(f"channel.{general}", left(general, "bob"))]


# -- telling the services that remember a channel's people -------------------------------
def test_joining_leaving_and_being_removed_are_told_once_each(channels, general):
    channels.dispatch.reset_mock()
    channels.join("bob", general)
    channels.join("cy", general)
    channels.leave("bob", general)
    channels.remove("ada", general, "cy")
    assert channels.dispatch.call_args_list == [
        call("audience_changed", {"channel_id": general, "user_id": person})
        for person in ("bob", "cy", "bob", "cy")]


def test_repeats_that_change_nothing_tell_nothing(channels, general):
    channels.join("bob", general)
    channels.dispatch.reset_mock()
    channels.join("bob", general)
    channels.leave("cy", general)
    channels.remove("ada", general, "dee")
    assert channels.dispatch.call_args_list == []


def test_a_members_notification_settings_are_told(channels, general):
    channels.join("bob", general)
    channels.dispatch.reset_mock()
    channels.set_notifications("bob", general, level="mentions")
    assert channels.dispatch.call_args_list == [
        call("audience_changed", {"channel_id": general, "user_id": "bob"})]


# -- member lists ----------------------------------------------------------------------
def test_members_come_in_order_of_joining_page_by_page(channels, general):
    for person in ("bob", "cy", "dee", "owner"):
        channels.join(person, general)
    seen, cursor = [], None
    while True:
        page = channels.members("bob", general, cursor=cursor, limit=2)
        seen.append(page["members"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [["ada", "bob"], ["cy", "dee"], ["owner"]]


def test_a_full_page_without_more_has_no_next_cursor(channels, general):
    channels.join("bob", general)
    assert channels.members("ada", general, limit=2) == {"members": ["ada", "bob"],
                                                         "next_cursor": None}


@pytest.mark.parametrize("cursor, limit", [("not-a-cursor", 10), (None, 0), (None, 201),
                                           (None, "10")])
def test_a_bad_cursor_or_limit_is_invalid_input(channels, general, cursor, limit):
    with pytest.raises(InvalidInput):
        channels.members("ada", general, cursor=cursor, limit=limit)


def test_member_ids_for_other_services_need_an_existing_channel(channels):
    with pytest.raises(NotFound):
        channels.member_ids("no-such-id")


# -- the audience of a channel, for notifications ----------------------------------------
def test_audience_is_the_channel_and_each_members_level_and_mute(channels, general):
    channels.join("bob", general)
    channels.join("cy", general)
    channels.set_notifications("bob", general, level="mentions")
    channels.set_notifications("cy", general, muted=True)
    audience = channels.audience(general)
    assert (audience["channel"]["id"], audience["channel"]["kind"]) == (general, "public")
    assert [(m["user_id"], m["notification_level"], m["muted"]) for m in audience["members"]] \
        == [("ada", "all", False), ("bob", "mentions", False), ("cy", "all", True)]


def test_audience_of_an_unknown_channel_is_not_found(channels):
    with pytest.raises(NotFound):
        channels.audience("nope")
