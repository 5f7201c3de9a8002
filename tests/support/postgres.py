"""Scratch PostgreSQL databases migrated by a service's own Alembic scripts, and a
helper that races several sessions (threads) through the same code at once."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg2
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.common.migrations import alembic_config


def admin_connection(stack):
    connection = psycopg2.connect(host=stack["postgres.host"], port=stack["postgres.port"],
                                  user=stack["postgres.user"],
                                  password=stack.secret("postgres.password"), dbname="postgres")
    connection.autocommit = True
    return connection


@contextmanager
def scratch_database(stack, service: str, revision: str = "head",
                     pool_size: int = 8) -> Iterator[tuple[Engine, object]]:
    """A fresh database upgraded to ``revision``: (engine, its Alembic config);
    dropped afterwards."""
    name = f"parley_{service}_scratch_{uuid.uuid4().hex[:8]}"
    admin = admin_connection(stack)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    url = stack.postgres_url(name)
    config = alembic_config(service)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)
    engine = create_engine(url, pool_size=pool_size)
    try:
        yield engine, config
    finally:
        engine.dispose()
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


def race(engine: Engine, writers: int, work: Callable[[Session, int], object]) -> list:
    """Run ``work(session, i)`` in ``writers`` threads released at once; each commits.
    Returns, per thread, what ``work`` returned or the exception it raised."""
    barrier = threading.Barrier(writers)
    outcomes: list = [None] * writers

    def run(i):
        with Session(engine) as session:
            barrier.wait()
            try:
                outcomes[i] = work(session, i)
                session.commit()
            except Exception as exc:  # noqa: BLE001 - the test inspects it
                session.rollback()
                outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes
