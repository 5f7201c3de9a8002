"""A real SQLAlchemy session on in-memory SQLite, for unit tests of services whose
queries are portable SQL (PostgreSQL's ON CONFLICT clauses included)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, Session


@contextmanager
def sqlite_session(base: type[DeclarativeBase]) -> Iterator[Session]:
    """A session on a fresh in-memory database with ``base``'s tables created."""
    engine = create_engine("sqlite://")
    base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()
