"""docs/permissions.md, "Channels", as tables: every role against every action, in a
public and a private channel, as a member of it and as an outsider.

The channel is created by ada (role member, so "creator"); cy is in it as someone
to remove. Outcomes: "ok", 403 (forbidden), 404 (not_found: a channel the actor
may not see answers every request like an unknown id). A refused action changes
nothing: checked after each refusal.
"""
from __future__ import annotations

import pytest

from services.common.errors import Forbidden, NotFound

ACTORS = ("owner", "admin", "ada", "bob", "gus")  # ada: creator; bob: member; gus: guest

ACTIONS = {
    "see": lambda c, ch, me: c.get(me, ch),
    "list members": lambda c, ch, me: c.members(me, ch),
    "join": lambda c, ch, me: c.join(me, ch),
    "invite": lambda c, ch, me: c.invite(me, ch, ["dee"]),
    "remove": lambda c, ch, me: c.remove(me, ch, "cy"),
    "leave": lambda c, ch, me: c.leave(me, ch),
    "set topic": lambda c, ch, me: c.update(me, ch, topic="new topic"),
    "rename": lambda c, ch, me: c.update(me, ch, name="renamed"),
    "set purpose": lambda c, ch, me: c.update(me, ch, purpose="new purpose"),
    "archive": lambda c, ch, me: c.archive(me, ch),
    "unarchive": lambda c, ch, me: c.unarchive(me, ch),
    "mark read": lambda c, ch, me: c.mark_read(me, ch, 1),
    "set notifications": lambda c, ch, me: c.set_notifications(me, ch, level="mentions"),
}

#                      owner  admin  ada    bob    gus
MEMBER_OF_IT = {
    "see":               ("ok", "ok", "ok", "ok", "ok"),
    "list members":      ("ok", "ok", "ok", "ok", "ok"),
    "join":              ("ok", "ok", "ok", "ok", "ok"),   # already in: nothing to do
    "invite":            ("ok", "ok", "ok", "ok", 403),
    "remove":            ("ok", "ok", "ok", 403, 403),
    "leave":             ("ok", "ok", "ok", "ok", "ok"),
    "set topic":         ("ok", "ok", "ok", "ok", "ok"),
    "rename":            ("ok", "ok", "ok", 403, 403),
    "set purpose":       ("ok", "ok", "ok", 403, 403),
    "archive":           ("ok", "ok", "ok", 403, 403),
    "unarchive":         ("ok", "ok", "ok", 403, 403),
    "mark read":         ("ok", "ok", "ok", "ok", "ok"),
    "set notifications": ("ok", "ok", "ok", "ok", "ok"),
}

OUTSIDE_A_PUBLIC_CHANNEL = {  # a guest cannot see it: 404 for everything
    "see":               ("ok", "ok", "ok", "ok", 404),
    "list members":      ("ok", "ok", "ok", "ok", 404),
    "join":              ("ok", "ok", "ok", "ok", 404),
    "invite":            (403, 403, 403, 403, 404),
    "remove":            ("ok", "ok", "ok", 403, 404),
    "leave":             ("ok", "ok", "ok", "ok", 404),   # not in: nothing to do
    "set topic":         (403, 403, 403, 403, 404),
    "rename":            ("ok", "ok", "ok", 403, 404),
    "set purpose":       ("ok", "ok", "ok", 403, 404),
    "archive":           ("ok", "ok", "ok", 403, 404),
    "unarchive":         ("ok", "ok", "ok", 403, 404),
    "mark read":         (403, 403, 403, 403, 404),
    "set notifications": (403, 403, 403, 403, 404),
}

# Nobody outside a private channel can see it: 404 for everything, as for an unknown id.
OUTSIDE_A_PRIVATE_CHANNEL = {action: (404,) * len(ACTORS) for action in ACTIONS}

CASES = [
    (kind, inside, action, actor, table[action][i])
    for kind, inside, table in (("public", True, MEMBER_OF_IT), ("private", True, MEMBER_OF_IT),
                                ("public", False, OUTSIDE_A_PUBLIC_CHANNEL),
                                ("private", False, OUTSIDE_A_PRIVATE_CHANNEL))
    for action in ACTIONS
    for i, actor in enumerate(ACTORS)
]


def prepare(channels, kind: str, inside: bool, action: str, actor: str) -> str:
    channel = channels.create("ada", "matrix", is_private=(kind == "private"))["id"]
    channels.invite("ada", channel, ["cy"] + ([actor] if inside and actor != "ada" else []))
    if action == "unarchive":
        channels.archive("ada", channel)
    if actor == "ada" and not inside:
        channels.leave("ada", channel)
    return channel


def snapshot(channels, channel: str) -> tuple:
    seen = channels.admin_list_channels()[0]
    mine = channels.list_for_user("cy")[0]["membership"]
    return seen, sorted(channels.member_ids(channel)), mine


@pytest.mark.parametrize("kind, inside, action, actor, outcome", CASES,
                         ids=[f"{k}-{'in' if i else 'out'}-{a}-{who}"
                              for k, i, a, who, _ in CASES])
def test_channel_permissions(channels, kind, inside, action, actor, outcome):
    channel = prepare(channels, kind, inside, action, actor)
    if outcome == "ok":
        ACTIONS[action](channels, channel, actor)
        return
    before = snapshot(channels, channel)
    with pytest.raises(Forbidden if outcome == 403 else NotFound):
        ACTIONS[action](channels, channel, actor)
    assert snapshot(channels, channel) == before


@pytest.mark.parametrize("actor, allowed", [("owner", True), ("admin", True), ("bob", True),
                                            ("gus", False)])
def test_everyone_but_guests_creates_channels(channels, actor, allowed):
    if allowed:
        assert channels.create(actor, "new")["created_by"] == actor
    else:
        with pytest.raises(Forbidden):
            channels.create(actor, "new")
        assert channels.admin_list_channels() == []


def test_a_guest_opens_conversations_only_with_people_they_share_a_channel_with(channels):
    with pytest.raises(Forbidden):
        channels.open_dm("gus", ["bob"])
    channels.create("ada", "with-guests", is_private=True)
    channels.invite("ada", channels.admin_list_channels()[0]["id"], ["gus", "bob"])
    assert channels.open_dm("gus", ["bob"])["created"] is True
    with pytest.raises(Forbidden):
        channels.open_dm("gus", ["bob", "dee"])  # shares nothing with dee


def test_a_guest_sees_only_the_channels_they_were_invited_to(channels):
    channels.create("ada", "open")
    invited = channels.create("ada", "project")["id"]
    channels.invite("ada", invited, ["gus"])
    assert [c["name"] for c in channels.directory("gus")["channels"]] == ["project"]
    assert [c["name"] for c in channels.list_for_user("gus")] == ["project"]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_deactivated_account_acts_on_nothing(channels, users, action):
    channel = prepare(channels, "public", True, action, "bob")
    users.inactive.add("bob")
    with pytest.raises(Forbidden):
        ACTIONS[action](channels, channel, "bob")


def test_a_deactivated_account_creates_and_opens_nothing(channels, users):
    users.inactive.add("bob")
    for attempt in (lambda: channels.create("bob", "mine"),
                    lambda: channels.open_dm("bob", ["ada"]),
                    lambda: channels.directory("bob")):
        with pytest.raises(Forbidden):
            attempt()
