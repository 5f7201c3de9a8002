"""The users service as a Nameko worker (``worker_factory``) whose database
session is a real SQLAlchemy session on in-memory SQLite, and whose channels
proxy is a stand-in.

The service writes with PostgreSQL's INSERT … ON CONFLICT constructs; SQLite
understands the same clauses, so the idempotence logic runs unchanged here. How
PostgreSQL itself behaves under concurrent writers is for the integration tests.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.users.models import Base
from services.users.service import Service
from tests.support.sqlite import sqlite_session


class Channels:
    """Stands in for the channels service: ``is_member`` and ``member_ids``."""

    def __init__(self):
        self.members: dict[str, list[str]] = {}

    def is_member(self, channel_id, user_id):
        return user_id in self.members.get(channel_id, [])

    def member_ids(self, channel_id):
        return list(self.members.get(channel_id, []))


@pytest.fixture
def session():
    with sqlite_session(Base) as session:
        yield session


@pytest.fixture
def channels() -> Channels:
    channels = Channels()
    channels.members["general"] = ["ada", "bob", "cy"]
    return channels


@pytest.fixture
def users(session, channels):
    return worker_factory(Service, db=SimpleNamespace(session=session), channels=channels)
