"""The notifications service as a Nameko worker (``worker_factory``) on a real
SQLAlchemy session over in-memory SQLite, with its neighbours (channels,
presence, users, messaging) standing in, and web push and SMTP replaced by
recorders: what reaches a device or a mailbox is for the integration tests."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.common.channel_memory import PerChannel
from services.common.errors import NotFound
from services.notifications import push
from services.notifications import service as service_module
from services.notifications.models import Base
from services.notifications.service import Service
from tests.support.sqlite import sqlite_session


class Channels:
    """Channels by id: kind, name, and members with their level and mute."""

    def __init__(self):
        self.channels: dict[str, dict] = {}
        self.read: dict[tuple[str, str], int] = {}

    def add(self, channel_id, kind="public", members=(), name=None):
        self.channels[channel_id] = {
            "channel": {"id": channel_id, "kind": kind, "name": name or channel_id,
                        "is_private": kind != "public"},
            "members": [{"user_id": u, "notification_level": "all", "muted": False}
                        for u in members]}

    def set(self, channel_id, user_id, **settings):
        for member in self.channels[channel_id]["members"]:
            if member["user_id"] == user_id:
                member.update(settings)

    def audience(self, channel_id):
        if channel_id not in self.channels:
            raise NotFound("no such channel")
        return self.channels[channel_id]

    def list_for_user(self, user_id):
        return [{"id": c, "membership": {"last_read_seq": self.read.get((c, user_id), 0)}}
                for c, a in self.channels.items()
                if user_id in [m["user_id"] for m in a["members"]]]


class Presence:
    def __init__(self):
        self.status: dict[str, str] = {}
        self.viewing: dict[str, str] = {}

    def get(self, user_ids):
        return {u: {"status": self.status.get(u, "offline"), "last_seen_at": None}
                for u in user_ids}

    def viewers(self, channel_id, user_ids):
        return [u for u in user_ids if self.viewing.get(u) == channel_id
                and self.status.get(u) == "online"]


class Users:
    def __init__(self):
        self.time_zones: dict[str, str] = {}
        self.asked: list[str] = []

    def get(self, user_id):
        self.asked.append(user_id)
        return {"user_id": user_id, "display_name": user_id.capitalize(),
                "email": f"{user_id}@example.com", "time_zone": self.time_zones.get(user_id)}


class Messaging:
    def __init__(self):
        self.messages: dict[str, dict] = {}

    def get(self, actor_id, channel_id, message_id):
        if message_id not in self.messages:
            raise NotFound("no such message")
        return self.messages[message_id]


class Devices:
    """Stands in for every push service: records what each endpoint was sent and
    answers each endpoint with the outcome it is told to."""

    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        self.answers: dict[str, list[push.Outcome]] = {}

    def send(self, subscription, data, vapid, subject, message_id, **kwargs):
        endpoint = subscription["endpoint"]
        answers = self.answers.get(endpoint)
        outcome = answers.pop(0) if answers else push.Outcome("sent", 201, "", [])
        if outcome.outcome == "sent":
            import json
            self.received.append((endpoint, json.loads(data)))
        return outcome


class Mailbox:
    def __init__(self):
        self.mails: list[dict] = []
        self.refuse = False

    def send(self, to, subject, text, settings=None, html=None, headers=None):
        if self.refuse:
            raise ConnectionRefusedError("relay away")
        self.mails.append({"to": to, "subject": subject, "text": text, "html": html,
                           "headers": headers or {}})
        return "<id@test>"


@pytest.fixture
def session():
    with sqlite_session(Base) as session:
        yield session


@pytest.fixture
def world(session, monkeypatch, tmp_path):
    channels, presence, messaging = Channels(), Presence(), Messaging()
    devices, mailbox = Devices(), Mailbox()
    monkeypatch.setattr(service_module.push, "send", devices.send)
    monkeypatch.setattr(service_module, "send_mail", mailbox.send)
    monkeypatch.setattr(service_module.push, "key_file", lambda cfg=None: tmp_path / "vapid.pem")
    monkeypatch.setattr(Service, "_secret", lambda self: "test-secret")
    users = Users()
    service = worker_factory(Service, db=SimpleNamespace(session=session), channels=channels,
                             presence=presence, users=users, messaging=messaging,
                             channel_memory=PerChannel(seconds=0))   # ask each time
    return SimpleNamespace(service=service, channels=channels, presence=presence, users=users,
                           messaging=messaging, devices=devices, mailbox=mailbox,
                           session=session)


_counter = iter(range(1, 10_000))


def created(channel_id, sender_id, text="hello", mentions=(), thread_parent_id=None, seq=None,
            message_id=None, created_at=None):
    """A message.created event as messaging publishes it."""
    n = next(_counter)
    message_id = message_id or f"{n:024x}"
    at = created_at or datetime.now(timezone.utc).isoformat()
    return {"event_id": message_id, "type": "message.created", "version": 1, "occurred_at": at,
            "request_id": None,
            "data": {"id": message_id, "channel_id": channel_id, "seq": seq or n,
                     "sender_id": sender_id, "client_msg_id": f"c{n}", "text": text,
                     "created_at": at, "attachments": [], "mentions": list(mentions),
                     "thread_parent_id": thread_parent_id}}


def device(user, name="phone"):
    return {"endpoint": f"https://push.example/{user}/{name}",
            "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}}
