"""Users: people's profiles and what they have not read yet."""
from __future__ import annotations

from nameko.rpc import rpc
from nameko_sqlalchemy import Database
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from services.common.dependencies import TimedRpcProxy
from services.common.errors import Forbidden, NotFound
from services.common.events import MessageCreated
from services.common.service_base import ParleyService
from services.common.validation import validated_object

from . import storage, views
from .models import Base, CountedMessage, Unread


class Service(ParleyService):
    name = "users"

    db = Database(Base)
    channels = TimedRpcProxy("channels")

    @rpc
    def ensure_profile(self, user_id, email, display_name):
        """Create the profile of a new account: the workspace's first account is
        its owner, every later one a member. Idempotent: an existing profile is
        returned unchanged."""
        session = self.db.session
        storage.lock_roles(session)
        storage.insert_profile(session, user_id, email, display_name)
        session.commit()
        return self.get(user_id)

    @rpc
    def get(self, user_id):
        """A profile, for other services and the gateway (no permission check)."""
        return views.profile(self._profile(user_id))

    @rpc
    def access(self, user_id):
        """Role and active flag, for services enforcing docs/permissions.md."""
        return views.access(self._profile(user_id))

    @rpc
    def unread_counts(self, user_id):
        rows = self.db.session.scalars(select(Unread).where(Unread.user_id == user_id))
        return {row.channel_id: {"unread": row.unread_count, "mentions": row.mention_count,
                                 "read_seq": row.read_seq} for row in rows}

    @rpc
    def mark_read(self, user_id, channel_id, seq):
        """Move the read cursor forward (never back) and reset the counters."""
        seq = int(seq)
        if not self.channels.is_member(channel_id, user_id):
            raise Forbidden("you are not a member of this channel")
        self.db.session.execute(
            insert(Unread).values(user_id=user_id, channel_id=channel_id, unread_count=0,
                                  mention_count=0, read_seq=seq)
            .on_conflict_do_update(
                index_elements=[Unread.user_id, Unread.channel_id],
                set_={"unread_count": 0, "mention_count": 0, "read_seq": seq},
                where=Unread.read_seq < seq))
        self.db.session.commit()
        return self.unread_counts(user_id).get(channel_id)

    @rpc
    def on_message_created(self, event):
        """Kafka consumer hook: count the message as unread for every other member.
        Idempotent by message id, in one transaction with the counters."""
        message = validated_object(MessageCreated, event).message
        members = self.channels.member_ids(message.channel_id)
        session = self.db.session
        first_time = session.execute(
            insert(CountedMessage).values(message_id=message.id)
            .on_conflict_do_nothing()).rowcount == 1
        if not first_time:
            session.rollback()
            return {"message_id": message.id, "counted": False}
        for member in members:
            if member == message.sender_id:
                continue
            session.execute(
                insert(Unread).values(user_id=member, channel_id=message.channel_id,
                                      unread_count=0, mention_count=0, read_seq=0)
                .on_conflict_do_nothing())
            session.execute(
                update(Unread)
                .where(Unread.user_id == member, Unread.channel_id == message.channel_id,
                       Unread.read_seq < message.seq)
                .values(unread_count=Unread.unread_count + 1))
        session.commit()
        return {"message_id": message.id, "counted": True}

    # -- helpers ----------------------------------------------------------
    def _profile(self, user_id):
        profile = storage.get_profile(self.db.session, user_id)
        if profile is None:
            raise NotFound("no such user")
        return profile
