"""The channels service on the real stack, through Traefik: DMs found or created (also
when both people open one at the same moment), group DMs, renaming and archiving,
membership changes heard on sockets, visibility, the directory, read cursors, and
message counts that a replayed Kafka event does not change."""
from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from services.common.events import MESSAGE_CREATED, Message, MessageCreated
from tests.support.client import Person, eventually, unique_email
from tests.support.shell import nameko_shell

PASSWORD = "channels-e2e-password"


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def person(base_url, prefix: str) -> Person:
    return await Person(base_url, unique_email(prefix)).sign_up()


async def people(base_url, *prefixes: str) -> list[Person]:
    return list(await asyncio.gather(*(person(base_url, prefix) for prefix in prefixes)))


async def with_role(base_url, system, role: str) -> Person:
    """Someone with a role registration alone cannot give, made the way an admin
    does it (users.admin_create_user)."""
    email = unique_email(role)
    await system.call("users", "admin_create_user", email, PASSWORD, f"{role} person", role)
    return await Person(base_url, email, password=PASSWORD).sign_up()


async def new_channel(owner: Person, private: bool = False, prefix: str = "ch") -> dict:
    created = await owner.call("POST", "/channels", {"name": name(prefix), "is_private": private})
    assert created.status == 201, created.body
    return created.body


async def invite(inviter: Person, channel_id: str, *people: Person) -> None:
    answer = await inviter.call("POST", f"/channels/{channel_id}/members",
                                {"user_ids": [p.user_id for p in people]})
    assert answer.status == 200, answer.body


def code(answer) -> str:
    return "ok" if answer.status // 100 == 2 else answer.body["error"]["code"]


# -- DMs and group DMs ------------------------------------------------------------------
async def test_a_dm_is_created_once_and_found_from_either_side(base_url):
    ann, bob = await people(base_url, "ann", "bob")
    opened = await ann.call("POST", "/dms", {"user_ids": [bob.user_id]})
    assert opened.status == 201 and opened.body["kind"] == "dm"
    assert opened.body["member_count"] == 2 and opened.body["name"] is None
    found = await bob.call("POST", "/dms", {"user_ids": [ann.user_id]})
    assert (found.status, found.body["id"]) == (200, opened.body["id"])
    assert opened.body["id"] in [c["id"] for c in (await bob.call("GET", "/channels")).body]


async def test_two_people_opening_their_dm_at_the_same_moment_get_one_conversation(base_url):
    ann, bob = await people(base_url, "ann", "bob")
    attempts = [ann.call("POST", "/dms", {"user_ids": [bob.user_id]}) for _ in range(6)] + [
        bob.call("POST", "/dms", {"user_ids": [ann.user_id]}) for _ in range(6)]
    answers = await asyncio.gather(*attempts)
    assert len({a.body["id"] for a in answers}) == 1
    assert sorted(a.status for a in answers) == [200] * 11 + [201]
    members = await ann.call("GET", f"/channels/{answers[0].body['id']}/members")
    assert sorted(members.body) == sorted([ann.user_id, bob.user_id])


async def test_a_group_dm_holds_at_most_eight_people_and_is_one_per_set(base_url):
    opener = await person(base_url, "opener")
    others = await people(base_url, *(f"p{i}" for i in range(8)))
    seven = [p.user_id for p in others[:7]]
    group = await opener.call("POST", "/dms", {"user_ids": seven})
    assert group.status == 201
    assert (group.body["kind"], group.body["member_count"]) == ("group_dm", 8)
    again = await others[3].call("POST", "/dms", {"user_ids": list(reversed(seven[:3] + seven[4:]))
                                                  + [opener.user_id]})
    assert (again.status, again.body["id"]) == (200, group.body["id"])

    too_many = await opener.call("POST", "/dms", {"user_ids": [p.user_id for p in others]})
    assert too_many.status == 400 and too_many.body["error"]["code"] == "invalid_input"


