"""The messaging service as a Nameko worker (``worker_factory``) over mongomock,
an in-memory MongoDB, with the unique indexes storage.ensure_indexes declares, so
that the service's own logic (sequence numbers, idempotent resends, races on the
unique indexes) runs unchanged. What only a real MongoDB/FerretDB can show is left
to the integration tests.
"""
from __future__ import annotations

import mongomock
import pytest
from nameko.testing.services import worker_factory

from services.common.errors import NotFound
from services.messaging import file_storage, storage
from services.messaging.posting_rights import PostingRightsCache
from services.messaging.service import Service


class Channels:
    """Stands in for the channels service: membership, visibility and archiving."""

    def __init__(self):
        self.memberships: set[tuple[str, str]] = set()
        self.private: set[str] = set()
        self.archived: set[str] = set()
        self.asked: list[tuple[str, str]] = []
        self.tell = lambda changed: None   # messaging's forget_posting_rights, once it exists

    def add(self, channel_id: str, *user_ids: str, private: bool = False) -> None:
        self.memberships.update((channel_id, u) for u in user_ids)
        if private:
            self.private.add(channel_id)

    def remove(self, channel_id: str, user_id: str) -> None:
        """Someone leaves or is removed, and messaging is told, as channels does."""
        self.memberships.discard((channel_id, user_id))
        self.tell({"channel_id": channel_id, "user_id": user_id})

    def archive(self, channel_id: str) -> None:
        self.archived.add(channel_id)
        self.tell({"channel_id": channel_id, "user_id": None})

    def is_member(self, channel_id, user_id):
        self.asked.append((channel_id, user_id))
        return (channel_id, user_id) in self.memberships

    def list_for_user(self, user_id):
        return [{"id": c} for c, u in sorted(self.memberships) if u == user_id]

    def member_ids(self, channel_id):
        return sorted(u for c, u in self.memberships if c == channel_id)

    def can_post(self, channel_id, user_id):
        return self.is_member(channel_id, user_id) and channel_id not in self.archived

    def posters(self, channel_id):
        self.asked.append((channel_id, "*"))
        return [] if channel_id in self.archived else self.member_ids(channel_id)

    def get(self, actor_id, channel_id):
        self.asked.append((channel_id, actor_id))
        known = any(c == channel_id for c, _ in self.memberships)
        if not known or (channel_id in self.private
                         and (channel_id, actor_id) not in self.memberships):
            raise NotFound("no such channel")
        return {"id": channel_id, "is_private": channel_id in self.private,
                "archived_at": "2026-01-01T00:00:00+00:00" if channel_id in self.archived
                else None}


class Users:
    """Stands in for the users service: roles (everyone is a member unless set)."""

    def __init__(self):
        self.roles: dict[str, str] = {}

    def access(self, user_id):
        return {"user_id": user_id, "role": self.roles.get(user_id, "member"), "active": True}


@pytest.fixture(autouse=True)
def forget_stored_seqs():
    """What one test's sends taught the process about a channel is not the next's
    (each test has a database of its own, with the same channel ids)."""
    storage._stored.clear()
    yield
    storage._stored.clear()


@pytest.fixture
def mongo():
    database = mongomock.MongoClient(tz_aware=True).parley  # as stores.mongo_database
    storage.ensure_indexes(database)
    return database


@pytest.fixture
def channels() -> Channels:
    members = Channels()
    members.add("general", "ada", "bob")
    members.add("random", "ada")
    members.add("secret", "ada", private=True)
    return members


@pytest.fixture
def users() -> Users:
    return Users()


@pytest.fixture
def posting_rights() -> PostingRightsCache:
    return PostingRightsCache(seconds=60)


@pytest.fixture
def messaging(mongo, channels, users, posting_rights):
    """The worker; ``messaging.realtime`` (a mock) records what was announced."""
    worker = worker_factory(Service, db=mongo, channels=channels, users=users,
                            posting_rights=posting_rights, request_id="req-1")
    channels.tell = worker.forget_posting_rights
    return worker


@pytest.fixture
def stored_file(mongo):
    """``stored_file(uploader)`` stores a file whose upload completed (or, with
    ``status="pending"``, one still uploading) and returns its id."""
    def make(uploader="ada", filename="notes.txt", status="ready") -> str:
        doc = file_storage.new_file(mongo, uploader, filename, "text/plain", 5)
        if status == "ready":
            file_storage.mark_file_ready(mongo, str(doc["_id"]), 5, "text/plain")
        return str(doc["_id"])
    return make
