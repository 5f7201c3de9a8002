"""The users service as a Nameko worker (``worker_factory``) whose database
session is a real SQLAlchemy session on in-memory SQLite, and whose neighbours
(the channels and auth services, S3, the real-time bus) are stand-ins that record
what they were told.

The service writes with PostgreSQL's INSERT … ON CONFLICT constructs; SQLite
understands the same clauses, so the idempotence logic runs unchanged here. How
PostgreSQL itself behaves under concurrent writers (the roles lock) is for the
integration tests.
"""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.common.audit import AuditWriter
from services.common.channel_memory import PerChannel
from services.common.errors import Conflict
from services.users.models import AuditEntry, Base
from services.users.service import Service
from services.common.testing import Bus
from tests.support.sqlite import sqlite_session


class Channels:
    """Stands in for the channels service: ``is_member``, ``member_ids``, ``list_for_user``."""

    def __init__(self):
        self.members: dict[str, list[str]] = {}

    def is_member(self, channel_id, user_id):
        return user_id in self.members.get(channel_id, [])

    def member_ids(self, channel_id):
        return list(self.members.get(channel_id, []))

    def list_for_user(self, user_id):
        return [{"id": channel_id} for channel_id, members in self.members.items()
                if user_id in members]


class Auth:
    """Stands in for the auth service: accounts by email, and who was (de/re)activated."""

    def __init__(self):
        self.accounts: dict[str, dict] = {}
        self.told: list[tuple[str, str]] = []

    def register(self, email, password, display_name):
        account = self.accounts.get(email)
        if account is None:
            account = self.accounts[email] = {"user_id": uuid.uuid4().hex, "email": email,
                                              "password": password}
            return {"user_id": account["user_id"], "email": email, "created": True}
        if account["password"] != password:
            raise Conflict("email address is already registered")
        return {"user_id": account["user_id"], "email": email, "created": False}

    def deactivate(self, user_id):
        self.told.append(("deactivate", user_id))

    def reactivate(self, user_id):
        self.told.append(("reactivate", user_id))


class S3Client:
    def __init__(self):
        self.objects: dict[str, dict] = {}

    def put_object(self, Bucket, Key, Body, **headers):
        self.objects[Key] = {"body": Body, **headers}

    def delete_object(self, Bucket, Key):
        self.objects.pop(Key, None)


class Presigner:
    def generate_presigned_url(self, operation, ExpiresIn, Params):
        return f"https://s3.test/{Params['Bucket']}/{Params['Key']}?expires={ExpiresIn}"


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
def auth() -> Auth:
    return Auth()


@pytest.fixture
def s3():
    return SimpleNamespace(client=S3Client(), presigner=Presigner(), bucket="parley-test")


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def users(session, channels, auth, s3, bus):
    return worker_factory(Service, db=SimpleNamespace(session=session), channels=channels,
                          auth=auth, files=s3, realtime=bus,
                          channel_memory=PerChannel(seconds=0),   # ask each time
                          audit=AuditWriter(AuditEntry, request_id="req-1", ip="203.0.113.7"))


@pytest.fixture
def people(users):
    """A workspace: Olive the owner (first to register), then Ada an admin, Mo and
    Max members, Gus a guest."""
    users.ensure_profile("olive", "olive@example.com", "Olive")
    for user_id, role in (("ada", "admin"), ("mo", "member"), ("max", "member"),
                          ("gus", "guest")):
        users.ensure_profile(user_id, f"{user_id}@example.com", user_id.capitalize())
        users.admin_set_role(user_id, role)
    return users