async def test_nobody_is_added_to_a_dm_and_a_1_1_dm_cannot_be_left(base_url):
    ann, bob, cy = await people(base_url, "ann", "bob", "cy")
    dm = (await ann.call("POST", "/dms", {"user_ids": [bob.user_id]})).body["id"]
    added = await ann.call("POST", f"/channels/{dm}/members", {"user_ids": [cy.user_id]})
    assert code(added) == "forbidden"
    assert code(await ann.call("POST", f"/channels/{dm}/leave")) == "forbidden"
    assert code(await ann.call("PATCH", f"/channels/{dm}", {"name": "ours"})) == "forbidden"
    assert code(await cy.call("GET", f"/channels/{dm}")) == "not_found"
    assert sorted((await ann.call("GET", f"/channels/{dm}/members")).body) == sorted(
        [ann.user_id, bob.user_id])


# -- renaming, topic, archiving ------------------------------------------------------------
async def test_the_creator_renames_members_set_the_topic_and_others_cannot_rename(base_url):
    ann, bob = await people(base_url, "ann", "bob")
    channel = await new_channel(ann)
    path = f"/channels/{channel['id']}"
    assert code(await bob.call("POST", f"{path}/join")) == "ok"

    suffix = uuid.uuid4().hex[:10]
    new_name = f"renamed-channel-{suffix}"
    renamed = await ann.call("PATCH", path, {"name": f" #Renamed Channel-{suffix.upper()}"})
    assert renamed.status == 200 and renamed.body["name"] == new_name
    topic = await bob.call("PATCH", path, {"topic": "planning"})
    assert topic.status == 200 and topic.body["topic"] == "planning"

    refused = await bob.call("PATCH", path, {"name": name("mine"), "topic": "hijacked"})
    assert code(refused) == "forbidden"
    assert code(await bob.call("POST", f"{path}/archive")) == "forbidden"
    seen = (await ann.call("GET", path)).body
    assert (seen["name"], seen["topic"], seen["archived_at"]) == (new_name, "planning", None)


async def test_a_name_taken_by_another_channel_is_a_conflict(base_url):
    ann = await person(base_url, "ann")
    first, second = await new_channel(ann), await new_channel(ann)
    clash = await ann.call("PATCH", f"/channels/{second['id']}", {"name": first["name"]})
    assert clash.status == 409 and clash.body["error"]["code"] == "conflict"


async def test_an_admin_archives_a_public_channel_which_becomes_read_only(base_url, system):
    ann, bob, cy = await people(base_url, "ann", "bob", "cy")
    admin = await with_role(base_url, system, "admin")
    channel = await new_channel(ann)
    path = f"/channels/{channel['id']}"
    await invite(ann, channel["id"], bob)

    archived = await admin.call("POST", f"{path}/archive")
    assert archived.status == 200 and archived.body["archived_at"] is not None
    assert code(await cy.call("POST", f"{path}/join")) == "forbidden"
    assert code(await bob.call("POST", f"{path}/members", {"user_ids": [cy.user_id]})) == \
        "forbidden"
    assert code(await bob.call("PATCH", path, {"topic": "still on?"})) == "forbidden"
    # still readable by those who could read it
    assert (await cy.call("GET", path)).body["archived_at"] == archived.body["archived_at"]
    assert sorted((await cy.call("GET", f"{path}/members")).body) == sorted(
        [ann.user_id, bob.user_id])

    assert code(await ann.call("POST", f"{path}/unarchive")) == "ok"
    assert code(await cy.call("POST", f"{path}/join")) == "ok"


