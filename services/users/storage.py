"""Users' queries on PostgreSQL. The service and its small modules hold the logic.

Roles are changed under one transaction-scoped advisory lock per workspace, so
that "the first account is the owner" and "there is always an active owner" hold
under concurrent writers. SQLite (unit tests) has no advisory locks and no
concurrent writers: there the lock is a no-op.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert

from services.common.errors import InvalidInput
from services.common.events import Message

from .models import MEMBER, OWNER, CountedMessage, Profile, Unread

# pg_advisory_xact_lock key of "who holds which role in the workspace"
_ROLES_LOCK = 0x7061726C6579  # "parley"
# @channel and @here mention everyone in the channel (@here: presence-aware later)
EVERYONE = frozenset({"channel", "here"})


def now() -> datetime:
    return datetime.now(timezone.utc)


# -- profiles and roles ----------------------------------------------------------------
def lock_roles(session) -> None:
    """Serialise role changes until the current transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ROLES_LOCK})


def get_profile(session, user_id) -> Profile | None:
    return session.get(Profile, str(user_id))


def profile_by_email(session, email: str) -> Profile | None:
    return session.scalars(select(Profile).where(
        func.lower(Profile.email) == email.strip().lower())).first()


def workspace_is_empty(session) -> bool:
    """No profile yet: the next one to be inserted owns the workspace."""
    return session.scalar(select(Profile.user_id).limit(1)) is None


def insert_profile(session, user_id, email, display_name) -> bool:
    """Insert a profile unless it exists; the very first one is the owner.
    Call with the roles lock held. Returns whether it was created."""
    role = OWNER if workspace_is_empty(session) else MEMBER
    result = session.execute(
        insert(Profile).values(user_id=user_id, email=email, display_name=display_name,
                               role=role, active=True)
        .on_conflict_do_nothing(index_elements=[Profile.user_id]))
    return result.rowcount == 1


def other_active_owners(session, user_id) -> int:
    return session.scalar(select(func.count()).select_from(Profile).where(
        Profile.role == OWNER, Profile.active.is_(True), Profile.user_id != user_id))


def set_role_and_active(profile: Profile, role: str, active: bool) -> bool:
    """Returns whether anything changed."""
    if (profile.role, profile.active) == (role, active):
        return False
    if profile.active != active:
        profile.deactivated_at = None if active else now()
    profile.role, profile.active = role, active
    return True


def update_profile(profile: Profile, values: dict) -> None:
    for name, value in values.items():
        setattr(profile, name, value)


def touch(session, user_ids: list[str], at: datetime, every: timedelta) -> int:
    """Record activity at most once per ``every`` per person: one conditional UPDATE
    for them all; how many were written."""
    result = session.execute(
        update(Profile)
        .where(Profile.user_id.in_([str(user_id) for user_id in user_ids]),
               or_(Profile.last_active_at.is_(None), Profile.last_active_at < at - every))
        .values(last_active_at=at))
    return result.rowcount


