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

from services.messaging import storage
from services.messaging.service import Service


class Channels:
    """Stands in for the channels service's ``is_member``."""

    def __init__(self):
        self.memberships: set[tuple[str, str]] = set()
        self.asked: list[tuple[str, str]] = []

    def add(self, channel_id: str, *user_ids: str) -> None:
        self.memberships.update((channel_id, u) for u in user_ids)

    def is_member(self, channel_id, user_id):
        self.asked.append((channel_id, user_id))
        return (channel_id, user_id) in self.memberships


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
    return members


@pytest.fixture
def messaging(mongo, channels):
    """The worker; ``messaging.realtime`` (a mock) records what was announced."""
    return worker_factory(Service, db=mongo, channels=channels, request_id="req-1")


@pytest.fixture
def stored_file(mongo):
    """``stored_file(uploader)`` stores a file whose upload completed (or, with
    ``status="pending"``, one still uploading) and returns its id."""
    def make(uploader="ada", filename="notes.txt", status="ready") -> str:
        doc = storage.new_file(mongo, uploader, filename, "text/plain", 5)
        if status == "ready":
            storage.mark_file_ready(mongo, str(doc["_id"]), 5)
        return str(doc["_id"])
    return make
