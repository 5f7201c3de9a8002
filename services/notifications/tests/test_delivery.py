"""Delivery: each decision recorded once (replays send nothing twice), every
attempt recorded, push subscriptions and their removal on 404/410, retries, the
payload's contents, and email digests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.common.errors import InvalidInput, NotFound
from services.notifications import emails, push
from services.notifications.models import Attempt, Notification
from services.notifications.store import Store

from .conftest import created, device


@pytest.fixture
def dm(world):
    world.channels.add("dm", "dm", ["ada", "bob"])
    world.service.subscribe("bob", device("bob"))
    return "dm"


def rows(world, model):
    return list(world.session.scalars(select(model).order_by(model.id)))


# -- exactly once -------------------------------------------------------------------------
def test_a_replayed_event_records_and_sends_nothing_more(world, dm):
    event = created(dm, "ada", "lunch?")
    first = world.service.on_message_created(event)
    again = world.service.on_message_created(event)
    assert (first["recorded"], again["recorded"]) == (2, 0)   # bob: a push and an email
    assert len(world.devices.received) == 1
    assert [(n.kind, n.user_id, n.reason, n.status) for n in rows(world, Notification)] == [
        ("push", "bob", "dm", "sent"), ("email", "bob", "dm", "pending")]


def test_a_batch_pushes_once_all_its_decisions_are_committed(world, dm, monkeypatch):
    """A batch's events share one transaction: the first push goes out when every
    decision of the batch is on record, not one event's."""
    on_record_at_push = []
    send = world.devices.send

    def send_counting_what_is_on_record(*args, **kwargs):
        on_record_at_push.append(len(rows(world, Notification)))
        return send(*args, **kwargs)
    monkeypatch.setattr("services.notifications.service.push.send",
                        send_counting_what_is_on_record)
    outcomes = world.service.apply_events("message.created", [
        created(dm, "ada", "one"), created(dm, "ada", "two")])
    assert [o["answer"]["recorded"] for o in outcomes] == [2, 2]
    assert [data["body"] for _, data in world.devices.received] == ["one", "two"]
    assert [n.status for n in rows(world, Notification) if n.kind == "push"] == ["sent"] * 2
    assert on_record_at_push == [4, 4]   # both messages' push and email, before any push


def test_a_batch_that_fails_records_and_pushes_nothing(world, dm, monkeypatch):
    from services.common.errors import ServiceUnavailable

    def presence_away(channel_id, user_ids):
        raise ServiceUnavailable("presence away")
    first = created(dm, "ada", "one")
    world.service.on_message_created(created(dm, "ada", "before"))
    monkeypatch.setattr(world.presence, "viewers", presence_away)
    with pytest.raises(ServiceUnavailable):
        world.service.apply_events("message.created", [first])
    assert len(world.devices.received) == 1   # only "before"'s
    assert len(rows(world, Notification)) == 2


def test_a_big_channels_decisions_are_each_recorded_once_however_many(world, monkeypatch):
    """@channel among 1,200 members: one statement records them all (its rows sent a
    page at a time), and a replay after some of them were on record records only the
    others."""
    members = [f"m{i:04}" for i in range(1200)]
    world.channels.add("general", members=["ada", *members])
    monkeypatch.setattr(world.service, "_push_after_commit", lambda message_id: None)
    event = created("general", "ada", "@channel", mentions=["channel"])
    store = Store(world.session)
    assert sorted(store.record(event["data"]["id"], "general", 1, [
        (user_id, "push", "channel", {}) for user_id in members[::3]])) \
        == [(user_id, "push") for user_id in members[::3]]
    assert world.service.on_message_created(event)["recorded"] == 800
    assert world.service.on_message_created(event)["recorded"] == 0
    assert sorted(n.user_id for n in rows(world, Notification)) == members


def test_pushes_are_claimed_for_many_messages_at_once_and_only_once(world, dm, monkeypatch):
    world.channels.add("dm2", "dm", ["cy", "bob"])
    monkeypatch.setattr(world.service, "_push_after_commit", lambda message_id: None)
    first, second = created(dm, "ada", "one"), created("dm2", "cy", "two")
    for event in (first, second):
        world.service.on_message_created(event)   # recorded, left pending
    store, ids = Store(world.session), [first["data"]["id"], second["data"]["id"]]
    assert [(n.message_id, n.user_id, n.status) for n in store.claim_pushes(ids)] == [
        (ids[0], "bob", "sending"), (ids[1], "bob", "sending")]
    assert store.claim_pushes(ids) == []   # a second caller finds nothing to claim


