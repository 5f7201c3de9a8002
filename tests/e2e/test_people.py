"""People, end to end through Traefik on the real stack: profiles, avatars in S3,
the directory, roles and deactivation (docs/permissions.md), and the unread and
mention counters fed from Kafka.

The stack's database is shared with every other test run, so each test works on
people it creates, with names carrying a fresh random tag."""
from __future__ import annotations

import io
import uuid
from datetime import datetime, timezone

import psycopg2
import pytest
from aiokafka import AIOKafkaProducer
from PIL import Image

from services.common.events import MESSAGE_CREATED, Message, MessageCreated
from tests.support.client import Person, eventually, http, unique_email
from tests.support.shell import nameko_shell

PASSWORD = "people-e2e-password-42"


def tag() -> str:
    return "t" + uuid.uuid4().hex[:10]


async def person(base_url, system, role="member", display_name="") -> Person:
    """Someone with a role, created by the system (the admin job), signed in."""
    email = unique_email(role)
    name = display_name or f"{role} person"
    created = await system.call("users", "admin_create_user", email, PASSWORD, name, role)
    assert created["role"] == role
    return await Person(base_url, email, password=PASSWORD, display_name=name).sign_up()


def png(width=320, height=200, color=(10, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def code(response) -> str:
    return "ok" if response.status // 100 == 2 else response.body["error"]["code"]


def editable(profile: dict) -> dict:
    """A profile without last_active_at, which requests update in the background."""
    return {k: v for k, v in profile.items() if k != "last_active_at"}


# -- workspace membership ---------------------------------------------------------------
def test_the_first_account_registered_is_the_owner(stack):
    """The oldest profile in the workspace's database is its owner."""
    connection = psycopg2.connect(stack.postgres_url("parley_users").replace(
        "postgresql+psycopg2", "postgresql"))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT role FROM profiles ORDER BY created_at, user_id LIMIT 1")
            assert cursor.fetchone() == ("owner",)
    finally:
        connection.close()


async def test_someone_who_signs_up_later_is_a_member(base_url):
    newcomer = await Person(base_url, unique_email("newcomer"), password=PASSWORD).sign_up()
    me = await newcomer.call("GET", "/me")
    assert me.status == 200
    assert (me.body["role"], me.body["active"]) == ("member", True)


async def test_other_services_read_role_and_active_flag_through_access(base_url, system):
    guest = await person(base_url, system, "guest")
    assert await system.call("users", "access", guest.user_id) == {
        "user_id": guest.user_id, "role": "guest", "active": True}


# -- profiles ---------------------------------------------------------------------------
async def test_a_person_edits_their_profile_and_others_see_it(base_url, system):
    ann, bob = await person(base_url, system), await person(base_url, system)
    edited = await ann.call("PATCH", "/me", {
        "display_name": "Ann Example", "full_name": "Ann Marie Example", "title": "Engineer",
        "time_zone": "Europe/Paris", "status_text": "in a meeting",
        "status_emoji": ":calendar:", "status_expires_at": "2999-01-01T00:00:00Z"})
    assert edited.status == 200, edited.body
    seen = await bob.call("GET", f"/users/{ann.user_id}")
    assert seen.status == 200
    assert {k: seen.body[k] for k in ("display_name", "full_name", "title", "time_zone")} == {
        "display_name": "Ann Example", "full_name": "Ann Marie Example", "title": "Engineer",
        "time_zone": "Europe/Paris"}
    assert seen.body["status"] == {"text": "in a meeting", "emoji": ":calendar:",
                                   "expires_at": "2999-01-01T00:00:00+00:00"}


@pytest.mark.parametrize("change", [{"time_zone": "Mars/Olympus_Mons"},
                                    {"title": "Boss", "time_zone": "Not/AZone"},
                                    {"display_name": ""}, {"role": "owner"}])
async def test_a_bad_profile_edit_is_invalid_input_and_changes_nothing(base_url, system,
                                                                       change):
    ann = await person(base_url, system)
    await ann.call("PATCH", "/me", {"title": "Engineer", "time_zone": "Asia/Tokyo"})
    before = editable((await ann.call("GET", "/me")).body)
    refused = await ann.call("PATCH", "/me", change)
    assert (refused.status, code(refused)) == (400, "invalid_input")
    assert editable((await ann.call("GET", "/me")).body) == before


async def test_using_the_api_records_when_someone_was_last_active(base_url, system):
    ann = await person(base_url, system)
    assert (await system.call("users", "get", ann.user_id))["last_active_at"] is None
    await ann.call("GET", "/me")

    async def recorded():
        return (await system.call("users", "get", ann.user_id))["last_active_at"]
    seen = datetime.fromisoformat(await eventually(recorded))
    assert abs((datetime.now(timezone.utc) - seen).total_seconds()) < 60


async def test_an_avatar_is_resized_stored_in_s3_and_downloadable(base_url, system):
    ann = await person(base_url, system)
    uploaded = await ann.call("PUT", "/me/avatar", raw=png(), headers={
        "Content-Type": "image/png"})
    assert uploaded.status == 200, uploaded.body
    avatar = uploaded.body["avatar"]
    assert avatar["expires_in"] > 0
    for size in ("256", "64"):
        download = await http("GET", avatar[size])
        assert download.status == 200
        image = Image.open(io.BytesIO(download.body))
        assert (image.format, image.size) == ("PNG", (int(size), int(size)))
    # others get a working link too
    bob = await person(base_url, system)
    seen = (await bob.call("GET", f"/users/{ann.user_id}")).body["avatar"]
    assert (await http("GET", seen["64"])).status == 200


async def test_something_that_is_not_an_image_is_refused_as_an_avatar(base_url, system):
    ann = await person(base_url, system)
    refused = await ann.call("PUT", "/me/avatar", raw=b"%PDF-1.4 not an image at all")
    assert (refused.status, code(refused)) == (400, "invalid_input")
    assert (await ann.call("GET", "/me")).body["avatar"] is None


async def test_a_guest_sees_only_people_sharing_a_channel_with_them(base_url, system):
    guest, member = await person(base_url, system, "guest"), await person(base_url, system)
    stranger = await person(base_url, system)
    channel = await member.call("POST", "/channels", {"name": f"p-{tag()}", "is_private": True})
    assert channel.status == 201, channel.body
    invited = await member.call("POST", f"/channels/{channel.body['id']}/members",
                                {"user_ids": [guest.user_id]})
    assert invited.status // 100 == 2, invited.body
    assert code(await guest.call("GET", f"/users/{member.user_id}")) == "ok"
    assert code(await guest.call("GET", f"/users/{stranger.user_id}")) == "forbidden"
    assert code(await guest.call("GET", f"/users/{guest.user_id}")) == "ok"


# -- the directory ----------------------------------------------------------------------
@pytest.fixture(scope="module")
async def crowd(base_url, system):
    """Five people whose display names start with one fresh tag, plus one whose
    full name (not display name) does."""
    name = tag()
    people = [await person(base_url, system, display_name=f"{name} {i}") for i in range(5)]
    other = await person(base_url, system, display_name=f"zz-{tag()}")
    await other.call("PATCH", "/me", {"full_name": f"{name.upper()} Lovelace"})
    return name, people, other


async def test_the_directory_finds_people_by_display_or_full_name_prefix(crowd):
    name, people, other = crowd
    found = await people[0].call("GET", f"/users?q={name.upper()}")
    assert found.status == 200
    assert {p["user_id"] for p in found.body["users"]} == {p.user_id for p in people + [other]}
    assert found.body["next_cursor"] is None


async def test_the_directory_pages_through_everyone_once_in_a_stable_order(crowd):
    name, people, _ = crowd
    whole = (await people[0].call("GET", f"/users?q={name}&limit=50")).body["users"]
    seen, cursor, pages = [], "", 0
    while True:
        page = (await people[0].call("GET", f"/users?q={name}&limit=2&cursor={cursor}")).body
        seen += page["users"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [p["user_id"] for p in seen] == [p["user_id"] for p in whole]
    assert pages == 3 and len(seen) == 6


async def test_deactivated_people_are_only_listed_to_admins_who_ask(base_url, system):
    name = tag()
    admin = await person(base_url, system, "admin")
    gone = await person(base_url, system, display_name=f"{name} gone")
    await system.call("users", "admin_deactivate", gone.user_id)
    assert (await admin.call("GET", f"/users?q={name}")).body["users"] == []
    listed = await admin.call("GET", f"/users?q={name}&include_deactivated=true")
    assert [(p["user_id"], p["active"]) for p in listed.body["users"]] == [
        (gone.user_id, False)]
    member = await person(base_url, system)
    asked = await member.call("GET", f"/users?q={name}&include_deactivated=true")
    assert code(asked) == "forbidden"


async def test_a_guest_cannot_browse_the_directory(base_url, system):
    guest = await person(base_url, system, "guest")
    assert code(await guest.call("GET", "/users")) == "forbidden"


async def test_a_malformed_cursor_is_invalid_input(base_url, system):
    member = await person(base_url, system)
    assert code(await member.call("GET", "/users?cursor=not-a-cursor")) == "invalid_input"


# -- roles ----------------------------------------------------------------------------------
async def role_of(system, someone: Person) -> str:
    return (await system.call("users", "access", someone.user_id))["role"]


async def test_a_member_changes_nobodys_role(base_url, system):
    member, target = await person(base_url, system), await person(base_url, system)
    refused = await member.call("PUT", f"/users/{target.user_id}/role", {"role": "guest"})
    assert code(refused) == "forbidden" and await role_of(system, target) == "member"


async def test_an_admin_demotes_a_member_but_cannot_promote_to_admin(base_url, system):
    admin, target = await person(base_url, system, "admin"), await person(base_url, system)
    promoted = await admin.call("PUT", f"/users/{target.user_id}/role", {"role": "admin"})
    assert code(promoted) == "forbidden" and await role_of(system, target) == "member"
    demoted = await admin.call("PUT", f"/users/{target.user_id}/role", {"role": "guest"})
    assert demoted.status == 200 and demoted.body["role"] == "guest"
    assert await role_of(system, target) == "guest"


async def test_an_admin_cannot_touch_another_admins_role(base_url, system):
    admin, other = await person(base_url, system, "admin"), await person(base_url, system, "admin")
    refused = await admin.call("PUT", f"/users/{other.user_id}/role", {"role": "member"})
    assert code(refused) == "forbidden" and await role_of(system, other) == "admin"


async def test_an_owner_promotes_a_member_to_admin_and_the_repeat_is_harmless(base_url, system):
    owner, target = await person(base_url, system, "owner"), await person(base_url, system)
    for _ in range(2):
        promoted = await owner.call("PUT", f"/users/{target.user_id}/role", {"role": "admin"})
        assert promoted.status == 200 and promoted.body["role"] == "admin"


async def test_an_unknown_role_is_invalid_input(base_url, system):
    owner, target = await person(base_url, system, "owner"), await person(base_url, system)
    refused = await owner.call("PUT", f"/users/{target.user_id}/role", {"role": "emperor"})
    assert code(refused) == "invalid_input" and await role_of(system, target) == "member"


# -- deactivation -----------------------------------------------------------------------------
async def test_deactivation_ends_sessions_and_blocks_login_until_reactivated(base_url, system):
    admin, target = await person(base_url, system, "admin"), await person(base_url, system)
    assert (await target.call("GET", "/me")).status == 200

    deactivated = await admin.call("POST", f"/users/{target.user_id}/deactivate")
    assert deactivated.status == 200, deactivated.body
    assert deactivated.body["active"] is False
    assert code(await target.call("GET", "/me")) == "unauthenticated"   # session ended
    assert code(await target.log_in()) == "forbidden"                   # login blocked

    reactivated = await admin.call("POST", f"/users/{target.user_id}/reactivate")
    assert reactivated.status == 200 and reactivated.body["active"] is True
    assert (await target.log_in()).status == 200
    assert (await target.call("GET", "/me")).body["active"] is True


async def test_a_member_cannot_deactivate_anyone(base_url, system):
    member, target = await person(base_url, system), await person(base_url, system)
    assert code(await member.call("POST", f"/users/{target.user_id}/deactivate")) == "forbidden"
    assert (await target.call("GET", "/me")).status == 200


async def test_an_admin_cannot_deactivate_an_owner(base_url, system):
    admin, owner = await person(base_url, system, "admin"), await person(base_url, system, "owner")
    assert code(await admin.call("POST", f"/users/{owner.user_id}/deactivate")) == "forbidden"
    assert (await system.call("users", "access", owner.user_id))["active"] is True


# -- unread and mention counters from Kafka --------------------------------------------------
@pytest.fixture
async def kafka(stack):
    producer = AIOKafkaProducer(bootstrap_servers=stack["kafka.bootstrap"])
    await producer.start()
    yield producer
    await producer.stop()


async def publish(kafka, sender: Person, channel_id: str, seq: int, mentions=()) -> str:
    """A message.created record straight onto Kafka, as the outbox relay writes it
    (messaging does not parse @mentions yet)."""
    message = Message(id=uuid.uuid4().hex[:24], channel_id=channel_id, seq=seq,
                      sender_id=sender.user_id, client_msg_id=f"c-{seq}", text="hello",
                      created_at=datetime.now(timezone.utc), mentions=list(mentions))
    event = MessageCreated.of(message)
    await kafka.send_and_wait(MESSAGE_CREATED, event.to_json(), key=event.key)
    return event.to_json()


async def test_mentions_are_counted_once_each_even_when_kafka_replays(base_url, system,
                                                                     kafka):
    ann, bob, cy = [await person(base_url, system) for _ in range(3)]
    channel = (await ann.call("POST", "/channels", {"name": f"m-{tag()}"})).body["id"]
    for someone in (bob, cy):
        assert (await someone.call("POST", f"/channels/{channel}/join")).status == 200

    first = await publish(kafka, ann, channel, 1, mentions=[bob.user_id])
    await publish(kafka, ann, channel, 2, mentions=["here"])
    await publish(kafka, ann, channel, 3)
    for _ in range(2):  # a replay of the first message: same id, counts nothing more
        await kafka.send_and_wait(MESSAGE_CREATED, first, key=channel.encode())

    async def counts(someone):
        return (await someone.call("GET", "/me/unread")).body.get(channel)

    async def settled():
        return (await counts(bob), await counts(cy)) == (
            {"unread": 3, "mentions": 2, "read_seq": 0, "counted_seq": 3},
            {"unread": 3, "mentions": 1, "read_seq": 0, "counted_seq": 3})

    await eventually(settled)
    assert (await counts(ann)) is None  # one's own messages are not unread

    # reading (channels moves the cursor, users resets the counters)
    async def read():
        response = await bob.call("POST", f"/channels/{channel}/read", {"seq": 3})
        return response.status == 200
    await eventually(read)
    assert await counts(bob) == {"unread": 0, "mentions": 0, "read_seq": 3, "counted_seq": 3}


# -- admin jobs, the way an operator runs them -------------------------------------------
async def test_admin_jobs_run_through_nameko_shell(base_url):
    email = unique_email("grace")
    name = f"{tag()} Grace"
    created, demoted, deactivated, listed, reactivated = nameko_shell(f"""
        users = n.rpc.users
        emit(users.admin_create_user({email!r}, {PASSWORD!r}, {name!r}, "admin"))
        emit(users.admin_set_role({email!r}, "member")["role"])
        emit(users.admin_deactivate({email!r})["active"])
        emit([(u["email"], u["role"], u["active"]) for u in users.admin_list_users({name!r})])
        emit(users.admin_reactivate({email!r})["active"])
    """)
    assert (created["email"], created["display_name"], created["role"]) == (email, name, "admin")
    assert (demoted, deactivated, reactivated) == ("member", False, True)
    assert listed == [[email, "member", False]]
    grace = Person(base_url, email, password=PASSWORD)
    assert (await grace.log_in()).status == 200
    assert (await grace.call("GET", "/me")).body["role"] == "member"


async def test_an_open_socket_counts_as_activity(base_url, system):
    observer = await person(base_url, system)
    newcomer = await person(base_url, system)  # signed in, no people route called yet
    assert (await observer.call("GET", f"/users/{newcomer.user_id}")).body["last_active_at"] is None
    await newcomer.connect()
    try:
        async def seen_active():
            profile = (await observer.call("GET", f"/users/{newcomer.user_id}")).body
            return profile["last_active_at"] is not None

        await eventually(seen_active)
    finally:
        newcomer.close()
