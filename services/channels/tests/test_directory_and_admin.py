"""The channel directory (search by name prefix, page by page) and the admin RPCs
an operator calls from `nameko shell`."""
from __future__ import annotations

import pytest

from services.common.errors import Forbidden, InvalidInput, NotFound


def names(page) -> list[str]:
    return [channel["name"] for channel in page["channels"]]


@pytest.fixture
def workspace(channels):
    for name in ("design", "dev", "dev-ops", "dev_null", "devices", "marketing"):
        channels.create("ada", name)
    channels.create("ada", "dev-secret", is_private=True)
    channels.create("bob", "dev-bobs", is_private=True)
    return channels


def test_the_directory_lists_public_channels_and_my_private_ones_by_name(workspace):
    assert names(workspace.directory("ada")) == [
        "design", "dev", "dev-ops", "dev-secret", "dev_null", "devices", "marketing"]
    assert "dev-secret" not in names(workspace.directory("cy"))


def test_searching_by_prefix(workspace):
    assert names(workspace.directory("cy", prefix="dev")) == ["dev", "dev-ops", "dev_null",
                                                             "devices"]
    assert names(workspace.directory("cy", prefix="#DEV-")) == ["dev-ops"]
    assert names(workspace.directory("cy", prefix="dev_")) == ["dev_null"]  # _ is no wildcard
    assert names(workspace.directory("cy", prefix="zzz")) == []


def test_the_directory_comes_page_by_page(workspace):
    seen, cursor = [], None
    while True:
        page = workspace.directory("cy", cursor=cursor, limit=2)
        seen.append(names(page))
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == [["design", "dev"], ["dev-ops", "dev_null"], ["devices", "marketing"]]


def test_directory_entries_say_whether_i_am_in_them(workspace):
    workspace.join("cy", workspace.directory("cy", prefix="marketing")["channels"][0]["id"])
    entries = {c["name"]: c["membership"] for c in workspace.directory("cy")["channels"]}
    assert entries["marketing"] is not None and entries["design"] is None


def test_archived_channels_are_left_out_unless_asked_for(workspace):
    design = workspace.directory("ada", prefix="design")["channels"][0]["id"]
    workspace.archive("ada", design)
    assert names(workspace.directory("ada", prefix="de")) == ["dev", "dev-ops", "dev-secret",
                                                              "dev_null", "devices"]
    assert "design" in names(workspace.directory("ada", prefix="de", include_archived=True))


@pytest.mark.parametrize("limit", [0, 201, "x"])
def test_a_page_size_outside_1_to_200_is_invalid(workspace, limit):
    with pytest.raises(InvalidInput):
        workspace.directory("ada", limit=limit)


# -- admins -------------------------------------------------------------------------
def test_admins_list_every_channel_but_no_conversations(workspace):
    workspace.open_dm("ada", ["bob"])
    listed = workspace.admin_list_channels()
    assert [c["name"] for c in listed] == ["design", "dev", "dev-bobs", "dev-ops", "dev-secret",
                                           "dev_null", "devices", "marketing"]
    assert all("membership" not in c and c["member_count"] == 1 for c in listed)


def test_admins_list_by_prefix_and_without_archived_ones(workspace):
    workspace.admin_archive("dev-ops")
    assert [c["name"] for c in workspace.admin_list_channels(prefix="dev-")] == [
        "dev-bobs", "dev-ops", "dev-secret"]
    assert [c["name"] for c in workspace.admin_list_channels("dev-", include_archived=False)] == [
        "dev-bobs", "dev-secret"]


def test_admins_archive_by_name_or_id_and_the_channel_hears_it(workspace, bus):
    bus.clear()
    archived = workspace.admin_archive("#marketing")
    assert archived["archived_at"] is not None
    ((key, event),) = bus.published
    assert key == f"channel.{archived['id']}" and event["type"] == "channel.updated"
    assert event["data"]["by"] is None  # the system, not a person
    assert workspace.admin_archive(archived["id"])["archived_at"] == archived["archived_at"]


def test_admins_add_someone_to_any_channel_private_ones_included(workspace, bus):
    bus.clear()
    added = workspace.admin_add_member("dev-bobs", "cy")
    assert added["added"] is True and workspace.is_member(added["channel_id"], "cy")
    assert [key for key, _ in bus.published] == [f"channel.{added['channel_id']}", "user.cy"]
    assert workspace.admin_add_member("dev-bobs", "cy")["added"] is False


def test_admins_cannot_add_to_an_archived_channel_or_add_unknown_people(workspace):
    with pytest.raises(NotFound):
        workspace.admin_add_member("dev", "nobody")
    with pytest.raises(NotFound):
        workspace.admin_add_member("no-such-channel", "cy")
    workspace.admin_archive("dev")
    with pytest.raises(Forbidden):
        workspace.admin_add_member("dev", "cy")
