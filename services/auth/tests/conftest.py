"""The auth service as a Nameko worker whose database session is a real
SQLAlchemy session on in-memory SQLite (auth's queries are portable SQL), Redis
from fakeredis, a deliberately cheap argon2 profile so that tests stay fast, and
recorders for what goes out: mails, real-time events, calls to the users service."""
from __future__ import annotations

from types import SimpleNamespace

import fakeredis
import pytest
from argon2 import PasswordHasher
from nameko.testing.services import worker_factory

from services.auth.models import AuditEntry, Base
from services.auth.service import Service
from services.auth.settings import AuthSettings
from services.common.audit import AuditWriter
from services.common.tokens import TokenCodec
from tests.support.sqlite import sqlite_session


@pytest.fixture
def session():
    with sqlite_session(Base) as session:
        # enforce foreign keys as PostgreSQL does (SQLite does not by default)
        session.connection().exec_driver_sql("PRAGMA foreign_keys=ON")
        session.commit()
        yield session


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec("auth-unit-test-secret-0123456789", access_ttl=900)


@pytest.fixture
def settings() -> AuthSettings:
    return AuthSettings(reset_url="https://chat.example.com/reset?token={token}")


@pytest.fixture
def redis():
    return fakeredis.FakeRedis(decode_responses=True)


class UsersService:
    """Stands in for the users service's ``access`` RPC: everyone is an active member
    unless the test says otherwise."""

    def __init__(self):
        self.people: dict[str, dict] = {}

    def set(self, user_id: str, role: str = "member", active: bool = True) -> None:
        self.people[user_id] = {"user_id": user_id, "role": role, "active": active}

    def access(self, user_id: str) -> dict:
        return self.people.get(user_id, {"user_id": user_id, "role": "member", "active": True})


@pytest.fixture
def users() -> UsersService:
    return UsersService()


@pytest.fixture
def outbox() -> list[dict]:
    """Mails the service handed to its mailer: {"to", "subject", "text"}."""
    return []


@pytest.fixture
def events() -> list[tuple[str, dict]]:
    """(routing key, event) published on the real-time bus."""
    return []


@pytest.fixture
def auth(session, hasher, codec, settings, redis, users, outbox, events):
    return worker_factory(
        Service, db=SimpleNamespace(session=session), passwords=hasher, tokens=codec,
        settings=settings, redis=redis, users=users,
        audit=AuditWriter(AuditEntry, request_id="req-1", ip="203.0.113.7"),
        mailer=lambda to, subject, text: outbox.append(
            {"to": to, "subject": subject, "text": text}),
        bus=lambda key, event: events.append((key, event.model_dump(mode="json"))))