# -- membership, heard on sockets ------------------------------------------------------------
async def test_invite_remove_and_leave_are_heard_live_and_a_removed_socket_stops_hearing(
        base_url):
    ann, bob, cy = await people(base_url, "ann", "bob", "cy")
    channel = await new_channel(ann, private=True)
    channel_id = channel["id"]
    await ann.connect()
    await bob.connect()
    try:
        await invite(ann, channel_id, bob)
        await bob.next_frame(lambda f: f["type"] == "member.joined"
                             and f["data"] == {"channel_id": channel_id, "user_id": bob.user_id})
        await asyncio.sleep(0.5)  # the socket binds the channel's key right after hearing it
        await invite(ann, channel_id, cy)
        for me in (ann, bob):
            await me.next_frame(lambda f: f["type"] == "member.joined"
                                and f["data"] == {"channel_id": channel_id, "user_id": cy.user_id})

        topic = await cy.call("PATCH", f"/channels/{channel_id}", {"topic": "welcome"})
        assert topic.status == 200
        updated = await bob.next_frame(lambda f: f["type"] == "channel.updated")
        assert updated["data"]["changed"] == ["topic"] and updated["data"]["by"] == cy.user_id
        assert updated["data"]["channel"]["topic"] == "welcome"

        left = await cy.call("POST", f"/channels/{channel_id}/leave")
        assert left.body["left"] is True
        await ann.next_frame(lambda f: f["type"] == "member.left" and f["data"] == {
            "channel_id": channel_id, "user_id": cy.user_id, "removed_by": None})

        removed = await ann.call("DELETE", f"/channels/{channel_id}/members/{bob.user_id}")
        assert removed.status == 200 and removed.body["removed"] is True
        await bob.next_frame(lambda f: f["type"] == "member.left" and f["data"] == {
            "channel_id": channel_id, "user_id": bob.user_id, "removed_by": ann.user_id})

        sent = await ann.call("POST", f"/channels/{channel_id}/messages",
                              {"client_msg_id": "after-removal", "text": "bob is gone"})
        assert sent.status == 201
        await ann.next_frame(lambda f: f["type"] == "message.created"
                             and f["data"]["id"] == sent.body["id"])
        await asyncio.sleep(1.0)  # time for a stray delivery to show up
        assert not [f for f in bob.frames if f["type"] == "message.created"]
        assert code(await bob.call("GET", f"/channels/{channel_id}")) == "not_found"
    finally:
        ann.close()
        bob.close()


async def test_members_come_a_page_at_a_time_in_order_of_joining(base_url):
    ann = await person(base_url, "ann")
    others = await people(base_url, *(f"m{i}" for i in range(4)))
    channel = await new_channel(ann)
    for other in others:
        assert code(await other.call("POST", f"/channels/{channel['id']}/join")) == "ok"
    pages, cursor = [], ""
    while True:
        page = await ann.call("GET", f"/channels/{channel['id']}/members?limit=2&cursor={cursor}")
        pages.append(page.body)
        cursor = page.headers.get("X-Next-Cursor")
        if not cursor:
            break
    assert pages == [[ann.user_id, others[0].user_id], [others[1].user_id, others[2].user_id],
                     [others[3].user_id]]


async def test_removed_and_archived_stop_posting_though_messaging_remembered_they_could(
        base_url):
    """Each messaging instance remembers a channel's posters (services/messaging/posting_rights.py);
    channels tells them all when a right is taken, so it ends within moments."""
    ann, bob = await people(base_url, "ann", "bob")
    channel = await new_channel(ann)
    await invite(ann, channel["id"], bob)
    messages = f"/channels/{channel['id']}/messages"

    async def post(who: Person) -> str:
        return code(await who.call("POST", messages, {"client_msg_id": uuid.uuid4().hex,
                                                      "text": "hello"}))
    for _ in range(6):   # enough for both messaging instances to remember the posters
        assert [await post(bob), await post(ann)] == ["ok", "ok"]

    assert code(await ann.call("DELETE", f"/channels/{channel['id']}/members/{bob.user_id}")) \
        == "ok"
    await eventually(lambda: _refused(post(bob)), timeout=2)
    assert [await post(bob) for _ in range(6)] == ["forbidden"] * 6
    assert await post(ann) == "ok"

    assert code(await ann.call("POST", f"/channels/{channel['id']}/archive")) == "ok"
    await eventually(lambda: _refused(post(ann)), timeout=2)
    assert [await post(ann) for _ in range(6)] == ["forbidden"] * 6


async def _refused(posted) -> bool:
    return await posted == "forbidden"


