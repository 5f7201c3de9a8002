"""The channels service as a Nameko worker (``worker_factory``) on a real SQLAlchemy
session over in-memory SQLite, with stand-ins for the users service and the
real-time bus.

The service writes with PostgreSQL's INSERT … ON CONFLICT constructs; SQLite
understands the same clauses, so the idempotence logic runs unchanged here. What
only PostgreSQL can show (concurrent openers of one DM, the migrations) is for
the tests on the real stack (tests/e2e/test_channels.py).
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.channels.models import AuditEntry, Base
from services.channels.service import Service
from services.common.audit import AuditWriter
from services.common.errors import NotFound
from services.common.testing import Bus
from tests.support.sqlite import sqlite_session


class Users:
    """Stands in for the users service: ``access`` (role and active flag of
    everyone in ``roles``) and ``reset_unread`` (recorded)."""

    def __init__(self):
        self.roles: dict[str, str] = {}
        self.inactive: set[str] = set()
        self.resets: list[tuple[str, str, int]] = []

    def access(self, user_id):
        if user_id not in self.roles:
            raise NotFound("no such user")
        return {"user_id": user_id, "role": self.roles[user_id],
                "active": user_id not in self.inactive}

    def reset_unread(self, user_id, channel_id, seq):
        self.resets.append((user_id, channel_id, seq))
        return {"unread": 0, "mentions": 0, "read_seq": seq}


@pytest.fixture
def session():
    with sqlite_session(Base) as session:
        yield session


@pytest.fixture
def users() -> Users:
    users = Users()
    users.roles.update(owner="owner", admin="admin", ada="member", bob="member",
                       cy="member", dee="member", gus="guest")
    return users


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def channels(session, users, bus):
    return worker_factory(Service, db=SimpleNamespace(session=session), users=users,
                          realtime=bus,
                          audit=AuditWriter(AuditEntry, request_id="req-1", ip="203.0.113.7"))
