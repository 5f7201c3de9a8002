"""Channels: where conversations happen, who is in them, and how far each has read.

Entrypoints only: inputs are validated by ``schemas``, permissions decided by
``policy`` (docs/permissions.md), queries in ``store``, real-time events built by
``announcements``. Every entrypoint that writes checks everything first, commits
once, then announces; a repeat of the same call changes nothing and announces
nothing (RPC delivery is at least once).
"""
from __future__ import annotations

from nameko.events import EventDispatcher
from nameko_sqlalchemy import Database

from services.common.audit import AuditLogEntrypoints, AuditTrail
from services.common.dependencies import RealtimeBus, TimedRpcProxy
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.events import AUDIENCE_CHANGED, MessageCreated
from services.common.event_batches import EventBatchEntrypoints
from services.common.rpc_entrypoint import rpc
from services.common.service_base import ParleyService
from services.common.validation import validated, validated_object

from . import announcements, audit_trail, policy
from .models import AuditEntry, Base, Channel, Membership
from .schemas import (MAX_GROUP, ChannelChanges, Cursor, DirectoryQuery, NewChannel,
                      NotificationSettings, Page, People, ReceiptsQuery)
from .store import Cursors, Store, now


class Service(ParleyService, AuditLogEntrypoints, EventBatchEntrypoints):
    name = "channels"
    audit_model = AuditEntry

    db = Database(Base)
    realtime = RealtimeBus()
    dispatch = EventDispatcher()   # to other services (audience_changed)
    users = TimedRpcProxy("users")
    audit = AuditTrail(AuditEntry)

    # -- channels -----------------------------------------------------------------
    @rpc
    def create(self, actor_id, name, is_private=False, topic="", purpose=""):
        """Create a public or private channel with its creator as first member.
        Idempotent: the creator asking again for the same name gets the same channel;
        the name taken by someone else is a conflict."""
        data = validated(NewChannel, name=name, is_private=is_private, topic=topic,
                         purpose=purpose)
        policy.check_create(self._actor(actor_id))
        channel, created = self.store.insert_channel(actor_id, data.name, data.is_private,
                                                     data.topic, data.purpose)
        if not created and channel.created_by != actor_id:
            raise Conflict(f"a channel named {data.name!r} already exists")
        joined = created and self.store.add_member(channel.id, actor_id)
        self._commit(announcements.member_joined(channel.id, actor_id) if joined else [])
        return self._view(channel, actor_id)

    @rpc
    def get(self, actor_id, channel_id):
        """A channel the actor may see, with their own membership (or None)."""
        _, channel, _ = self._load(actor_id, channel_id)
        return self._view(channel, actor_id)

    @rpc
    def update(self, actor_id, channel_id, name=None, topic=None, purpose=None):
        """Rename, set the topic, set the purpose: only the fields given change."""
        changes = validated(ChannelChanges, name=name, topic=topic, purpose=purpose).given()
        if not changes:
            raise InvalidInput("give a name, topic or purpose to change")
        actor, channel, membership = self._load(actor_id, channel_id)
        policy.check_update(actor, channel, membership is not None, set(changes))
        changed = {k: v for k, v in changes.items() if getattr(channel, k) != v}
        if "name" in changed and self.store.rename_would_clash(channel.id, changed["name"]):
            raise Conflict(f"a channel named {changed['name']!r} already exists")
        return self._change(channel, changed, actor_id)

    @rpc
    def archive(self, actor_id, channel_id):
        """Make a channel read-only. Archiving an archived channel changes nothing."""
        actor, channel, membership = self._load(actor_id, channel_id)
        policy.check_archive(actor, channel, membership is not None)
        changes = {} if channel.archived else {"archived_at": now(), "archived_by": actor_id}
        return self._change(channel, changes, actor_id)

    @rpc
    def unarchive(self, actor_id, channel_id):
        actor, channel, membership = self._load(actor_id, channel_id)
        policy.check_archive(actor, channel, membership is not None)
        changes = {"archived_at": None, "archived_by": None} if channel.archived else {}
        return self._change(channel, changes, actor_id)

    @rpc
    def list_for_user(self, user_id):
        """The channels and conversations someone is in, each with their membership
        (read cursor, notification level). Also what a socket listens to."""
        rows = self.store.channels_of(user_id)
        counts = self.store.member_counts([channel.id for channel, _ in rows])
        return [{**channel.to_dict(counts.get(channel.id, 0)), "membership": mine.to_dict()}
                for channel, mine in rows]

    @rpc
    def directory(self, actor_id, prefix="", cursor=None, limit=50, include_archived=False):
        """Channels the actor may find, by name prefix: public ones (for a guest only
        those they are in) and private ones they are in. One page per call."""
        query = validated(DirectoryQuery, prefix=prefix, cursor=cursor, limit=limit,
                          include_archived=include_archived)
        actor = self._actor(actor_id)
        rows, next_cursor = self.store.directory(actor_id, actor.is_guest, query.prefix,
                                                 query.include_archived, query.cursor,
                                                 query.limit)
        return {"channels": self._views(rows, actor_id), "next_cursor": next_cursor}

    # -- membership ---------------------------------------------------------------
    @rpc
    def join(self, actor_id, channel_id):
        """Join a public channel. Idempotent."""
        actor, channel, membership = self._load(actor_id, channel_id)
        if membership is None:
            policy.check_join(actor, channel)
        joined = membership is None and self.store.add_member(channel.id, actor_id)
        self._commit(announcements.member_joined(channel.id, actor_id) if joined else [])
        return {"channel_id": channel.id, "user_id": actor_id, "joined": joined}

    @rpc
    def leave(self, actor_id, channel_id):
        """Leave a channel or group DM (not a 1:1 DM). Idempotent."""
        actor, channel, membership = self._load(actor_id, channel_id)
        if membership is not None:
            policy.check_leave(channel)
        left = membership is not None and self.store.remove_member(channel.id, actor_id)
        self._commit(announcements.member_left(channel.id, actor_id) if left else [])
        return {"channel_id": channel.id, "user_id": actor_id, "left": left}

    @rpc
    def invite(self, actor_id, channel_id, user_ids):
        """Add one or several people. Idempotent: people already in are listed apart."""
        people = validated(People, user_ids=user_ids).user_ids
        actor, channel, membership = self._load(actor_id, channel_id)
        policy.check_invite(actor, channel, membership is not None)
        self._check_people_exist(people)
        added = [person for person in people if self.store.add_member(channel.id, person)]
        self._commit([a for person in added
                      for a in announcements.member_joined(channel.id, person)])
        return {"channel_id": channel.id, "added": added,
                "already_members": [person for person in people if person not in added]}

    @rpc
    def remove(self, actor_id, channel_id, user_id):
        """Take someone out of a channel (oneself: the same as leaving). Idempotent."""
        if str(user_id) == str(actor_id):
            left = self.leave(actor_id, channel_id)
            return {"channel_id": left["channel_id"], "user_id": actor_id,
                    "removed": left["left"]}
        actor, channel, membership = self._load(actor_id, channel_id)
        policy.check_remove(actor, channel, membership is not None)
        removed = self.store.remove_member(channel.id, str(user_id))
        if removed:
            audit_trail.member_removed(self.audit, self.db.session, actor_id, channel,
                                       str(user_id))
        self._commit(announcements.member_left(channel.id, str(user_id), removed_by=actor_id)
                     if removed else [])
        return {"channel_id": channel.id, "user_id": str(user_id), "removed": removed}

    @rpc
    def members(self, actor_id, channel_id, cursor=None, limit=100):
        """Who is in a channel, in order of joining, one page per call."""
        page = validated(Page, cursor=cursor, limit=limit)
        _, channel, _ = self._load(actor_id, channel_id)
        user_ids, next_cursor = self.store.member_page(channel.id, page.cursor, page.limit)
        return {"members": user_ids, "next_cursor": next_cursor}

    # -- direct messages ----------------------------------------------------------
    @rpc
    def open_dm(self, actor_id, user_ids):
        """The DM (one other person) or group DM (up to 8 people, the opener included)
        of exactly these people: found, or created with all of them in it. The
        opener, if they had left a group DM, is back in it."""
        people = sorted(set(validated(People, user_ids=user_ids).user_ids) | {str(actor_id)})
        if len(people) < 2:
            raise InvalidInput("a conversation needs at least one other person")
        if len(people) > MAX_GROUP:
            raise InvalidInput(f"a group DM has at most {MAX_GROUP} people, you included")
        actor = self._actor(actor_id)
        others = [person for person in people if person != actor_id]
        self._check_people_exist(others)
        policy.check_open_conversation(
            actor, all(self.store.share_a_channel(actor_id, other) for other in others))
        channel, created = self.store.insert_conversation(actor_id, people)
        arrivals = [p for p in (people if created else [actor_id])
                    if self.store.add_member(channel.id, p)]
        self._commit([a for person in arrivals
                      for a in announcements.member_joined(channel.id, person)])
        return {**self._view(channel, actor_id), "created": created}

    # -- a member's own settings ---------------------------------------------------
    @rpc
    def mark_read(self, actor_id, channel_id, seq):
        """Move the actor's read cursor forward to ``seq`` (never back), and their
        delivered cursor with it (what was read was delivered), then reset their
        unread counters in the users service. Safely repeatable: a retry after the
        users call failed resets them."""
        seq = validated(Cursor, seq=seq).seq
        channel, _ = self._own_membership(actor_id, channel_id)
        cursors, moved = self.store.move_cursors(channel.id, actor_id, seq, read=True)
        self._commit(self._receipt(channel, actor_id, cursors) if moved else [])
        counters = self.users.reset_unread(actor_id, channel.id, cursors.read) or {}
        return {**counters, **self._cursors(channel, cursors)}

    @rpc
    def mark_delivered(self, actor_id, channel_id, seq):
        """One of the actor's devices got the channel's messages up to ``seq``: move
        their delivered cursor there if that is forward. A ``seq`` beyond the
        newest message the channel has counted (``last_message_seq``, fed from
        Kafka, so it may trail a message just sent by a moment) is clamped to it:
        ``delivered_seq`` in the answer is where the cursor is, and the caller asks
        again once the count has caught up. Idempotent; in DMs and group DMs a move
        is announced (``receipt``)."""
        seq = validated(Cursor, seq=seq).seq
        channel, _ = self._own_membership(actor_id, channel_id)
        cursors, moved = self.store.move_cursors(
            channel.id, actor_id, min(seq, channel.last_message_seq or 0), read=False)
        self._commit(self._receipt(channel, actor_id, cursors) if moved else [])
        return self._cursors(channel, cursors)

    @rpc
    def receipts(self, actor_id, channel_id, seq, sender_id=None):
        """Who has message ``seq``: the members other than its sender (default: the
        asker), as counts, and in DMs and group DMs also per person. Members only."""
        query = validated(ReceiptsQuery, seq=seq, sender_id=sender_id)
        _, channel, membership = self._load(actor_id, channel_id)
        policy.check_receipts(membership is not None)
        sender = query.sender_id or str(actor_id)
        answer = {"channel_id": channel.id, "kind": channel.kind, "seq": query.seq,
                  "recipients": None}
        if not channel.is_conversation:
            return {**answer, "counts": self.store.receipt_counts(channel.id, sender, query.seq)}
        recipients = [{"user_id": user_id, "delivered": cursors.delivered >= query.seq,
                       "seen": cursors.read >= query.seq, "delivered_seq": cursors.delivered,
                       "read_seq": cursors.read}
                      for user_id, cursors in self.store.cursors_of_others(channel.id, sender)]
        counts = {"members": len(recipients),
                  "delivered": sum(r["delivered"] for r in recipients),
                  "seen": sum(r["seen"] for r in recipients)}
        return {**answer, "counts": counts, "recipients": recipients}

    @rpc
    def set_notifications(self, actor_id, channel_id, level=None, muted=None):
        """The actor's notification level (all, mentions, nothing) and mute."""
        settings = validated(NotificationSettings, level=level, muted=muted).given()
        if not settings:
            raise InvalidInput("give a level or muted to change")
        channel, membership = self._own_membership(actor_id, channel_id)
        renamed = {("notification_level" if k == "level" else k): v for k, v in settings.items()}
        self.store.set_member_settings(membership, renamed)
        self._commit([], audience_of={"channel_id": channel.id, "user_id": actor_id})
        return {"channel_id": channel.id, **membership.to_dict()}

    # -- for other services (no actor, no permission check) ------------------------------
    @rpc
    def is_member(self, channel_id, user_id):
        return self.store.membership(channel_id, user_id) is not None

    @rpc
    def can_post(self, channel_id, user_id):
        """A member of a channel that is not archived."""
        return self.store.may_post(channel_id, user_id)

    @rpc
    def posters(self, channel_id):
        """Everyone who may post in a channel: its members, none when it is archived
        or unknown (what messaging remembers, services/messaging/posting_rights.py)."""
        return self.store.posters(channel_id)

    @rpc
    def member_ids(self, channel_id):
        """Everyone in a channel, for other services (no visibility check)."""
        self._channel(channel_id)
        return self.store.member_ids(channel_id)

    @rpc
    def audience(self, channel_id):
        """A channel and everyone in it with their notification level and mute,
        for the notifications service (no visibility check)."""
        channel = self._channel(channel_id)
        members = self.store.member_settings(channel.id)
        return {"channel": channel.to_dict(len(members)),
                "members": [{"user_id": m.user_id, **m.to_dict()} for m in members]}

    @rpc
    def on_message_created(self, event):
        """Kafka consumer hook: count the message and keep the last activity.
        Idempotent by message id; insensitive to order."""
        message = validated_object(MessageCreated, event).message
        counted = self.store.apply_message(message)
        self.commit_event()
        return {"channel_id": message.channel_id, "seq": message.seq, "counted": counted}

    # -- admins, through `nameko shell` (the system acts: no permission check) -------------
    @rpc
    def admin_list_channels(self, prefix="", include_archived=True):
        query = validated(DirectoryQuery, prefix=prefix, include_archived=include_archived)
        return self._views(self.store.all_channels(query.prefix, query.include_archived))

    @rpc
    def admin_archive(self, channel_id_or_name):
        channel = self._channel_by_id_or_name(channel_id_or_name)
        policy.check_system_change(channel)
        changes = {} if channel.archived else {"archived_at": now(), "archived_by": None}
        return self._change(channel, changes, None)

    @rpc
    def admin_add_member(self, channel_id_or_name, user_id):
        channel = self._channel_by_id_or_name(channel_id_or_name)
        policy.check_system_add(channel)
        self._check_people_exist([str(user_id)])
        added = self.store.add_member(channel.id, str(user_id))
        if added:
            audit_trail.member_added(self.audit, self.db.session, None, channel, str(user_id))
        self._commit(announcements.member_joined(channel.id, str(user_id)) if added else [])
        return {"channel_id": channel.id, "user_id": str(user_id), "added": added}

    # -- the audit log (docs/audit.md; its RPCs: AuditLogEntrypoints) ------------------
    def reader_access(self, actor_id):
        return self.users.access(str(actor_id))

    # -- helpers ------------------------------------------------------------------
    @property
    def store(self) -> Store:
        return Store(self.db.session)

    def _actor(self, actor_id) -> policy.Actor:
        return policy.actor_from_access(self.users.access(str(actor_id)))

    def _channel(self, channel_id) -> Channel:
        channel = self.store.channel(channel_id)
        if channel is None:
            raise NotFound("no such channel")
        return channel

    def _channel_by_id_or_name(self, id_or_name) -> Channel:
        channel = self.store.by_id_or_name(str(id_or_name))
        if channel is None:
            raise NotFound("no such channel")
        return channel

    def _load(self, actor_id, channel_id) -> tuple[policy.Actor, Channel, Membership | None]:
        """The acting person (deactivated: forbidden), the channel and their
        membership in it (or None). A channel they may not see is not_found, like
        one that does not exist, whatever they came to do with it."""
        channel = self._channel(channel_id)
        actor = self._actor(actor_id)
        membership = self.store.membership(channel.id, actor_id)
        policy.check_see(actor, channel, membership is not None)
        return actor, channel, membership

    def _own_membership(self, actor_id, channel_id) -> tuple[Channel, Membership]:
        """The channel and the actor's membership, which they are changing: members only."""
        _, channel, membership = self._load(actor_id, channel_id)
        policy.check_own_settings(membership is not None)
        return channel, membership

    @staticmethod
    def _cursors(channel: Channel, cursors: Cursors) -> dict:
        return {"channel_id": channel.id, "read_seq": cursors.read,
                "delivered_seq": cursors.delivered}

    @staticmethod
    def _receipt(channel: Channel, user_id, cursors: Cursors) -> list:
        return announcements.receipt(channel, str(user_id), cursors.delivered, cursors.read)

    def _check_people_exist(self, user_ids: list[str]) -> None:
        for user_id in user_ids:
            policy.check_addable(self.users.access(user_id))

    def _change(self, channel: Channel, changes: dict, actor_id) -> dict:
        """Apply changes to a channel's own fields, commit, announce channel.updated;
        no changes: nothing happens."""
        if changes:
            audit_trail.channel_changed(self.audit, self.db.session, actor_id, channel, changes)
            self.store.change(channel, changes)
            changed = sorted({"archived_at" if k == "archived_by" else k for k in changes})
            self._commit(announcements.channel_updated(
                self._views([channel])[0], changed, actor_id))
        return self._view(channel, actor_id)

    def _commit(self, announcements_: list, audience_of: dict | None = None) -> None:
        """Commit, then tell the bus: nobody hears of a change that did not happen.
        A change of who is in a channel, of the channel, or of someone's settings in it
        (``audience_of``: ``{"channel_id", "user_id"}``) is told to the services that
        remember them (services/common/channel_memory.py), once per change."""
        self.db.session.commit()
        changes = [audience_of] if audience_of else []
        self.realtime.many(announcements_)
        for _, event in announcements_:
            changed = announcements.audience_changed(event)
            if changed is not None and changed not in changes:
                changes.append(changed)
        for changed in changes:
            self.dispatch(AUDIENCE_CHANGED, changed)

    def _views(self, channels: list[Channel], viewer=None) -> list[dict]:
        counts = self.store.member_counts([channel.id for channel in channels])
        mine = self.store.memberships_of(viewer, [c.id for c in channels]) if viewer else {}
        views = []
        for channel in channels:
            view = channel.to_dict(counts.get(channel.id, 0))
            if viewer is not None:
                membership = mine.get(channel.id)
                view["membership"] = membership.to_dict() if membership else None
            views.append(view)
        return views

    def _view(self, channel: Channel, viewer=None) -> dict:
        return self._views([channel], viewer)[0]