# -- visibility ----------------------------------------------------------------------------
async def test_a_private_channel_answers_an_outsider_exactly_like_an_unknown_id(base_url):
    ann, outsider = await people(base_url, "ann", "outsider")
    channel = await new_channel(ann, private=True)
    real_id, fake_id = channel["id"], uuid.uuid4().hex
    for method, suffix, body in (
            ("GET", "", None), ("PATCH", "", {"topic": "x"}), ("GET", "/members", None),
            ("POST", "/members", {"user_ids": [outsider.user_id]}),
            ("POST", "/join", None), ("POST", "/leave", None), ("POST", "/archive", None),
            ("POST", "/read", {"seq": 1}), ("PUT", "/notifications", {"muted": True}),
            ("DELETE", f"/members/{ann.user_id}", None)):
        real = await outsider.call(method, f"/channels/{real_id}{suffix}", body)
        fake = await outsider.call(method, f"/channels/{fake_id}{suffix}", body)
        assert (real.status, code(real)) == (fake.status, code(fake)) == (404, "not_found"), \
            (method, suffix)
    directory = await outsider.call("GET", f"/channels/directory?q={channel['name']}")
    assert directory.body["channels"] == []


async def test_a_guest_sees_only_the_channels_they_were_invited_to(base_url, system):
    ann = await person(base_url, "ann")
    guest = await with_role(base_url, system, "guest")
    prefix = name("guestview")
    open_channel = (await ann.call("POST", "/channels", {"name": f"{prefix}-open"})).body
    invited = (await ann.call("POST", "/channels", {"name": f"{prefix}-project"})).body

    assert code(await guest.call("GET", f"/channels/{open_channel['id']}")) == "not_found"
    assert code(await guest.call("POST", f"/channels/{open_channel['id']}/join")) == "not_found"
    assert code(await guest.call("POST", "/channels", {"name": name("guests")})) == "forbidden"
    await invite(ann, invited["id"], guest)

    found = await guest.call("GET", f"/channels/directory?q={prefix}")
    assert [c["name"] for c in found.body["channels"]] == [f"{prefix}-project"]
    assert [c["id"] for c in (await guest.call("GET", "/channels")).body] == [invited["id"]]
    assert (await guest.call("GET", f"/channels/{invited['id']}")).status == 200


# -- the directory -----------------------------------------------------------------------------
async def test_the_directory_searches_by_prefix_a_page_at_a_time(base_url):
    ann, bob = await people(base_url, "ann", "bob")
    prefix = name("dir")
    for suffix in ("e", "a", "c", "b", "d"):
        assert (await ann.call("POST", "/channels", {"name": f"{prefix}-{suffix}"})).status == 201
    await bob.call("POST", "/channels", {"name": f"{prefix}-secret", "is_private": True})

    pages, cursor = [], ""
    while True:
        page = await ann.call("GET", f"/channels/directory?q={prefix.upper()}&limit=2"
                                     f"&cursor={cursor}")
        assert page.status == 200
        pages.append([c["name"].rsplit("-", 1)[1] for c in page.body["channels"]])
        assert page.body["next_cursor"] == page.headers.get("X-Next-Cursor")
        cursor = page.body["next_cursor"]
        if not cursor:
            break
    assert pages == [["a", "b"], ["c", "d"], ["e"]]  # bob's private channel is not found


# -- reading -----------------------------------------------------------------------------------
async def test_the_read_cursor_only_moves_forward_and_resets_unread_counts(base_url):
    ann, bob = await people(base_url, "ann", "bob")
    channel = await new_channel(ann)
    channel_id = channel["id"]
    await bob.call("POST", f"/channels/{channel_id}/join")
    for i in range(3):
        sent = await ann.call("POST", f"/channels/{channel_id}/messages",
                              {"client_msg_id": f"m{i}", "text": f"message {i}"})
        assert sent.status == 201

    async def bob_has_three_unread():
        return (await bob.call("GET", "/me/unread")).body.get(channel_id, {}).get("unread") == 3
    await eventually(bob_has_three_unread)

    read = await bob.call("POST", f"/channels/{channel_id}/read", {"seq": 2})
    assert read.status == 200
    assert (read.body["read_seq"], read.body["unread"]) == (2, 0)
    back = await bob.call("POST", f"/channels/{channel_id}/read", {"seq": 1})
    assert back.body["read_seq"] == 2
    membership = (await bob.call("GET", f"/channels/{channel_id}")).body["membership"]
    assert membership["last_read_seq"] == 2
    assert (await bob.call("GET", "/me/unread")).body[channel_id]["unread"] == 0


