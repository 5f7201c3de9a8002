"""Users: the people of the workspace (profiles, avatars, roles, the directory)
and what each has not read yet. Entrypoints only; the rules live in
permissions.py and roles.py, the queries in storage.py."""
from __future__ import annotations

from datetime import timedelta

from nameko_sqlalchemy import Database

from services.common.audit import AuditLogEntrypoints, AuditTrail
from services.common.channel_memory import ChannelMemoryEntrypoints
from services.common.config import get_config
from services.common.dependencies import RealtimeBus, S3Storage, TimedRpcProxy
from services.common.errors import Forbidden, NotFound
from services.common.events import (MessageCreated, UnreadChanged, UserUpdated, keys_around,
                                    user_key)
from services.common.event_batches import EventBatchEntrypoints
from services.common.rpc_entrypoint import rpc
from services.common.service_base import ParleyService
from services.common.validation import validated, validated_object

from . import audit_trail, avatars, permissions, roles, storage, views
from .models import OWNER, AuditEntry, Base
from .roles import SYSTEM
from .schemas import (DirectoryQuery, Ids, ManyIds, NewUser, ProfileChanges, ReadCursor,
                      RoleName)

TOUCH_EVERY = timedelta(seconds=60)


class Service(ParleyService, AuditLogEntrypoints, EventBatchEntrypoints,
              ChannelMemoryEntrypoints):   # channel_memory: channels.member_ids
    name = "users"
    audit_model = AuditEntry

    db = Database(Base)
    files = S3Storage()
    auth = TimedRpcProxy("auth")
    channels = TimedRpcProxy("channels")
    realtime = RealtimeBus()
    audit = AuditTrail(AuditEntry)

    # -- accounts and access ------------------------------------------------------------
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
        return self._view(self._profile(user_id))

    @rpc
    def access(self, user_id):
        """Role and active flag, for services enforcing docs/permissions.md."""
        return views.access(self._profile(user_id))

    @rpc
    def touch(self, user_id):
        """Record that someone is active now; writes at most once a minute."""
        self._touch([validated(Ids, user_id=user_id).user_id])
        return {"user_id": user_id}

    @rpc
    def touch_many(self, user_ids):
        """``touch`` for up to 1,000 people in one call (a gateway's open sockets,
        every heartbeat): one UPDATE instead of an RPC per person."""
        ids = validated(ManyIds, user_ids=user_ids).user_ids
        return {"touched": self._touch(ids) if ids else 0}

    # -- profiles -----------------------------------------------------------------------
    @rpc
    def profile(self, actor_id, user_id):
        """Someone's profile as the actor may see it: anyone's, except that a
        guest sees only people sharing a channel with them."""
        actor = roles.actor(self.db.session, actor_id)
        if user_id != actor.user_id and not permissions.sees_anyone(actor) \
                and not self._share_a_channel(actor.user_id, user_id):
            raise Forbidden("guests see only people they share a channel with")
        return self._view(self._profile(user_id))

    @rpc
    def update_profile(self, actor_id, changes):
        """Change one's own profile; fields not sent stay as they are."""
        values = validated_object(ProfileChanges, changes).values()
        actor = roles.actor(self.db.session, actor_id)
        storage.update_profile(actor, values)
        self.db.session.commit()
        return self._announce_profile(actor)

    @rpc
    def set_avatar(self, actor_id, image_b64):
        """Store one's avatar (the image's bytes, base64) as square PNGs in S3.
        Idempotent: the same image again stores the same objects."""
        data = avatars.decode(image_b64)
        actor = roles.actor(self.db.session, actor_id)
        images = avatars.renditions(data)
        prefix = avatars.key_prefix(actor.user_id, data)
        avatars.store(self.files, prefix, images)
        return self._replace_avatar(actor, prefix)

    @rpc
    def remove_avatar(self, actor_id):
        return self._replace_avatar(roles.actor(self.db.session, actor_id), None)

    @rpc
    def directory(self, actor_id, prefix="", cursor=None, limit=50, include_deactivated=False):
        """People by name prefix (display or full name), a page at a time. Guests
        may not browse it; deactivated people only appear to owners and admins
        who ask for them."""
        query = validated(DirectoryQuery, prefix=prefix, cursor=cursor, limit=limit,
                          include_deactivated=include_deactivated)
        permissions.check_directory(roles.actor(self.db.session, actor_id),
                                    query.include_deactivated)
        return self._page(query)

    # -- roles and deactivation ---------------------------------------------------------
    @rpc
    def set_role(self, actor_id, user_id, role):
        return self._change(actor_id, user_id, role=validated(RoleName, role=role).role)

    @rpc
    def deactivate(self, actor_id, user_id):
        """Deactivate someone: they cannot sign in and their sessions end (auth).
        Safe to repeat: a repeat tells auth again."""
        return self._change(actor_id, user_id, active=False)

    @rpc
    def reactivate(self, actor_id, user_id):
        return self._change(actor_id, user_id, active=True)

    # -- unread and mention counters ----------------------------------------------------
    @rpc
    def unread_counts(self, user_id):
        return storage.unread_counts(self.db.session, user_id)

    @rpc
    def reset_unread(self, user_id, channel_id, seq):
        """The channels service moved someone's read cursor: zero their counters
        there and tell their devices (``unread.changed``), which count on from the
        new cursor. Internal (the caller checked membership); the cursor only moves
        forward, so a late or repeated call changes and announces nothing."""
        cursor = validated(ReadCursor, user_id=user_id, channel_id=channel_id, seq=seq)
        after = storage.reset_unread(self.db.session, cursor.user_id, cursor.channel_id,
                                     cursor.seq)
        self.db.session.commit()
        if after is not None:
            self.realtime(user_key(cursor.user_id),
                          UnreadChanged(data={"channel_id": cursor.channel_id, **after}))
        return self.unread_counts(cursor.user_id).get(cursor.channel_id)

    @rpc
    def on_message_created(self, event):
        """Kafka consumer hook: +1 unread (and +1 mention when named, @channel or
        @here) for every other member. Nothing is announced: the members' clients
        count the message themselves when it reaches them (docs/api/websocket.md,
        "Unread counts"). Idempotent by message id: the id is recorded in the same
        transaction as the counts."""
        message = validated_object(MessageCreated, event).message
        members = self.channel_memory.get(
            message.channel_id, lambda: self.channels.member_ids(message.channel_id))
        session = self.db.session
        if not storage.claim_message(session, message.id):
            self.commit_event()   # nothing written: only ends the transaction
            return {"message_id": message.id, "counted": False}
        storage.count_message(session, message, members)
        self.commit_event()
        return {"message_id": message.id, "counted": True}

    # -- admin jobs (`nameko shell`, acting as the system) ------------------------------
    @rpc
    def admin_create_user(self, email, password, display_name, role=None):
        """Create an account, with ``role`` or else the workspace's default: the first
        account is its owner, every later one a member (as a sign-up). Idempotent
        for the same email and password."""
        data = validated(NewUser, email=email, display_name=display_name, role=role)
        if data.role not in (None, OWNER) and storage.workspace_is_empty(self.db.session):
            raise Forbidden("the first account of a workspace is its owner: create it "
                            "without a role or as owner")
        account = self.auth.register(data.email, password, data.display_name)
        profile = self.ensure_profile(account["user_id"], account["email"], data.display_name)
        if data.role is None:
            return profile
        return self._change(SYSTEM, account["user_id"], role=data.role)

    @rpc
    def admin_set_role(self, user, role):
        """``user``: a user id or an email address."""
        return self._change(SYSTEM, self._find(user), role=validated(RoleName, role=role).role)

    @rpc
    def admin_deactivate(self, user):
        return self._change(SYSTEM, self._find(user), active=False)

    @rpc
    def admin_reactivate(self, user):
        return self._change(SYSTEM, self._find(user), active=True)

    @rpc
    def admin_list_users(self, prefix="", limit=50, cursor=None):
        """Everyone (deactivated people too) whose name starts with ``prefix``."""
        query = validated(DirectoryQuery, prefix=prefix, cursor=cursor, limit=limit,
                          include_deactivated=True)
        return self._page(query)["users"]

    # -- the audit log (docs/audit.md; its RPCs: AuditLogEntrypoints) -------------------
    def reader_access(self, actor_id):
        """The reader must exist and be active (else ``forbidden``)."""
        return views.access(roles.actor(self.db.session, actor_id))

    # -- helpers ----------------------------------------------------------
    def _announce_profile(self, profile) -> dict:
        """After the commit: ``user.updated`` with the profile as others see it, to the
        person's devices and everyone sharing a conversation with them (a status or a
        new name shows at once, not on the next reload). Returns the view."""
        view = self._view(profile)
        event = UserUpdated(data=view)
        self.realtime.many((key, event) for key in
                           keys_around(profile.user_id, self.channels.list_for_user(profile.user_id)))
        return view

    def _touch(self, user_ids: list[str]) -> int:
        touched = storage.touch(self.db.session, user_ids, storage.now(), TOUCH_EVERY)
        self.db.session.commit()
        return touched

    def _profile(self, user_id):
        profile = storage.get_profile(self.db.session, user_id)
        if profile is None:
            raise NotFound("no such user")
        return profile

    def _find(self, user):
        user = str(user)
        profile = (storage.profile_by_email(self.db.session, user) if "@" in user
                   else storage.get_profile(self.db.session, user))
        if profile is None:
            raise NotFound(f"no such user: {user}")
        return profile.user_id

    def _view(self, profile):
        ttl = int(get_config()["s3.presign_seconds"])
        return views.profile(profile, avatars.urls(self.files, profile.avatar_key, ttl))

    def _page(self, query):
        people, next_cursor = storage.directory_page(
            self.db.session, query.prefix, query.cursor, query.limit, query.include_deactivated)
        return {"users": [self._view(p) for p in people], "next_cursor": next_cursor}

    def _change(self, actor_id, user_id, role=None, active=None):
        """Apply a role or activity change, then tell auth about activity (after the
        commit, so that no lock is held during the call; a retry repeats both)."""
        profile, before = roles.change(self.db.session, actor_id, user_id, role=role,
                                       active=active)
        if before is not None:
            audit_trail.changed(self.audit, self.db.session, actor_id, profile, *before)
        self.db.session.commit()
        if active is not None:
            if active:
                self.auth.reactivate(profile.user_id)
            else:
                self.auth.deactivate(profile.user_id)
        return self._view(profile)

    def _replace_avatar(self, actor, prefix):
        old = actor.avatar_key
        actor.avatar_key = prefix
        self.db.session.commit()
        if old and old != prefix:
            avatars.remove(self.files, old)
        return self._announce_profile(actor)

    def _share_a_channel(self, user_id, other_id) -> bool:
        mine = {c["id"] for c in self.channels.list_for_user(user_id)}
        return any(c["id"] in mine for c in self.channels.list_for_user(other_id))
