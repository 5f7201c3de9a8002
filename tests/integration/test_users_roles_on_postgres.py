"""The users service's role rules under concurrent writers, on the real PostgreSQL.

Each test gets a scratch database migrated by the service's own Alembic scripts,
and races several sessions (threads) through the same storage and roles code the
service runs: only the advisory lock keeps "the first account is the owner" and
"there is always an active owner" true when writers collide."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.errors import Forbidden
from services.users import roles, storage
from services.users.models import OWNER, Profile
from tests.support.postgres import race, scratch_database

WRITERS = 8


@pytest.fixture
def engine(stack):
    with scratch_database(stack, "users", pool_size=WRITERS) as (engine, _):
        yield engine


def owners(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(Profile.user_id).where(
            Profile.role == OWNER, Profile.active.is_(True))))


def ensure(session, i):
    storage.lock_roles(session)
    storage.insert_profile(session, f"u{i}", f"u{i}@example.com", f"U{i}")


def test_of_many_simultaneous_first_sign_ups_exactly_one_becomes_owner(engine):
    assert not any(isinstance(o, Exception) for o in race(engine, WRITERS, ensure))
    assert len(owners(engine)) == 1
    with Session(engine) as session:
        assert session.query(Profile).count() == WRITERS


def test_owners_stepping_down_at_once_leave_exactly_one_owner(engine):
    with Session(engine) as session:
        for i in range(WRITERS):
            ensure(session, i)
            session.commit()
            roles.change(session, roles.SYSTEM, f"u{i}", role=OWNER)
            session.commit()
    assert len(owners(engine)) == WRITERS

    outcomes = race(engine, WRITERS, lambda session, i: roles.change(
        session, f"u{i}", f"u{i}", role="member"))
    assert len(owners(engine)) == 1
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], Forbidden)


def test_a_heartbeats_touch_writes_everyone_due_in_one_update_once_a_minute(engine):
    """storage.touch, as users.touch_many runs it for a gateway's open sockets."""
    with Session(engine) as session:
        for i in range(3):
            ensure(session, i)
        session.commit()
        now = storage.now()
        assert storage.touch(session, ["u0"], now, timedelta(seconds=60)) == 1
        assert storage.touch(session, ["u0", "u1", "u2", "nobody"], now,
                             timedelta(seconds=60)) == 2
        assert storage.touch(session, ["u0", "u1", "u2"], now + timedelta(seconds=30),
                             timedelta(seconds=60)) == 0
        session.commit()
        assert {p.user_id: p.last_active_at for p in session.scalars(select(Profile))} == {
            "u0": now, "u1": now, "u2": now}