def test_every_device_gets_the_push_and_every_attempt_is_recorded(world, dm):
    world.service.subscribe("bob", device("bob", "laptop"))
    world.service.on_message_created(created(dm, "ada"))
    assert sorted(e for e, _ in world.devices.received) == [
        "https://push.example/bob/laptop", "https://push.example/bob/phone"]
    assert [a.outcome for a in rows(world, Attempt)] == ["sent", "sent"]


def test_someone_without_a_device_is_recorded_as_such(world):
    world.channels.add("dm", "dm", ["ada", "bob"])
    world.service.on_message_created(created("dm", "ada"))
    assert [n.status for n in rows(world, Notification) if n.kind == "push"] == ["no_device"]


# -- push ------------------------------------------------------------------------------------
def test_the_payload_carries_what_the_client_shows_and_opens(world, dm):
    event = created(dm, "ada", "lunch at noon?")
    world.service.on_message_created(event)
    (_, payload), = world.devices.received
    message_id = event["data"]["id"]
    assert payload == {"title": "Ada", "body": "lunch at noon?", "channel_id": dm,
                       "message_id": message_id, "tag": message_id,
                       "url": "http://127.0.0.1:8000/#/c/dm"}


def test_with_previews_off_the_payload_says_who_but_not_what(world, dm):
    world.service.update_settings("bob", {"previews": False})
    world.service.on_message_created(created(dm, "ada", "the secret plan"))
    (_, payload), = world.devices.received
    assert payload["body"] == "Ada sent you a message"
    assert "secret" not in str(payload)


def test_a_subscription_the_push_service_says_is_gone_is_removed(world, dm):
    world.devices.answers["https://push.example/bob/phone"] = [
        push.Outcome("gone", 410, "Push failed: 410 Gone", [])]
    world.service.on_message_created(created(dm, "ada"))
    assert world.service.list_subscriptions("bob") == []
    assert [(a.outcome, a.status_code) for a in rows(world, Attempt)] == [("gone", 410)]


def test_retries_are_recorded_and_a_failure_after_them_is_counted_failed(world, dm):
    world.devices.answers["https://push.example/bob/phone"] = [push.Outcome(
        "failed", 503, "Push failed: 503", [(429, "Push failed: 429"), (503, "Push failed: 503")])]
    world.service.on_message_created(created(dm, "ada"))
    assert [(a.outcome, a.status_code) for a in rows(world, Attempt)] == [
        ("retry", 429), ("retry", 503), ("failed", 503)]
    (pushed,) = [n for n in rows(world, Notification) if n.kind == "push"]
    assert (pushed.status, pushed.attempts) == ("failed", 3)
    assert len(world.service.list_subscriptions("bob")) == 1   # kept: it may work later


def test_push_send_retries_429_and_5xx_then_stops(monkeypatch):
    """push.send itself: bounded retries with doubling waits; 410 ends at once."""
    answers = [429, 502, 201]
    waits = []

    class Response:
        def __init__(self, status):
            self.status_code, self.headers, self.reason, self.text = status, {}, "", ""

    def fake_webpush(subscription, data, **kwargs):
        status = answers.pop(0)
        if status > 202:
            raise push.WebPushException(f"Push failed: {status}", response=Response(status))
        return Response(status)

    monkeypatch.setattr(push, "webpush", fake_webpush)
    outcome = push.send({"endpoint": "https://p.example/x"}, b"{}", None, "mailto:a@b", "m1",
                        retries=3, backoff=0.5, sleep=waits.append)
    assert (outcome.outcome, [s for s, _ in outcome.tries], waits) == ("sent", [429, 502],
                                                                       [0.5, 1.0])
    answers[:] = [500, 500, 500]
    assert push.send({"endpoint": "https://p.example/x"}, b"{}", None, "mailto:a@b", "m1",
                     retries=2, backoff=0.1, sleep=waits.append).outcome == "failed"
    answers[:] = [410]
    assert push.send({"endpoint": "https://p.example/x"}, b"{}", None, "mailto:a@b", "m1",
                     sleep=waits.append).outcome == "gone"


