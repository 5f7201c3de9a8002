"""docs/permissions.md, checked: every role against every action, through Traefik.

Each case sets up fresh targets (a channel made by someone else, a person to act on),
then lets a person of each role try. "ok" means any 2xx; otherwise the stable error
code the matrix promises. A refused action must change nothing, which the cases that
can observe it check as well."""
from __future__ import annotations

import uuid

import pytest

from tests.support.client import Person, unique_email

PASSWORD = "matrix-password-42"
ROLES = ("owner", "admin", "member", "guest")


async def make_person(base_url, system, role: str) -> Person:
    email = unique_email(role)
    await system.call("users", "admin_create_user", email, PASSWORD, f"{role} person", role)
    return await Person(base_url, email, password=PASSWORD).sign_up()


@pytest.fixture(scope="module")
async def people(base_url, system):
    everyone = {role: await make_person(base_url, system, role) for role in ROLES}
    everyone["creator"] = await make_person(base_url, system, "member")
    return everyone


class World:
    """Fresh things for one case to act on."""

    def __init__(self, base_url, system, people):
        self.base_url, self.system, self.people = base_url, system, people
        self.creator = people["creator"]

    async def person(self, role="member") -> Person:
        return await make_person(self.base_url, self.system, role)

    async def channel(self, private=False, members=()) -> str:
        created = await self.creator.call("POST", "/channels", {
            "name": f"m-{uuid.uuid4().hex[:12]}", "is_private": private})
        assert created.status == 201, created.body
        channel_id = created.body["id"]
        if members:
            invited = await self.creator.call("POST", f"/channels/{channel_id}/members",
                                              {"user_ids": [p.user_id for p in members]})
            assert invited.status // 100 == 2, invited.body
        return channel_id


def outcome(response) -> str:
    if response.status // 100 == 2:
        return "ok"
    return response.body["error"]["code"]


# -- the actions ------------------------------------------------------------------------
async def list_directory(actor, world):
    return await actor.call("GET", "/users")


async def demote_a_member_to_guest(actor, world):
    target = await world.person("member")
    return await actor.call("PUT", f"/users/{target.user_id}/role", {"role": "guest"})


async def promote_a_member_to_admin(actor, world):
    target = await world.person("member")
    return await actor.call("PUT", f"/users/{target.user_id}/role", {"role": "admin"})


async def deactivate_a_member(actor, world):
    target = await world.person("member")
    return await actor.call("POST", f"/users/{target.user_id}/deactivate")


async def create_a_channel(actor, world):
    return await actor.call("POST", "/channels", {"name": f"c-{uuid.uuid4().hex[:12]}"})


async def see_a_public_channel_one_is_not_in(actor, world):
    return await actor.call("GET", f"/channels/{await world.channel()}")


async def join_a_public_channel(actor, world):
    return await actor.call("POST", f"/channels/{await world.channel()}/join")


async def see_a_private_channel_one_is_not_in(actor, world):
    return await actor.call("GET", f"/channels/{await world.channel(private=True)}")


async def list_the_members_of_a_private_channel_one_is_not_in(actor, world):
    return await actor.call("GET", f"/channels/{await world.channel(private=True)}/members")


async def join_a_private_channel_one_is_not_in(actor, world):
    return await actor.call("POST", f"/channels/{await world.channel(private=True)}/join")


async def invite_someone_to_a_channel_one_is_in(actor, world):
    channel_id = await world.channel(members=[actor])
    newcomer = await world.person()
    return await actor.call("POST", f"/channels/{channel_id}/members",
                            {"user_ids": [newcomer.user_id]})


async def remove_someone_from_another_persons_channel(actor, world):
    bystander = await world.person()
    channel_id = await world.channel(members=[actor, bystander])
    return await actor.call("DELETE", f"/channels/{channel_id}/members/{bystander.user_id}")