# -- the directory ---------------------------------------------------------------------
def directory_page(session, prefix: str, cursor: str | None, limit: int,
                   include_deactivated: bool) -> tuple[list[Profile], str | None]:
    """People ordered by (lower(display_name), user_id), whose display name or full
    name starts with ``prefix`` (case-insensitive). Keyset paging: the cursor is
    the last row's sort key, so pages stay stable while people join."""
    sort_name = func.lower(Profile.display_name)
    query = select(Profile, sort_name.label("sort_name"))
    if not include_deactivated:
        query = query.where(Profile.active.is_(True))
    if prefix:
        pattern = _like_prefix(prefix.lower())
        query = query.where(or_(sort_name.like(pattern, escape="\\"),
                                func.lower(Profile.full_name).like(pattern, escape="\\")))
    if cursor:
        query = query.where(tuple_(sort_name, Profile.user_id) > tuple_(*decode_cursor(cursor)))
    rows = session.execute(query.order_by(sort_name, Profile.user_id).limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].sort_name, page[-1][0].user_id) \
        if len(rows) > limit else None
    return [row[0] for row in page], next_cursor


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def encode_cursor(sort_name: str, user_id: str) -> str:
    raw = json.dumps([sort_name, user_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        sort_name, user_id = value
        if isinstance(sort_name, str) and isinstance(user_id, str):
            return sort_name, user_id
    except (ValueError, TypeError):
        pass
    raise InvalidInput("cursor: not a cursor this service handed out")


# -- unread and mention counters -------------------------------------------------------
def counts(row) -> dict:
    """A row of counters as clients read them (``GET /me/unread``, ``unread.changed``)."""
    return {"unread": row.unread_count, "mentions": row.mention_count,
            "read_seq": row.read_seq, "counted_seq": row.counted_seq}


def unread_counts(session, user_id) -> dict:
    rows = session.scalars(select(Unread).where(Unread.user_id == str(user_id)))
    return {row.channel_id: counts(row) for row in rows}


def reset_unread(session, user_id, channel_id, seq: int) -> dict | None:
    """Move the read cursor forward (never back) and zero the counters. Returns the
    counters after the change when the cursor moved (the person's other devices
    count from there, whatever the counters were), else None."""
    moved = session.execute(
        insert(Unread).values(user_id=user_id, channel_id=channel_id, unread_count=0,
                              mention_count=0, read_seq=seq)
        .on_conflict_do_update(
            index_elements=[Unread.user_id, Unread.channel_id],
            set_={"unread_count": 0, "mention_count": 0, "read_seq": seq},
            where=Unread.read_seq < seq)
        .returning(Unread.unread_count, Unread.mention_count, Unread.read_seq,
                   Unread.counted_seq)).first()
    return counts(moved) if moved is not None else None


def claim_message(session, message_id) -> bool:
    """Record that a message is being counted; False if it already was."""
    return session.execute(insert(CountedMessage).values(message_id=message_id)
                           .on_conflict_do_nothing()).rowcount == 1


# The members arrive as two arrays, whatever their number: the same statement text every
# time. A multi-row VALUES built by SQLAlchemy cost 98 ms of CPU per message into a
# 500-member channel, this 4.4 ms on PostgreSQL (docs/performance.md, "Counting unread
# messages"). Arrays are spelled differently by each engine: PostgreSQL's (the service's
# store) unnests them; SQLite's (the unit tests' stand-in, tests/support/sqlite.py) reads
# them as JSON.
_COUNTED_ROWS = {   # engine: (the rows to count, how an array is passed, the larger of two)
    "postgresql": ("""SELECT member, :channel_id, 1, mentioned, 0, :seq
  FROM unnest(CAST(:members AS varchar[]), CAST(:mentioned AS integer[]))
       AS counted(member, mentioned)""", list, "GREATEST"),
    "sqlite": ("""SELECT member.value, :channel_id, 1, mentioned.value, 0, :seq
  FROM json_each(:members) AS member JOIN json_each(:mentioned) AS mentioned
       ON mentioned.key = member.key
 WHERE true""", json.dumps, "MAX"),   # SQLite: an INSERT … SELECT before ON CONFLICT needs a WHERE
}
COUNT_MESSAGE = {engine: (text(f"""
INSERT INTO unreads (user_id, channel_id, unread_count, mention_count, read_seq, counted_seq)
{rows}
    ON CONFLICT (user_id, channel_id) DO UPDATE
   SET unread_count = unreads.unread_count + 1,
       mention_count = unreads.mention_count + excluded.mention_count,
       counted_seq = {highest}(unreads.counted_seq, excluded.counted_seq)
 WHERE unreads.read_seq < :seq
RETURNING user_id"""), array)
    for engine, (rows, array, highest) in _COUNTED_ROWS.items()}


def count_message(session, message: Message, members: list[str]) -> list[str]:
    """+1 unread for every member but the sender whose cursor is below the
    message; +1 mention too if the message names them, @channel or @here; and the
    message's seq as their ``counted_seq`` if it is the highest counted. Returns who
    was counted. One statement whatever the channel's size (a pair per member had
    made counting the bulk of the users service's work)."""
    counted = sorted(set(members) - {message.sender_id})   # one lock order for every writer
    if not counted:
        return []
    everyone = bool(EVERYONE.intersection(message.mentions))
    named = set(message.mentions)
    statement, array = COUNT_MESSAGE[session.get_bind().dialect.name]
    rows = session.execute(statement, {
        "channel_id": message.channel_id, "seq": message.seq, "members": array(counted),
        "mentioned": array([1 if everyone or member in named else 0 for member in counted])})
    return [row.user_id for row in rows]
