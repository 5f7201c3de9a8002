"""The auth service as a Nameko worker whose database session is a real
SQLAlchemy session on in-memory SQLite (auth's queries are portable SQL), with a
deliberately cheap argon2 profile so that tests stay fast."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher
from nameko.testing.services import worker_factory

from services.auth.models import Base
from services.auth.service import Service
from services.common.tokens import TokenCodec
from tests.support.sqlite import sqlite_session


@pytest.fixture
def session():
    with sqlite_session(Base) as session:
        yield session


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec("auth-unit-test-secret-0123456789", access_ttl=900)


@pytest.fixture
def auth(session, hasher, codec):
    return worker_factory(Service, db=SimpleNamespace(session=session), passwords=hasher,
                          tokens=codec)
