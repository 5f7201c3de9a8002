"""Channels: where conversations happen and who is in them."""
from __future__ import annotations

import uuid
from datetime import datetime

from nameko.rpc import rpc
from nameko_sqlalchemy import Database
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from services.common.dependencies import RealtimeBus
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import Event, MessageCreated, channel_key, user_key
from services.common.service_base import ParleyService
from services.common.validation import validated, validated_object

from .models import Base, Channel, Membership
from .schemas import NewChannel


class Service(ParleyService):
    name = "channels"

    db = Database(Base)
    realtime = RealtimeBus()

    @rpc
    def create(self, actor_id, name, is_private=False):
        """Create a channel with its creator as first member. Idempotent: the
        creator asking again for the same name gets the same channel."""
        data = validated(NewChannel, name=name, is_private=is_private)
        existing = self._by_name(data.name)
        if existing is None:
            channel = Channel(id=uuid.uuid4().hex, name=data.name, is_private=data.is_private,
                              created_by=actor_id, last_message_seq=0)
            self.db.session.add(channel)
            try:
                self.db.session.flush()
            except IntegrityError:
                self.db.session.rollback()
                existing = self._by_name(data.name)
            else:
                self._add_member(channel.id, actor_id)
                self.db.session.commit()
                self._announce_join(channel.id, actor_id)
                return channel.to_dict()
        if existing.created_by != actor_id:
            raise Conflict(f"a channel named {data.name!r} already exists")
        return existing.to_dict()

    @rpc
    def get(self, actor_id, channel_id):
        return self._visible_channel(actor_id, channel_id).to_dict()

    @rpc
    def join(self, actor_id, channel_id):
        """Join a public channel. Idempotent."""
        channel = self._channel(channel_id)
        if channel.is_private and not self._is_member(channel_id, actor_id):
            raise Forbidden("private channels are joined by invitation")
        added = self._add_member(channel_id, actor_id)
        self.db.session.commit()
        if added:
            self._announce_join(channel_id, actor_id)
        return {"channel_id": channel_id, "user_id": actor_id, "joined": added}

    @rpc
    def is_member(self, channel_id, user_id):
        return self._is_member(channel_id, user_id)

    @rpc
    def members(self, actor_id, channel_id):
        """Who is in a channel, as a person may see it."""
        self._visible_channel(actor_id, channel_id)
        return self._member_ids(channel_id)

    @rpc
    def member_ids(self, channel_id):
        """Who is in a channel, for other services (no visibility check)."""
        self._channel(channel_id)
        return self._member_ids(channel_id)

    @rpc
    def list_for_user(self, user_id):
        rows = self.db.session.scalars(
            select(Channel).join(Membership, Membership.channel_id == Channel.id)
            .where(Membership.user_id == user_id).order_by(Channel.name))
        return [channel.to_dict() for channel in rows]

    @rpc
    def on_message_created(self, event):
        """Kafka consumer hook: keep the channel's last activity. Idempotent and
        order-insensitive (only ever moves forward)."""
        message = validated_object(MessageCreated, event).message
        self.db.session.execute(
            update(Channel)
            .where(Channel.id == message.channel_id, Channel.last_message_seq < message.seq)
            .values(last_message_seq=message.seq, last_activity_at=message.created_at))
        self.db.session.commit()
        return {"channel_id": message.channel_id, "seq": message.seq}

    # -- helpers ----------------------------------------------------------
    def _channel(self, channel_id) -> Channel:
        channel = self.db.session.get(Channel, str(channel_id))
        if channel is None:
            raise NotFound("no such channel")
        return channel

    def _visible_channel(self, actor_id, channel_id) -> Channel:
        """A channel the actor may see: any public one, a private one only as a
        member. Private channels stay invisible (404, not 403) to outsiders."""
        channel = self._channel(channel_id)
        if channel.is_private and not self._is_member(channel_id, actor_id):
            raise NotFound("no such channel")
        return channel

    def _member_ids(self, channel_id) -> list[str]:
        return list(self.db.session.scalars(
            select(Membership.user_id).where(Membership.channel_id == str(channel_id))
            .order_by(Membership.joined_at)))

    def _announce_join(self, channel_id, user_id) -> None:
        """Tell the channel's members and the joiner's own sessions."""
        event = Event(type="member.joined", data={"channel_id": channel_id, "user_id": user_id})
        self.realtime(channel_key(channel_id), event)
        self.realtime(user_key(user_id), event)

    def _by_name(self, name):
        return self.db.session.scalars(select(Channel).where(Channel.name == name)).one_or_none()

    def _is_member(self, channel_id, user_id) -> bool:
        return self.db.session.get(Membership, (str(channel_id), str(user_id))) is not None

    def _add_member(self, channel_id, user_id) -> bool:
        result = self.db.session.execute(
            insert(Membership).values(channel_id=channel_id, user_id=user_id,
                                      joined_at=datetime.now().astimezone())
            .on_conflict_do_nothing())
        return result.rowcount == 1
