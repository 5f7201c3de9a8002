"""Users' queries on PostgreSQL. The service and its small modules hold the logic.

Roles are changed under one transaction-scoped advisory lock per workspace, so
that "the first account is the owner" and "there is always an active owner" hold
under concurrent writers. SQLite (unit tests) has no advisory locks and no
concurrent writers: there the lock is a no-op.
"""
from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from .models import MEMBER, OWNER, Profile

# pg_advisory_xact_lock key of "who holds which role in the workspace"
_ROLES_LOCK = 0x7061726C6579  # "parley"


def lock_roles(session) -> None:
    """Serialise role changes until the current transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ROLES_LOCK})


def get_profile(session, user_id) -> Profile | None:
    return session.get(Profile, str(user_id))


def insert_profile(session, user_id, email, display_name) -> bool:
    """Insert a profile unless it exists; the very first one is the owner.
    Call with the roles lock held. Returns whether it was created."""
    anyone = session.scalar(select(Profile.user_id).limit(1)) is not None
    role = MEMBER if anyone else OWNER
    result = session.execute(
        insert(Profile).values(user_id=user_id, email=email, display_name=display_name,
                               role=role, active=True)
        .on_conflict_do_nothing(index_elements=[Profile.user_id]))
    return result.rowcount == 1
