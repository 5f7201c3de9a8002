"""The channels service's queries. Plain SQL through SQLAlchemy, portable between
PostgreSQL and SQLite (the unit tests), ON CONFLICT clauses included; nothing here
commits: the service commits once per RPC, after every check passed."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, case, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from services.common.cursors import decode_cursor, encode_cursor
from services.common.errors import Conflict, InvalidInput
from services.common.events import Message

from .models import (CONVERSATIONS, DM, GROUP_DM, PRIVATE, PUBLIC, AppliedMessage, Channel,
                     Membership)
from .schemas import normalise_name


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Cursors:
    """A member's cursors in a channel: delivered up to, read up to (delivered >= read)."""

    delivered: int
    read: int


def member_key(user_ids: list[str]) -> str:
    """One key per set of people, whatever the order they were given in."""
    return hashlib.sha256("\n".join(sorted(set(user_ids))).encode()).hexdigest()


class Store:
    def __init__(self, session: Session):
        self.session = session

    # -- channels -------------------------------------------------------------------
    def channel(self, channel_id: str) -> Channel | None:
        return self.session.get(Channel, str(channel_id))

    def by_name(self, name: str) -> Channel | None:
        return self.session.scalars(select(Channel).where(Channel.name == name)).one_or_none()

    def by_id_or_name(self, id_or_name: str) -> Channel | None:
        return self.channel(id_or_name) or self.by_name(normalise_name(str(id_or_name)))

    def insert_channel(self, creator: str, name: str, is_private: bool, topic: str = "",
                       purpose: str = "") -> tuple[Channel, bool]:
        """The channel called ``name``, and whether this call created it."""
        channel_id = uuid.uuid4().hex
        created = self.session.execute(
            insert(Channel).values(
                id=channel_id, kind=PRIVATE if is_private else PUBLIC, name=name,
                is_private=is_private, topic=topic, purpose=purpose, created_by=creator,
                created_at=now(), last_message_seq=0, message_count=0)
            .on_conflict_do_nothing(index_elements=[Channel.name])).rowcount == 1
        return self.by_name(name), created

    def insert_conversation(self, opener: str, people: list[str]) -> tuple[Channel, bool]:
        """The DM (two people) or group DM of exactly ``people``, and whether this call
        created it. Two openers racing meet on the unique ``member_key``: the second
        waits for the first to commit, then finds its conversation."""
        key = member_key(people)
        kind = DM if len(set(people)) == 2 else GROUP_DM
        created = self.session.execute(
            insert(Channel).values(
                id=uuid.uuid4().hex, kind=kind, name=None, is_private=True, member_key=key,
                topic="", purpose="", created_by=opener, created_at=now(),
                last_message_seq=0, message_count=0)
            .on_conflict_do_nothing(index_elements=[Channel.member_key])).rowcount == 1
        channel = self.session.scalars(
            select(Channel).where(Channel.member_key == key)).one()
        return channel, created

    def rename_would_clash(self, channel_id: str, name: str) -> bool:
        return self.session.scalar(select(exists().where(
            Channel.name == name, Channel.id != channel_id))) or False

    def change(self, channel: Channel, values: dict) -> None:
        """Set a channel's fields; a name taken meanwhile by another is a conflict."""
        for field, value in values.items():
            setattr(channel, field, value)
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            raise Conflict(f"a channel named {values.get('name')!r} already exists") from None

    def all_channels(self, prefix: str, include_archived: bool) -> list[Channel]:
        """Every public and private channel (not DMs), by name: for admins."""
        query = select(Channel).where(Channel.kind.in_((PUBLIC, PRIVATE)))
        if prefix:
            query = query.where(Channel.name.startswith(prefix, autoescape=True))
        if not include_archived:
            query = query.where(Channel.archived_at.is_(None))
        return list(self.session.scalars(query.order_by(Channel.name)))

    def directory(self, viewer: str, viewer_is_guest: bool, prefix: str,
                  include_archived: bool, cursor: str | None,
                  limit: int) -> tuple[list[Channel], str | None]:
        """Channels by name that ``viewer`` may find: public ones (for guests only
        those they are in) and private ones they are in. Never DMs."""
        after = decode_cursor(cursor, 1)
        mine = exists().where(Membership.channel_id == Channel.id, Membership.user_id == viewer)
        findable = mine if viewer_is_guest else or_(Channel.kind == PUBLIC, mine)
        query = select(Channel).where(Channel.kind.in_((PUBLIC, PRIVATE)), findable)
        if prefix:
            query = query.where(Channel.name.startswith(prefix, autoescape=True))
        if not include_archived:
            query = query.where(Channel.archived_at.is_(None))
        if after:
            query = query.where(Channel.name > after[0])
        rows = list(self.session.scalars(query.order_by(Channel.name).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (encode_cursor(rows[-1].name) if more else None)

    # -- members --------------------------------------------------------------------
    def may_post(self, channel_id: str, user_id: str) -> bool:
        """A member of a channel that is not archived: one query (every message
        sent asks this)."""
        return self.session.execute(
            select(Membership.user_id).join(Channel, Channel.id == Membership.channel_id)
            .where(Membership.channel_id == str(channel_id), Membership.user_id == str(user_id),
                   Channel.archived_at.is_(None))).first() is not None

    def posters(self, channel_id: str) -> list[str]:
        """The members of a channel that is not archived (none otherwise): one query."""
        return list(self.session.scalars(
            select(Membership.user_id).join(Channel, Channel.id == Membership.channel_id)
            .where(Membership.channel_id == str(channel_id), Channel.archived_at.is_(None))
            .order_by(Membership.user_id)))

    def membership(self, channel_id: str, user_id: str) -> Membership | None:
        return self.session.get(Membership, (str(channel_id), str(user_id)))

    def add_member(self, channel_id: str, user_id: str) -> bool:
        """Add someone; False when they already were a member."""
        return self.session.execute(
            insert(Membership).values(channel_id=channel_id, user_id=user_id, joined_at=now(),
                                      last_read_seq=0, last_delivered_seq=0,
                                      notification_level="all", muted=False)
            .on_conflict_do_nothing()).rowcount == 1

    def remove_member(self, channel_id: str, user_id: str) -> bool:
        """Remove someone; False when they were not a member."""
        return self.session.execute(
            delete(Membership).where(Membership.channel_id == channel_id,
                                     Membership.user_id == user_id)).rowcount == 1

    def member_ids(self, channel_id: str) -> list[str]:
        return list(self.session.scalars(
            select(Membership.user_id).where(Membership.channel_id == str(channel_id))
            .order_by(Membership.joined_at, Membership.user_id)))

    def member_settings(self, channel_id: str) -> list[Membership]:
        return list(self.session.scalars(
            select(Membership).where(Membership.channel_id == str(channel_id))
            .order_by(Membership.joined_at, Membership.user_id)))

    def member_page(self, channel_id: str, cursor: str | None,
                    limit: int) -> tuple[list[str], str | None]:
        """Members in order of joining, ``limit`` at a time."""
        after = decode_cursor(cursor, 2)
        query = select(Membership).where(Membership.channel_id == channel_id)
        if after:
            joined_at, user_id = _parse_time(after[0]), after[1]
            query = query.where(or_(Membership.joined_at > joined_at,
                                    and_(Membership.joined_at == joined_at,
                                         Membership.user_id > user_id)))
        rows = list(self.session.scalars(
            query.order_by(Membership.joined_at, Membership.user_id).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = (encode_cursor(rows[-1].joined_at.isoformat(), rows[-1].user_id)
                       if more else None)
        return [row.user_id for row in rows], next_cursor

    def member_counts(self, channel_ids: list[str]) -> dict[str, int]:
        if not channel_ids:
            return {}
        rows = self.session.execute(
            select(Membership.channel_id, func.count())
            .where(Membership.channel_id.in_(channel_ids)).group_by(Membership.channel_id))
        return {channel_id: count for channel_id, count in rows}

    def memberships_of(self, user_id: str, channel_ids: list[str]) -> dict[str, Membership]:
        if not channel_ids:
            return {}
        rows = self.session.scalars(select(Membership).where(
            Membership.user_id == user_id, Membership.channel_id.in_(channel_ids)))
        return {row.channel_id: row for row in rows}

    def channels_of(self, user_id: str) -> list[tuple[Channel, Membership]]:
        """A person's channels: named ones by name, then conversations, oldest first."""
        rows = self.session.execute(
            select(Channel, Membership).join(Membership, Membership.channel_id == Channel.id)
            .where(Membership.user_id == user_id)
            .order_by(Channel.kind.in_(CONVERSATIONS), Channel.name, Channel.created_at))
        return [(channel, membership) for channel, membership in rows]

    def share_a_channel(self, user_id: str, other_id: str) -> bool:
        theirs = aliased(Membership)
        return self.session.scalar(select(exists().where(
            Membership.user_id == user_id, theirs.user_id == other_id,
            theirs.channel_id == Membership.channel_id))) or False

    # -- a member's own settings ----------------------------------------------------------
    def move_cursors(self, channel_id: str, user_id: str, seq: int,
                     read: bool) -> tuple[Cursors, bool]:
        """Move the delivered cursor (and with ``read`` the read cursor too) to ``seq``
        where that is forward, in one UPDATE: its WHERE and CASEs are evaluated on the
        row as it is when the row lock is taken, so concurrent calls can only move a
        cursor forward. The cursors afterwards, and whether either moved."""
        mine = (Membership.channel_id == channel_id, Membership.user_id == user_id)
        values = {"last_delivered_seq": _forward(Membership.last_delivered_seq, seq)}
        behind = Membership.last_delivered_seq < seq
        if read:
            values["last_read_seq"] = _forward(Membership.last_read_seq, seq)
            behind = or_(behind, Membership.last_read_seq < seq)
        moved = self.session.execute(
            update(Membership).where(*mine, behind).values(**values)).rowcount == 1
        delivered, read_seq = self.session.execute(
            select(Membership.last_delivered_seq, Membership.last_read_seq).where(*mine)).one()
        return Cursors(delivered=delivered or 0, read=read_seq or 0), moved

    def cursors_of_others(self, channel_id: str, user_id: str) -> list[tuple[str, Cursors]]:
        """Every other member's cursors, in order of joining (for DMs: a few rows)."""
        rows = self.session.execute(
            select(Membership.user_id, Membership.last_delivered_seq, Membership.last_read_seq)
            .where(Membership.channel_id == channel_id, Membership.user_id != user_id)
            .order_by(Membership.joined_at, Membership.user_id))
        return [(member, Cursors(delivered=delivered or 0, read=read_seq or 0))
                for member, delivered, read_seq in rows]

    def receipt_counts(self, channel_id: str, user_id: str, seq: int) -> dict[str, int]:
        """How many other members there are, and how many of them have ``seq``
        delivered and read: one aggregate over the channel's memberships."""
        members, delivered, seen = self.session.execute(
            select(func.count(),
                   func.coalesce(func.sum(case((Membership.last_delivered_seq >= seq, 1),
                                               else_=0)), 0),
                   func.coalesce(func.sum(case((Membership.last_read_seq >= seq, 1),
                                               else_=0)), 0))
            .where(Membership.channel_id == channel_id, Membership.user_id != user_id)).one()
        return {"members": members, "delivered": delivered, "seen": seen}

    def set_member_settings(self, membership: Membership, values: dict) -> None:
        for field, value in values.items():
            setattr(membership, field, value)
        self.session.flush()

    # -- activity from Kafka --------------------------------------------------------------
    def apply_message(self, message: Message) -> bool:
        """Count a message once: the id is recorded in the same transaction as the
        count, so a replay (same id) changes nothing. The last seq and activity
        time only move forward, whatever order messages arrive in."""
        first_time = self.session.execute(
            insert(AppliedMessage).values(message_id=message.id, channel_id=message.channel_id,
                                          applied_at=now())
            .on_conflict_do_nothing()).rowcount == 1
        if not first_time:
            return False
        later = Channel.last_message_seq < message.seq   # SET reads the row as it was
        self.session.execute(
            update(Channel).where(Channel.id == message.channel_id)
            .values(message_count=Channel.message_count + 1,
                    last_message_seq=_forward(Channel.last_message_seq, message.seq),
                    last_activity_at=case((later, message.created_at),
                                          else_=Channel.last_activity_at)))
        return True


def _forward(column, seq: int):
    """``column`` moved to ``seq`` if that is forward, else left as it is."""
    return case((column < seq, seq), else_=column)


def _parse_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("cursor: not a cursor from a previous page") from None
