"""Creating, describing, renaming and archiving channels (services/channels/service.py)."""
from __future__ import annotations

from unittest.mock import call

import pytest

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound


# -- creating ------------------------------------------------------------------------
def test_a_new_channel_has_its_creator_as_only_member(channels):
    created = channels.create("ada", "general")
    assert created["kind"] == "public" and created["is_private"] is False
    assert created["member_count"] == 1 and created["message_count"] == 0
    assert created["created_by"] == "ada" and created["archived_at"] is None
    assert created["membership"]["notification_level"] == "all"
    assert channels.member_ids(created["id"]) == ["ada"]


def test_a_private_channel_is_of_kind_private(channels):
    created = channels.create("ada", "secret", is_private=True)
    assert (created["kind"], created["is_private"]) == ("private", True)


def test_a_channel_can_start_with_a_topic_and_purpose(channels):
    created = channels.create("ada", "launch", topic="Friday 10:00", purpose="ship v2")
    assert (created["topic"], created["purpose"]) == ("Friday 10:00", "ship v2")


def test_creating_announces_the_creator_as_member_to_the_channel_and_to_them(channels, bus):
    created = channels.create("ada", "general")
    event = {"type": "member.joined", "data": {"channel_id": created["id"], "user_id": "ada"}}
    assert bus.published == [(f"channel.{created['id']}", event), ("user.ada", event)]


def test_the_creator_asking_again_gets_the_same_channel_and_nothing_is_announced(channels, bus):
    first = channels.create("ada", "general")
    bus.clear()
    assert channels.create("ada", "General")["id"] == first["id"]
    assert bus.published == []


def test_a_name_taken_by_someone_else_is_a_conflict(channels):
    channels.create("ada", "general")
    with pytest.raises(Conflict):
        channels.create("bob", "general")


@pytest.mark.parametrize("given, stored", [
    ("General", "general"), ("  #team alpha ", "team-alpha"), ("a_b-c", "a_b-c"),
    ("x" * 80, "x" * 80), ("-", "-"), ("ＦＵＬＬ", "full")])
def test_names_are_normalised(channels, given, stored):
    assert channels.create("ada", given)["name"] == stored


@pytest.mark.parametrize("name", ["", "   ", "#", "x" * 81, "café", "a.b", "a/b", "ünïcode"])
def test_names_outside_the_rules_are_refused(channels, session, name):
    with pytest.raises(InvalidInput):
        channels.create("ada", name)
    assert channels.admin_list_channels() == []


def test_a_topic_must_be_one_line(channels):
    with pytest.raises(InvalidInput):
        channels.create("ada", "general", topic="two\nlines")


# -- reading -------------------------------------------------------------------------
def test_an_unknown_channel_is_not_found(channels):
    with pytest.raises(NotFound):
        channels.get("ada", "no-such-id")


def test_someone_sees_the_channel_with_their_own_membership(channels):
    created = channels.create("ada", "general")
    channels.join("bob", created["id"])
    seen = channels.get("bob", created["id"])
    assert seen["member_count"] == 2 and seen["membership"]["last_read_seq"] == 0
    assert channels.get("cy", created["id"])["membership"] is None


def test_my_channels_are_listed_by_name_with_conversations_after(channels):
    channels.create("ada", "zeta")
    channels.create("ada", "alpha")
    dm = channels.open_dm("ada", ["bob"])
    listed = channels.list_for_user("ada")
    assert [c["name"] for c in listed] == ["alpha", "zeta", None]
    assert listed[2]["id"] == dm["id"] and all(c["membership"] for c in listed)


# -- renaming, topic, purpose ----------------------------------------------------------
def test_the_creator_renames_and_everyone_in_it_hears(channels, bus):
    created = channels.create("ada", "general")
    bus.clear()
    renamed = channels.update("ada", created["id"], name="Town Square")
    assert renamed["name"] == "town-square"
    ((key, event),) = bus.published
    assert key == f"channel.{created['id']}" and event["type"] == "channel.updated"
    assert event["data"]["changed"] == ["name"] and event["data"]["by"] == "ada"
    assert event["data"]["channel"]["name"] == "town-square"


def test_several_fields_change_in_one_update(channels, bus):
    created = channels.create("ada", "general")
    bus.clear()
    channels.update("ada", created["id"], topic="news", purpose="company-wide")
    ((_, event),) = bus.published
    assert event["data"]["changed"] == ["purpose", "topic"]


def test_an_update_that_changes_nothing_announces_nothing(channels, bus):
    created = channels.create("ada", "general", topic="news")
    bus.clear()
    assert channels.update("ada", created["id"], topic="news")["topic"] == "news"
    assert bus.published == []


def test_an_update_needs_something_to_change(channels):
    created = channels.create("ada", "general")
    with pytest.raises(InvalidInput):
        channels.update("ada", created["id"])


def test_renaming_to_a_taken_name_is_a_conflict_and_changes_nothing(channels):
    channels.create("ada", "general")
    other = channels.create("ada", "random")
    with pytest.raises(Conflict):
        channels.update("ada", other["id"], name="general", topic="x")
    assert channels.get("ada", other["id"])["topic"] == ""


def test_an_update_refused_in_part_changes_nothing(channels):
    created = channels.create("ada", "general")
    channels.join("bob", created["id"])
    with pytest.raises(Forbidden):
        channels.update("bob", created["id"], topic="mine", name="bobs")
    assert channels.get("bob", created["id"])["topic"] == ""


# -- archiving -----------------------------------------------------------------------
def test_archiving_makes_the_channel_read_only(channels, bus):
    created = channels.create("ada", "general")
    channels.join("bob", created["id"])
    archived = channels.archive("ada", created["id"])
    assert archived["archived_at"] is not None
    assert bus.published[-1][1]["data"]["changed"] == ["archived_at"]
    assert channels.can_post(created["id"], "ada") is False
    for attempt in (lambda: channels.join("cy", created["id"]),
                    lambda: channels.invite("ada", created["id"], ["cy"]),
                    lambda: channels.update("bob", created["id"], topic="still here?"),
                    lambda: channels.remove("ada", created["id"], "bob")):
        with pytest.raises(Forbidden):
            attempt()
    assert channels.member_ids(created["id"]) == ["ada", "bob"]


def test_a_new_topic_archiving_and_unarchiving_are_told_once_each(channels):
    created = channels.create("ada", "general")
    channels.dispatch.reset_mock()
    channels.update("ada", created["id"], topic="about to close")
    channels.archive("ada", created["id"])
    channels.archive("ada", created["id"])   # already archived: nothing changes
    channels.unarchive("ada", created["id"])
    assert channels.dispatch.call_args_list == [
        call("audience_changed", {"channel_id": created["id"], "user_id": None})] * 3


def test_an_archived_channel_can_still_be_read_by_those_who_could(channels):
    created = channels.create("ada", "general")
    channels.archive("ada", created["id"])
    assert channels.get("bob", created["id"])["archived_at"] is not None
    assert channels.members("bob", created["id"])["members"] == ["ada"]


def test_archiving_twice_changes_nothing_the_second_time(channels, bus):
    created = channels.create("ada", "general")
    first = channels.archive("ada", created["id"])
    bus.clear()
    assert channels.archive("ada", created["id"])["archived_at"] == first["archived_at"]
    assert bus.published == []


def test_unarchiving_opens_the_channel_again(channels):
    created = channels.create("ada", "general")
    channels.archive("ada", created["id"])
    assert channels.unarchive("ada", created["id"])["archived_at"] is None
    assert channels.join("bob", created["id"])["joined"] is True
    assert channels.can_post(created["id"], "bob") is True
