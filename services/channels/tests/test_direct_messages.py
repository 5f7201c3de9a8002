"""1:1 DMs and group DMs: one conversation per set of people, fixed membership."""
from __future__ import annotations

import pytest

from services.common.errors import Forbidden, InvalidInput, NotFound


def test_a_dm_is_created_with_both_people_in_it(channels, bus):
    dm = channels.open_dm("ada", ["bob"])
    assert dm["created"] is True
    assert (dm["kind"], dm["name"], dm["is_private"], dm["member_count"]) == ("dm", None, True, 2)
    assert sorted(channels.member_ids(dm["id"])) == ["ada", "bob"]
    assert {key for key, _ in bus.published} >= {"user.ada", "user.bob"}


def test_opening_the_same_pair_again_from_either_side_finds_the_same_dm(channels, bus):
    dm = channels.open_dm("ada", ["bob"])
    bus.clear()
    again = channels.open_dm("bob", ["ada"])
    assert (again["id"], again["created"]) == (dm["id"], False)
    assert bus.published == []


def test_a_group_dm_is_one_conversation_per_set_of_people(channels):
    group = channels.open_dm("ada", ["bob", "cy"])
    assert (group["kind"], group["member_count"]) == ("group_dm", 3)
    assert channels.open_dm("cy", ["bob", "ada", "cy"])["id"] == group["id"]
    assert channels.open_dm("ada", ["bob"])["id"] != group["id"]


def test_a_group_dm_holds_at_most_eight_people_the_opener_included(channels, users):
    people = [f"p{i}" for i in range(8)]
    users.roles.update({person: "member" for person in people})
    assert channels.open_dm("ada", people[:7])["member_count"] == 8
    with pytest.raises(InvalidInput):
        channels.open_dm("ada", people)
    assert len(channels.list_for_user("ada")) == 1


def test_a_conversation_needs_someone_besides_the_opener(channels):
    with pytest.raises(InvalidInput):
        channels.open_dm("ada", ["ada"])


def test_a_conversation_with_someone_unknown_or_deactivated_is_not_opened(channels, users):
    with pytest.raises(NotFound):
        channels.open_dm("ada", ["nobody"])
    users.inactive.add("bob")
    with pytest.raises(InvalidInput):
        channels.open_dm("ada", ["bob"])
    assert channels.list_for_user("ada") == []


def test_nobody_is_added_to_a_dm_after_it_was_created(channels):
    dm = channels.open_dm("ada", ["bob"])["id"]
    group = channels.open_dm("ada", ["bob", "cy"])["id"]
    for conversation in (dm, group):
        for attempt in (lambda: channels.invite("ada", conversation, ["dee"]),
                        lambda: channels.admin_add_member(conversation, "dee")):
            with pytest.raises(Forbidden):
                attempt()
        with pytest.raises(NotFound):  # outsiders cannot even see it
            channels.join("dee", conversation)
        assert not channels.is_member(conversation, "dee")


def test_nobody_is_removed_from_a_dm_nor_can_it_be_renamed_or_archived(channels):
    group = channels.open_dm("owner", ["bob", "cy"])["id"]
    for attempt in (lambda: channels.remove("owner", group, "bob"),
                    lambda: channels.update("owner", group, name="ours"),
                    lambda: channels.archive("owner", group),
                    lambda: channels.admin_archive(group)):
        with pytest.raises(Forbidden):
            attempt()
    assert channels.get("owner", group)["archived_at"] is None


def test_people_in_a_conversation_may_set_its_topic(channels):
    dm = channels.open_dm("ada", ["bob"])["id"]
    assert channels.update("bob", dm, topic="lunch plans")["topic"] == "lunch plans"


def test_a_1_1_dm_cannot_be_left(channels):
    dm = channels.open_dm("ada", ["bob"])["id"]
    with pytest.raises(Forbidden):
        channels.leave("ada", dm)
    assert channels.is_member(dm, "ada")


def test_someone_who_left_a_group_dm_is_back_when_they_open_it_again(channels, bus):
    group = channels.open_dm("ada", ["bob", "cy"])["id"]
    channels.leave("cy", group)
    assert channels.open_dm("bob", ["ada", "cy"])["member_count"] == 2  # cy is not pulled back
    bus.clear()
    assert channels.open_dm("cy", ["ada", "bob"])["id"] == group
    assert channels.is_member(group, "cy")
    assert ("user.cy", {"type": "member.joined",
                        "data": {"channel_id": group, "user_id": "cy"}}) in bus.published


def test_conversations_are_invisible_to_outsiders_and_not_in_the_directory(channels):
    dm = channels.open_dm("ada", ["bob"])["id"]
    with pytest.raises(NotFound):
        channels.get("owner", dm)
    assert channels.directory("ada")["channels"] == []
    assert channels.admin_list_channels() == []