# -- subscriptions -----------------------------------------------------------------------------
def test_subscriptions_are_listed_per_person_and_removed_only_by_their_owner(world):
    mine = world.service.subscribe("bob", device("bob"))
    assert world.service.subscribe("bob", device("bob"))["id"] == mine["id"]   # idempotent
    assert [s["id"] for s in world.service.list_subscriptions("bob")] == [mine["id"]]
    with pytest.raises(NotFound):
        world.service.remove_subscription("ada", mine["id"])
    world.service.remove_subscription("bob", mine["id"])
    assert world.service.list_subscriptions("bob") == []


def test_a_bad_subscription_or_a_plain_http_endpoint_elsewhere_is_refused(world):
    with pytest.raises(InvalidInput):
        world.service.subscribe("bob", {"endpoint": "https://push.example/x", "keys": {}})
    with pytest.raises(InvalidInput):
        world.service.subscribe("bob", {**device("bob"), "endpoint": "http://push.example/x"})


def test_the_vapid_key_is_made_once_and_kept(world, tmp_path):
    first = world.service.vapid_public_key()["public_key"]
    assert world.service.vapid_public_key()["public_key"] == first
    assert (tmp_path / "vapid.pem").stat().st_mode & 0o777 == 0o600
    assert len(push.base64.urlsafe_b64decode(first + "=")) == 65


# -- email digests -------------------------------------------------------------------------------
def test_one_digest_summarises_several_unread_mentions_once(world):
    world.channels.add("general", members=["ada", "bob", "cy"])
    world.channels.add("dm", "dm", ["cy", "bob"])
    world.service.on_message_created(created("general", "ada", "<@bob> one", mentions=["bob"]))
    world.service.on_message_created(created("general", "ada", "<@bob> two", mentions=["bob"]))
    world.service.on_message_created(created("dm", "cy", "three"))
    assert world.service.send_digests(delay=0, user_ids=["cy"]) == {"sent_to": []}
    assert world.service.send_digests(delay=0) == {"sent_to": ["bob"]}
    assert world.service.send_digests(delay=0) == {"sent_to": []}
    (mail,) = world.mailbox.mails
    assert mail["to"] == "bob@example.com"
    assert mail["subject"] == "You have 3 unread messages in Parley"
    for text in ("Ada mentioned you in #general", "one", "two", "Cy sent you a message", "three"):
        assert text in mail["text"] and text in mail["html"]
    token = mail["headers"]["List-Unsubscribe"].split("token=")[1].rstrip(">")
    assert emails.check_unsubscribe_token("test-secret", token) == "bob"
    assert {n.digest_id for n in rows(world, Notification) if n.kind == "email"} == {1}


def test_no_digest_while_online_nor_for_what_was_read(world):
    world.channels.add("general", members=["ada", "bob"])
    world.service.on_message_created(created("general", "ada", "<@bob>", mentions=["bob"], seq=5))
    world.presence.status["bob"] = "online"
    assert world.service.send_digests(delay=0) == {"sent_to": []}
    world.presence.status["bob"] = "offline"
    world.channels.read[("general", "bob")] = 5
    assert world.service.send_digests(delay=0) == {"sent_to": []}
    assert [n.status for n in rows(world, Notification) if n.kind == "email"] == ["read"]
    assert world.mailbox.mails == []


def test_people_online_do_not_keep_an_offline_person_from_their_digest(world, monkeypatch):
    """A sweep asks presence about everyone due at once (one call per 200 people) and
    mails the offline ones who waited longest: the online ones, however many and
    whatever their names, take none of its turns."""
    online = [f"a{i:03}" for i in range(250)]
    world.channels.add("general", members=["ada", *online, "zed"])
    world.service.on_message_created(created("general", "ada", "hi all", mentions=online))
    world.service.on_message_created(created("general", "ada", "<@zed>", mentions=["zed"]))
    world.presence.status.update({user_id: "online" for user_id in online})
    asked = []
    get = world.presence.get
    monkeypatch.setattr(world.presence, "get", lambda ids: asked.append(len(ids)) or get(ids))
    monkeypatch.setattr("services.notifications.service.DIGESTS_PER_SWEEP", 1)
    assert world.service.send_digests(delay=0) == {"sent_to": ["zed"]}
    assert asked == [200, 51]
    assert world.service.send_digests(delay=0) == {"sent_to": []}   # the rest still online
    assert len(world.mailbox.mails) == 1