async def test_notification_level_and_mute_are_mine_per_channel(base_url):
    ann, bob = await people(base_url, "ann", "bob")
    channel = await new_channel(ann)
    await bob.call("POST", f"/channels/{channel['id']}/join")
    path = f"/channels/{channel['id']}/notifications"
    assert (await bob.call("PUT", path, {"level": "mentions"})).body["notification_level"] == \
        "mentions"
    muted = await bob.call("PUT", path, {"muted": True})
    assert (muted.body["notification_level"], muted.body["muted"]) == ("mentions", True)
    assert code(await bob.call("PUT", path, {"level": "loud"})) == "invalid_input"
    ann_sees = (await ann.call("GET", f"/channels/{channel['id']}")).body["membership"]
    assert (ann_sees["notification_level"], ann_sees["muted"]) == ("all", False)


# -- activity from Kafka -------------------------------------------------------------------------
async def test_a_replayed_kafka_event_does_not_count_a_message_twice(base_url, stack):
    ann = await person(base_url, "ann")
    channel_id = (await new_channel(ann))["id"]
    first = await ann.call("POST", f"/channels/{channel_id}/messages",
                           {"client_msg_id": "one", "text": "first"})

    async def counted(n):
        seen = (await ann.call("GET", f"/channels/{channel_id}")).body
        return seen["last_message_seq"] == n and seen
    await eventually(lambda: counted(1))

    # the relay producing the same record again, as after a crash before marking it
    replay = MessageCreated.of(Message.model_validate(first.body))
    producer = AIOKafkaProducer(bootstrap_servers=stack["kafka.bootstrap"])
    await producer.start()
    try:
        await producer.send_and_wait(MESSAGE_CREATED, json.dumps(
            replay.model_dump(mode="json")).encode(), key=replay.key)
    finally:
        await producer.stop()
    # same partition (same key), so by the time message 2 is counted, the replay was applied
    await ann.call("POST", f"/channels/{channel_id}/messages",
                   {"client_msg_id": "two", "text": "second"})
    seen = await eventually(lambda: counted(2))
    assert seen["message_count"] == 2
    assert seen["last_activity_at"] is not None


@pytest.mark.parametrize("body", [{"user_ids": []}, {"user_ids": "bob"}, {}])
async def test_opening_a_conversation_needs_a_list_of_people(base_url, body):
    ann = await person(base_url, "ann")
    assert code(await ann.call("POST", "/dms", body)) == "invalid_input"


# -- admin jobs, the way an operator runs them ------------------------------------------------
async def test_channel_admin_jobs_run_through_nameko_shell(base_url):
    ann, bob = await people(base_url, "ann", "bob")
    prefix = name("ops")
    secret = (await ann.call("POST", "/channels", {"name": f"{prefix}-secret",
                                                   "is_private": True})).body
    public = (await ann.call("POST", "/channels", {"name": f"{prefix}-public"})).body
    listed, added, again, archived, without_archived = nameko_shell(f"""
        channels = n.rpc.channels
        emit([(c["name"], c["kind"], c["member_count"])
              for c in channels.admin_list_channels({prefix!r})])
        emit(channels.admin_add_member({secret['name']!r}, {bob.user_id!r}))
        emit(channels.admin_add_member({secret['id']!r}, {bob.user_id!r})["added"])
        emit(channels.admin_archive("#" + {public['name']!r}))
        emit([c["name"] for c in channels.admin_list_channels({prefix!r}, include_archived=False)])
    """)
    assert listed == [[f"{prefix}-public", "public", 1], [f"{prefix}-secret", "private", 1]]
    assert (added["channel_id"], added["added"], again) == (secret["id"], True, False)
    assert archived["archived_at"] is not None and without_archived == [f"{prefix}-secret"]
    assert (await bob.call("GET", f"/channels/{secret['id']}")).status == 200  # now a member
    joined = await bob.call("POST", f"/channels/{public['id']}/join")
    assert joined.status == 403 and joined.body["error"]["code"] == "forbidden"  # read-only
