"""Notifications on the real stack: messages sent through Traefik, decided by the
notifications consumer and service, pushed to a real push service on loopback
(tests/support/push.py) that checks the VAPID signature, and decrypted there with
the subscription's keys as a browser would; digests read from the SMTP sink."""
from __future__ import annotations

import asyncio
import subprocess
import uuid

import pytest

from ops.stack import paths
from tests.support.client import Person, eventually, http, unique_email
from tests.support.mail import mails_to
from tests.support.push import Browser, PushService, fresh


@pytest.fixture
async def push_service():
    service = PushService()
    yield service
    service.stop()


@pytest.fixture
async def people(base_url):
    ann, bob = [await Person(base_url, unique_email(name), display_name=name.capitalize())
                .sign_up() for name in ("ann", "bob")]
    yield ann, bob
    for person in (ann, bob):
        person.close()


async def subscribe(person, push_service, name) -> tuple[Browser, dict]:
    browser = Browser()
    answer = await person.call("POST", "/push/subscriptions",
                               {"endpoint": push_service.endpoint(name), "keys": browser.keys(),
                                "user_agent": "test"})
    assert answer.status == 201, answer.body
    return browser, answer.body


async def open_dm(ann, bob) -> str:
    dm = await ann.call("POST", "/dms", {"user_ids": [bob.user_id]})
    assert dm.status in (200, 201), dm.body
    return dm.body["id"]


async def send(person, channel_id, text) -> dict:
    sent = await person.call("POST", f"/channels/{channel_id}/messages",
                             {"client_msg_id": uuid.uuid4().hex, "text": text})
    assert sent.status == 201, sent.body
    return sent.body


async def settle(seconds: float = 1.5) -> None:
    """Long enough for the consumer to have handled what was sent just before (it
    reads every 50 ms); used only to show that something did NOT happen."""
    await asyncio.sleep(seconds)


async def test_a_dm_reaches_the_browser_signed_and_encrypted_exactly_once(
        people, push_service, base_url, system):
    ann, bob = people
    key = await ann.call("GET", "/push/vapid-public-key")
    browser, subscription = await subscribe(bob, push_service, "bob-phone")
    dm = await open_dm(ann, bob)

    message = await send(ann, dm, "lunch at noon?")
    await eventually(lambda: _async(push_service.to("bob-phone")))
    (push,) = push_service.to("bob-phone")
    assert push_service.refused == []
    assert push.key == key.body["public_key"]                  # signed with the published key
    assert push.claims["aud"] == push_service.origin and fresh(push.claims)
    assert browser.decrypt(push) == {
        "title": "Ann", "body": "lunch at noon?", "channel_id": dm,
        "message_id": message["id"], "tag": message["id"],
        "url": f"http://127.0.0.1:8000/#/c/{dm}"}
    assert int(push.headers["Ttl"]) > 0 and push.headers["Topic"]

    # a replay of the topic (the same event again) and a restarted consumer send nothing
    replay = {"event_id": message["id"], "type": "message.created", "version": 1,
              "occurred_at": message["created_at"], "request_id": None, "data": message}
    assert (await system.call("notifications", "on_message_created", replay))["recorded"] == 0
    subprocess.run([str(paths.VENV_BIN / "supervisorctl"), "-c",
                    str(paths.etc("supervisor") / "supervisord.conf"), "restart",
                    "notifications-consumer"], check=True, capture_output=True)
    second = await send(ann, dm, "still there?")
    await eventually(lambda: _async(len(push_service.to("bob-phone")) == 2), timeout=30)
    await settle()
    assert [browser.decrypt(p)["message_id"] for p in push_service.to("bob-phone")] == [
        message["id"], second["id"]]

    listed = await bob.call("GET", "/push/subscriptions")
    assert [s["id"] for s in listed.body] == [subscription["id"]]
    assert listed.body[0]["last_success_at"] is not None


async def test_nobody_viewing_the_channel_is_pushed_someone_away_is(people, push_service,
                                                                    system):
    ann, bob = people
    await subscribe(bob, push_service, "bob-laptop")
    dm = await open_dm(ann, bob)
    hello = await bob.connect()
    await system.call("presence", "viewing", bob.user_id, hello["session_id"], dm)

    await send(ann, dm, "you are looking at this")
    await settle()
    assert push_service.to("bob-laptop") == []

    away = await bob.call("PUT", "/me/presence", {"presence": "away"})
    assert away.body["status"] == "away"
    await send(ann, dm, "and now you are away")
    await eventually(lambda: _async(push_service.to("bob-laptop")))
    assert len(push_service.to("bob-laptop")) == 1


