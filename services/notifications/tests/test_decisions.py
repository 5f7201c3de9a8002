"""Who is told about a new message (services/notifications/rules.py), through the
service: DMs, mentions, @channel, @here, threads; levels, mute, the sender, and
people looking at the channel."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.common.channel_memory import PerChannel
from services.notifications.rules import quiet

from .conftest import created, device


def pushed_to(world) -> list[str]:
    """Whose devices got a push, in order (each device's endpoint names its owner)."""
    return [endpoint.split("/")[3] for endpoint, _ in world.devices.received]


def subscribe(world, *users):
    for user in users:
        world.service.subscribe(user, device(user))


def test_every_member_of_a_dm_or_group_dm_but_the_sender_is_told(world):
    world.channels.add("dm", "dm", ["ada", "bob"])
    world.channels.add("group", "group_dm", ["ada", "bob", "cy"])
    subscribe(world, "ada", "bob", "cy")
    world.service.on_message_created(created("dm", "ada"))
    world.service.on_message_created(created("group", "bob"))
    assert pushed_to(world) == ["bob", "ada", "cy"]


def test_in_a_channel_only_the_people_mentioned_are_told_by_default(world):
    world.channels.add("general", members=["ada", "bob", "cy"])
    subscribe(world, "ada", "bob", "cy")
    world.service.on_message_created(created("general", "ada", "plain"))
    world.service.on_message_created(created("general", "ada", "hi <@cy>", mentions=["cy"]))
    assert pushed_to(world) == ["cy"]


def test_at_channel_tells_every_member_and_at_here_only_those_online(world):
    world.channels.add("general", members=["ada", "bob", "cy"])
    subscribe(world, "ada", "bob", "cy")
    world.presence.status.update({"bob": "online", "cy": "away"})
    world.service.on_message_created(created("general", "ada", "@here", mentions=["here"]))
    assert pushed_to(world) == ["bob"]
    world.service.on_message_created(created("general", "ada", "@channel", mentions=["channel"]))
    assert pushed_to(world) == ["bob", "bob", "cy"]


def test_thread_replies_tell_the_threads_author_and_participants(world):
    world.channels.add("general", members=["ada", "bob", "cy", "dee"])
    subscribe(world, "ada", "bob", "cy", "dee")
    world.messaging.messages["p" * 24] = {"id": "p" * 24, "sender_id": "ada",
                                          "participants": ["bob"]}
    world.service.on_message_created(created("general", "bob", "reply",
                                             thread_parent_id="p" * 24))
    assert pushed_to(world) == ["ada"]  # bob wrote it; cy and dee never took part


def test_level_all_hears_every_message_and_nothing_hears_nothing(world):
    world.channels.add("general", members=["ada", "bob", "cy"])
    subscribe(world, "bob", "cy")
    world.service.set_preference("bob", "all")             # bob's default
    world.service.set_preference("cy", "nothing", "general")
    world.service.on_message_created(created("general", "ada", "plain"))
    world.service.on_message_created(created("general", "ada", "<@cy>", mentions=["cy"]))
    assert pushed_to(world) == ["bob", "bob"]


def test_a_batch_reads_a_channels_levels_and_settings_once_and_decides_as_one_by_one(
        world, monkeypatch):
    from services.notifications.store import Store
    world.channels.add("general", members=["ada", "bob", "cy"])
    world.channels.add("random", members=["ada", "bob"])
    subscribe(world, "bob", "cy")
    world.service.set_preference("bob", "all")
    world.service.set_preference("cy", "nothing", "general")
    read = []
    levels = Store.levels
    monkeypatch.setattr(Store, "levels", lambda store, ids, channel_id: read.append(channel_id)
                        or levels(store, ids, channel_id))
    world.service.apply_events("message.created", [
        created("general", "ada", "one"), created("random", "ada", "two"),
        created("general", "ada", "<@cy>", mentions=["cy"])])
    assert read == ["general", "random"]
    assert pushed_to(world) == ["bob", "bob", "bob"]   # cy's "nothing" holds for the third
    assert world.users.asked == ["ada"]   # the sender's name, once


def test_the_stricter_of_the_channel_membership_level_and_ones_default_wins(world):
    world.channels.add("general", members=["ada", "bob"])
    subscribe(world, "bob")
    world.service.set_preference("bob", "all")
    world.channels.set("general", "bob", notification_level="mentions")
    world.service.on_message_created(created("general", "ada", "plain"))
    assert pushed_to(world) == []
    world.service.on_message_created(created("general", "ada", "<@bob>", mentions=["bob"]))
    assert pushed_to(world) == ["bob"]


def test_a_muted_channel_tells_nothing_even_for_a_mention(world):
    world.channels.add("general", members=["ada", "bob"])
    subscribe(world, "bob")
    world.channels.set("general", "bob", muted=True)
    world.service.on_message_created(created("general", "ada", "<@bob>", mentions=["bob"]))
    assert pushed_to(world) == []


def test_a_channels_audience_is_remembered_until_channels_tells_that_it_changed(world):
    """services/common/channel_memory.py: one question per channel, not per message."""
    world.channels.add("general", members=["ada", "bob"])
    subscribe(world, "bob")
    asked = []
    audience = world.channels.audience
    world.channels.audience = lambda channel_id: asked.append(channel_id) or audience(channel_id)
    world.service.channel_memory = PerChannel(seconds=60)
    world.service.on_message_created(created("general", "ada", "<@bob>", mentions=["bob"]))
    world.channels.set("general", "bob", muted=True)
    world.service.forget_channel({"channel_id": "general", "user_id": "bob"})
    world.service.on_message_created(created("general", "ada", "<@bob>", mentions=["bob"]))
    world.service.on_message_created(created("general", "ada", "<@bob>", mentions=["bob"]))
    assert (asked, pushed_to(world)) == (["general"] * 2, ["bob"])


def test_the_sender_is_never_told_about_their_own_message(world):
    world.channels.add("general", members=["ada"])
    subscribe(world, "ada")
    world.service.on_message_created(created("general", "ada", "<@ada>", mentions=["ada"]))
    assert pushed_to(world) == []


def test_someone_viewing_the_channel_is_told_nothing_someone_away_is_pushed(world):
    world.channels.add("dm", "dm", ["ada", "bob"])
    world.channels.add("group", "group_dm", ["ada", "bob", "cy"])
    subscribe(world, "bob", "cy")
    world.presence.status.update({"bob": "online", "cy": "away"})
    world.presence.viewing.update({"bob": "group", "cy": "group"})  # cy's device is idle
    world.service.on_message_created(created("group", "ada"))
    assert pushed_to(world) == ["cy"]
    world.service.on_message_created(created("dm", "ada"))      # bob views another one
    assert pushed_to(world) == ["cy", "bob"]


def test_someone_who_turned_push_off_gets_no_push(world):
    world.channels.add("dm", "dm", ["ada", "bob"])
    subscribe(world, "bob")
    world.service.update_settings("bob", {"push_enabled": False})
    world.service.on_message_created(created("dm", "ada"))
    assert pushed_to(world) == []


def test_an_old_message_replayed_from_long_ago_tells_nobody(world):
    world.channels.add("dm", "dm", ["ada", "bob"])
    subscribe(world, "bob")
    answer = world.service.on_message_created(
        created("dm", "ada", created_at="2020-01-01T00:00:00+00:00"))
    assert answer["stale"] is True and pushed_to(world) == []


def test_a_message_in_a_channel_that_is_gone_tells_nobody(world):
    assert world.service.on_message_created(created("vanished", "ada"))["recorded"] == 0


def test_a_word_someone_follows_tells_them_like_a_mention(world):
    world.channels.add("general", members=["ada", "bob", "cy"])
    subscribe(world, "bob", "cy")
    world.service.update_settings("bob", {"keywords": ["deploy"]})
    world.service.on_message_created(created("general", "ada", "Deploy is done"))
    world.service.on_message_created(created("general", "ada", "redeployment later"))
    assert pushed_to(world) == ["bob"]   # whole words only; cy follows nothing


def test_no_push_during_ones_quiet_hours_in_ones_own_time_zone(world):
    world.channels.add("dm", "dm", ["ada", "bob"])
    subscribe(world, "bob")
    world.users.time_zones["bob"] = "Asia/Tokyo"
    tokyo_now = datetime.now(timezone.utc) + timedelta(hours=9)
    start = tokyo_now - timedelta(minutes=30)
    end = tokyo_now + timedelta(minutes=30)
    world.service.update_settings("bob", {"quiet_hours": {"start": start.strftime("%H:%M"),
                                                          "end": end.strftime("%H:%M")}})
    world.service.on_message_created(created("dm", "ada", "late night"))
    assert pushed_to(world) == []
    assert world.service.send_digests(delay=0) == {"sent_to": []}   # the digest waits too
    world.service.update_settings("bob", {"no_quiet_hours": True})
    world.service.on_message_created(created("dm", "ada", "good morning"))
    assert pushed_to(world) == ["bob"]


def test_quiet_hours_may_run_past_midnight():
    at = lambda hh, mm: datetime(2026, 11, 23, hh, mm, tzinfo=timezone.utc)  # noqa: E731
    assert quiet(at(23, 0), "UTC", "22:00", "07:30")
    assert quiet(at(7, 29), "UTC", "22:00", "07:30")
    assert not quiet(at(7, 30), "UTC", "22:00", "07:30")
    assert not quiet(at(12, 0), "UTC", "22:00", "07:30")
    assert quiet(at(21, 30), "Europe/Paris", "22:00", "07:30")   # 22:30 in Paris
    assert not quiet(at(23, 0), None, None, None)