async def rename_another_persons_channel(actor, world):
    channel_id = await world.channel(members=[actor])
    return await actor.call("PATCH", f"/channels/{channel_id}",
                            {"name": f"r-{uuid.uuid4().hex[:12]}"})


async def archive_another_persons_channel(actor, world):
    channel_id = await world.channel(members=[actor])
    return await actor.call("POST", f"/channels/{channel_id}/archive")


async def set_the_topic_of_a_channel_one_is_in(actor, world):
    channel_id = await world.channel(members=[actor])
    return await actor.call("PATCH", f"/channels/{channel_id}", {"topic": "quarterly plans"})


async def leave_a_channel(actor, world):
    channel_id = await world.channel(members=[actor])
    return await actor.call("POST", f"/channels/{channel_id}/leave")


async def open_a_dm_with_someone_sharing_a_channel(actor, world):
    await world.channel(members=[actor])  # shared with the creator
    return await actor.call("POST", "/dms", {"user_ids": [world.creator.user_id]})


async def open_a_dm_with_someone_sharing_no_channel(actor, world):
    stranger = await world.person()
    return await actor.call("POST", "/dms", {"user_ids": [stranger.user_id]})


OK, NO, HIDDEN = "ok", "forbidden", "not_found"
MATRIX = {  # action: (owner, admin, member, guest)
    list_directory: (OK, OK, OK, NO),
    demote_a_member_to_guest: (OK, OK, NO, NO),
    promote_a_member_to_admin: (OK, NO, NO, NO),
    deactivate_a_member: (OK, OK, NO, NO),
    create_a_channel: (OK, OK, OK, NO),
    see_a_public_channel_one_is_not_in: (OK, OK, OK, HIDDEN),
    join_a_public_channel: (OK, OK, OK, HIDDEN),
    see_a_private_channel_one_is_not_in: (HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    list_the_members_of_a_private_channel_one_is_not_in: (HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    join_a_private_channel_one_is_not_in: (HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    invite_someone_to_a_channel_one_is_in: (OK, OK, OK, NO),
    remove_someone_from_another_persons_channel: (OK, OK, NO, NO),
    rename_another_persons_channel: (OK, OK, NO, NO),
    archive_another_persons_channel: (OK, OK, NO, NO),
    set_the_topic_of_a_channel_one_is_in: (OK, OK, OK, OK),
    leave_a_channel: (OK, OK, OK, OK),
    open_a_dm_with_someone_sharing_a_channel: (OK, OK, OK, OK),
    open_a_dm_with_someone_sharing_no_channel: (OK, OK, OK, NO),
}
CASES = [pytest.param(action, role, expected[i], id=f"{role}-{action.__name__}")
         for action, expected in MATRIX.items() for i, role in enumerate(ROLES)]


@pytest.mark.parametrize("action, role, expected", CASES)
async def test_permission_matrix(action, role, expected, base_url, system, people):
    answer = await action(people[role], World(base_url, system, people))
    assert outcome(answer) == expected, (answer.status, answer.body)


async def test_a_refused_rename_changes_nothing(base_url, system, people):
    world = World(base_url, system, people)
    channel_id = await world.channel(members=[people["member"]])
    before = (await people["creator"].call("GET", f"/channels/{channel_id}")).body
    refused = await people["member"].call("PATCH", f"/channels/{channel_id}", {"name": "mine"})
    assert outcome(refused) == NO
    assert (await people["creator"].call("GET", f"/channels/{channel_id}")).body == before


async def test_a_guest_poking_at_a_private_channel_by_id_learns_nothing(base_url, system,
                                                                       people):
    world = World(base_url, system, people)
    private_id = await world.channel(private=True)
    unknown_id = uuid.uuid4().hex
    guest = people["guest"]
    for path in ("", "/members", "/messages"):
        real = await guest.call("GET", f"/channels/{private_id}{path}")
        fake = await guest.call("GET", f"/channels/{unknown_id}{path}")
        assert (real.status, outcome(real)) == (fake.status, outcome(fake)) == (404, HIDDEN)