async def test_a_subscription_the_push_service_says_is_gone_is_removed(people, push_service):
    ann, bob = people
    await subscribe(bob, push_service, "bob-old")
    await subscribe(bob, push_service, "bob-new")
    push_service.answers["bob-old"] = [410]
    dm = await open_dm(ann, bob)
    await send(ann, dm, "hello")

    async def only_new_left():
        listed = await bob.call("GET", "/push/subscriptions")
        return [s["endpoint"] for s in listed.body] == [push_service.endpoint("bob-new")]
    await eventually(only_new_left)
    assert len(push_service.to("bob-new")) == 1


async def test_a_busy_push_service_is_retried(people, push_service):
    ann, bob = people
    browser, _ = await subscribe(bob, push_service, "bob-busy")
    push_service.answers["bob-busy"] = [429, 503]
    dm = await open_dm(ann, bob)
    await send(ann, dm, "third time lucky")
    await eventually(lambda: _async(len(push_service.to("bob-busy")) == 3))
    assert browser.decrypt(push_service.to("bob-busy")[-1])["body"] == "third time lucky"


async def test_an_offline_person_gets_one_digest_of_their_mentions_and_can_unsubscribe(
        people, system, base_url):
    ann, bob = people
    channel = await ann.call("POST", "/channels", {"name": f"n-{uuid.uuid4().hex[:8]}"})
    invited = await ann.call("POST", f"/channels/{channel.body['id']}/members",
                             {"user_ids": [bob.user_id]})
    assert invited.status in (200, 201), invited.body
    for text in ("first <@%s>", "second <@%s>"):
        await send(ann, channel.body["id"], text % bob.user_id)
    await send(ann, await open_dm(ann, bob), "third, in private")

    await eventually(lambda: _wait_for_three(system, bob), timeout=20)
    (mail,) = mails_to(bob.email)
    assert mail["Subject"] == "You have 3 unread messages in Parley"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for expected in ("Ann mentioned you in #n-", "first", "second",
                     "Ann sent you a message", "third, in private"):
        assert expected in text and expected in html
    assert "token=" in mail["List-Unsubscribe"]

    # nothing more is mailed about the same messages
    await system.call("notifications", "send_digests", 0, [bob.user_id])
    assert len(mails_to(bob.email)) == 1

    link = mail["List-Unsubscribe"].strip("<>").replace("http://127.0.0.1:8000", base_url)
    clicked = await http("GET", link)
    assert clicked.status == 200
    settings = await bob.call("GET", "/me/notifications")
    assert settings.body["email_enabled"] is False


async def _wait_for_three(system, bob) -> bool:
    """Digests go out once all three messages were decided (the consumer is
    asynchronous): ask for a digest only then, so that it holds all three."""
    if mails_to(bob.email):
        return True
    pending = await system.call("notifications", "pending_emails", bob.user_id)
    if pending < 3:
        return False
    await system.call("notifications", "send_digests", 0, [bob.user_id])
    return bool(mails_to(bob.email))


async def _async(value):
    return value


async def test_settings_round_trip_over_rest_and_bad_ones_change_nothing(people):
    ann, _ = people
    assert (await ann.call("GET", "/me/notifications")).body == {
        "push_enabled": True, "email_enabled": True, "previews": True, "level": "mentions",
        "keywords": [], "quiet_hours": None}
    changed = await ann.call("PUT", "/me/notifications", {
        "previews": False, "keywords": ["Deploy"], "quiet_hours": {"start": "22:00",
                                                                   "end": "07:30"}})
    assert changed.status == 200, changed.body
    refused = await ann.call("PUT", "/me/notifications", {"quiet_hours": {"start": "9pm"}})
    assert (refused.status, refused.body["error"]["code"]) == (400, "invalid_input")
    assert (await ann.call("GET", "/me/notifications")).body == {
        "push_enabled": True, "email_enabled": True, "previews": False, "level": "mentions",
        "keywords": ["deploy"], "quiet_hours": {"start": "22:00", "end": "07:30"}}
