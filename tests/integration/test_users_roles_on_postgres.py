"""The users service's role rules under concurrent writers, on the real PostgreSQL.

Each test gets a scratch database migrated by the service's own Alembic scripts,
and races several sessions (threads) through the same storage and roles code the
service runs: only the advisory lock keeps "the first account is the owner" and
"there is always an active owner" true when writers collide."""
from __future__ import annotations

import threading
import uuid

import psycopg2
import pytest
from alembic import command
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from services.common.errors import Forbidden
from services.common.migrations import alembic_config
from services.users import roles, storage
from services.users.models import OWNER, Profile

WRITERS = 8


def _admin_connection(stack):
    connection = psycopg2.connect(host=stack["postgres.host"], port=stack["postgres.port"],
                                  user=stack["postgres.user"],
                                  password=stack.secret("postgres.password"), dbname="postgres")
    connection.autocommit = True
    return connection


@pytest.fixture
def engine(stack):
    name = f"parley_users_scratch_{uuid.uuid4().hex[:8]}"
    admin = _admin_connection(stack)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    url = stack.postgres_url(name)
    config = alembic_config("users")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")
    engine = create_engine(url, pool_size=WRITERS)
    yield engine
    engine.dispose()
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
    admin.close()


def race(engine, work) -> list:
    """Run ``work(session, i)`` in WRITERS threads released at once; each commits.
    Returns what each raised (or None)."""
    barrier = threading.Barrier(WRITERS)
    outcomes: list = [None] * WRITERS

    def run(i):
        with Session(engine) as session:
            barrier.wait()
            try:
                work(session, i)
                session.commit()
            except Exception as exc:  # noqa: BLE001 - the test inspects it
                session.rollback()
                outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def owners(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(Profile.user_id).where(
            Profile.role == OWNER, Profile.active.is_(True))))


def ensure(session, i):
    storage.lock_roles(session)
    storage.insert_profile(session, f"u{i}", f"u{i}@example.com", f"U{i}")


def test_of_many_simultaneous_first_sign_ups_exactly_one_becomes_owner(engine):
    assert race(engine, ensure) == [None] * WRITERS
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

    outcomes = race(engine, lambda session, i: roles.change(session, f"u{i}", f"u{i}",
                                                            role="member"))
    assert len(owners(engine)) == 1
    refused = [o for o in outcomes if o is not None]
    assert len(refused) == 1 and isinstance(refused[0], Forbidden)