def test_nothing_is_mailed_before_the_delay(world):
    world.channels.add("dm", "dm", ["ada", "bob"])
    world.service.on_message_created(created("dm", "ada"))
    assert world.service.send_digests(delay=3600) == {"sent_to": []}


def test_with_previews_off_a_digest_has_no_message_text_nor_private_channel_names(world):
    world.channels.add("c0ffee", "private", ["ada", "bob"], name="secret-plans")
    world.service.subscribe("bob", device("bob"))
    world.service.update_settings("bob", {"previews": False})
    world.service.on_message_created(created("c0ffee", "ada", "<@bob> launch at 9",
                                             mentions=["bob"]))
    world.service.send_digests(delay=0)
    (mail,) = world.mailbox.mails
    assert "Ada mentioned you in a private channel" in mail["text"]
    for leak in ("launch", "secret-plans"):
        assert leak not in mail["text"] and leak not in mail["html"] and leak not in mail["subject"]
    (_, payload), = world.devices.received
    assert (payload["title"], payload["body"]) == ("Ada", "Ada mentioned you")


def test_a_refused_mail_is_tried_again_by_the_next_sweep(world):
    world.channels.add("dm", "dm", ["ada", "bob"])
    world.service.on_message_created(created("dm", "ada"))
    world.mailbox.refuse = True
    assert world.service.send_digests(delay=0) == {"sent_to": []}
    world.mailbox.refuse = False
    assert world.service.send_digests(delay=0) == {"sent_to": ["bob"]}
    assert [a.outcome for a in rows(world, Attempt) if a.digest_id] == ["failed", "sent"]


def test_unsubscribing_turns_email_off_and_a_forged_token_is_refused(world):
    world.channels.add("dm", "dm", ["ada", "bob"])
    world.service.unsubscribe_email(emails.unsubscribe_token("test-secret", "bob"))
    assert world.service.get_settings("bob")["email_enabled"] is False
    world.service.on_message_created(created("dm", "ada"))
    assert [n.kind for n in rows(world, Notification)] == ["push"]
    for forged in (emails.unsubscribe_token("other-secret", "ada"), "Ym9i.é", "é", "", "...."):
        with pytest.raises(InvalidInput):
            world.service.unsubscribe_email(forged)


def test_settings_default_and_change(world):
    assert world.service.get_settings("bob") == {
        "push_enabled": True, "email_enabled": True, "previews": True, "level": "mentions",
        "keywords": [], "quiet_hours": None}
    changed = world.service.update_settings("bob", {
        "previews": False, "level": "all", "keywords": ["Deploy", "deploy", "billing"],
        "quiet_hours": {"start": "22:00", "end": "07:30"}})
    assert changed == {"push_enabled": True, "email_enabled": True, "previews": False,
                       "level": "all", "keywords": ["deploy", "billing"],
                       "quiet_hours": {"start": "22:00", "end": "07:30"}}
    assert world.service.update_settings("bob", {"no_quiet_hours": True})["quiet_hours"] is None
    for bad in ({"volume": 11}, {"quiet_hours": {"start": "25:00", "end": "07:00"}},
                {"keywords": ["x"]}, {}):
        with pytest.raises(InvalidInput):
            world.service.update_settings("bob", bad)


def test_a_configured_vapid_key_is_used_as_is(monkeypatch, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    raw = push.base64.urlsafe_b64encode(
        key.private_numbers().private_value.to_bytes(32, "big")).decode().rstrip("=")

    class Cfg:
        var_dir = tmp_path

        def section(self, name):
            return {"vapid_private_key": raw}

    assert push.public_key(push.server_key(Cfg())) == push.public_key(
        push.Vapid(key))
    assert not (tmp_path / "secrets").exists()     # nothing generated


def test_pushes_recorded_but_never_sent_are_sent_by_the_next_sweep(world, dm):
    """An instance that died between recording and pushing: the timer finishes."""
    Store(world.session).record("m" * 24, dm, 1, [("bob", "push", "dm", {
        "message_id": "m" * 24, "channel_id": dm, "title": "Ada", "preview": "hi",
        "url": "http://127.0.0.1:8000/#/c/dm"})])
    (row,) = rows(world, Notification)
    row.created_at = datetime.now(timezone.utc) - timedelta(seconds=60)
    world.session.commit()
    world.service.resume_pushes()
    world.service.resume_pushes()
    assert [p["message_id"] for _, p in world.devices.received] == ["m" * 24]
    assert rows(world, Notification)[0].status == "sent"
