"""The notifications service's queries (its PostgreSQL database, portable to SQLite
for unit tests)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from .models import Attempt, Digest, Notification, Preference, PushSubscription, Settings
from .schemas import DEFAULT_LEVEL


def now() -> datetime:
    return datetime.now(timezone.utc)


class MemberSettings(NamedTuple):
    """A person's delivery settings as read (``Settings``'s columns), or the defaults
    for someone who never changed any. A plain tuple: a message into a channel reads
    every member's, and building an ORM object for each of hundreds of members had
    cost 10.8 ms of CPU per 500 (2.1 ms as tuples; bench/notification_records.py)."""

    user_id: str
    push_enabled: bool = True
    email_enabled: bool = True
    previews: bool = True
    keywords: list | None = None
    dnd_start: str | None = None
    dnd_end: str | None = None

    def to_dict(self) -> dict:
        return {"push_enabled": bool(self.push_enabled), "email_enabled": bool(self.email_enabled),
                "previews": bool(self.previews), "keywords": list(self.keywords or []),
                "quiet_hours": ({"start": self.dnd_start, "end": self.dnd_end}
                                if self.dnd_start and self.dnd_end else None)}


SETTINGS_COLUMNS = [getattr(Settings, name) for name in MemberSettings._fields]


class Store:
    def __init__(self, session: Session):
        self.session = session

    # -- preferences and settings ----------------------------------------------------
    def levels(self, user_ids: list[str], channel_id: str) -> dict[str, str]:
        """Each person's level for a channel from their preferences: the channel's
        own, else their default (``*``), else ``mentions``."""
        rows = self.session.execute(
            select(Preference.user_id, Preference.channel_id, Preference.level)
            .where(Preference.user_id.in_(user_ids), Preference.channel_id.in_([channel_id, "*"])))
        found: dict[str, dict[str, str]] = {}
        for user_id, channel, level in rows:
            found.setdefault(user_id, {})[channel] = level
        return {u: found.get(u, {}).get(channel_id) or found.get(u, {}).get("*") or DEFAULT_LEVEL
                for u in user_ids}

    def preferences(self, user_id: str) -> dict[str, str]:
        return {row.channel_id: row.level for row in self.session.scalars(
            select(Preference).where(Preference.user_id == user_id))}

    def settings(self, user_ids: list[str]) -> dict[str, MemberSettings]:
        rows = {row.user_id: MemberSettings(*row) for row in self.session.execute(
            select(*SETTINGS_COLUMNS).where(Settings.user_id.in_(user_ids)))}
        return {u: rows.get(u) or MemberSettings(u) for u in user_ids}

    def update_settings(self, user_id: str, changes: dict) -> None:
        if not changes:
            return
        self.session.execute(insert(Settings).values(user_id=user_id, **changes)
                             .on_conflict_do_update(index_elements=[Settings.user_id],
                                                    set_=changes))

    def set_level(self, user_id: str, channel_id: str, level: str) -> None:
        self.session.execute(
            insert(Preference).values(user_id=user_id, channel_id=channel_id, level=level)
            .on_conflict_do_update(index_elements=[Preference.user_id, Preference.channel_id],
                                   set_={"level": level}))

    # -- push subscriptions ------------------------------------------------------------
    def subscribe(self, user_id: str, endpoint: str, p256dh: str, auth: str,
                  user_agent: str) -> PushSubscription:
        """One row per endpoint: subscribing again (or from another account on the
        same browser) takes the endpoint over with its new keys."""
        values = {"user_id": user_id, "p256dh": p256dh, "auth": auth, "user_agent": user_agent}
        self.session.execute(
            insert(PushSubscription).values(id=uuid.uuid4().hex, endpoint=endpoint, **values)
            .on_conflict_do_update(index_elements=[PushSubscription.endpoint], set_=values))
        return self.session.scalars(
            select(PushSubscription).where(PushSubscription.endpoint == endpoint)).one()

    def subscriptions(self, user_id: str) -> list[PushSubscription]:
        return self.subscriptions_of([user_id])[user_id]

    def subscriptions_of(self, user_ids: list[str]) -> dict[str, list[PushSubscription]]:
        """Each person's devices, oldest first, for these people at once."""
        devices: dict[str, list[PushSubscription]] = {user_id: [] for user_id in user_ids}
        for device in self.session.scalars(
                select(PushSubscription).where(PushSubscription.user_id.in_(user_ids))
                .order_by(PushSubscription.created_at, PushSubscription.id)):
            devices[device.user_id].append(device)
        return devices

    def remove_subscription(self, user_id: str | None, subscription_id: str) -> bool:
        query = delete(PushSubscription).where(PushSubscription.id == subscription_id)
        if user_id is not None:
            query = query.where(PushSubscription.user_id == user_id)
        return self.session.execute(query).rowcount > 0

    def push_succeeded(self, subscription_id: str) -> None:
        self.session.execute(update(PushSubscription)
                             .where(PushSubscription.id == subscription_id)
                             .values(last_success_at=now()))

    # -- notifications -------------------------------------------------------------------
    def record(self, message_id: str, channel_id: str, seq: int,
               decisions: list[tuple[str, str, str, dict]]) -> list[tuple[str, str]]:
        """A message's decisions ``(user_id, kind, reason, content)``, each once: the
        ``(user_id, kind)`` of those recorded now, not those already on record (a
        replay). One statement for them all, its rows sent as multi-row VALUES pages
        (SQLAlchemy's "insertmanyvalues"): an @channel into 500 members cost 344 ms of
        CPU with a statement per decision, 18 ms so (docs/performance.md, "Recording
        notification decisions")."""
        if not decisions:
            return []
        rows = [dict(message_id=message_id, user_id=user_id, kind=kind, channel_id=channel_id,
                     seq=seq, reason=reason, status="pending", attempts=0, last_error="",
                     content=content)
                for user_id, kind, reason, content in decisions]
        return [tuple(row) for row in self.session.execute(
            insert(Notification)
            .on_conflict_do_nothing(index_elements=[Notification.message_id,
                                                    Notification.user_id, Notification.kind])
            .returning(Notification.user_id, Notification.kind), rows)]

    def claim_pushes(self, message_ids: list[str]) -> list[Notification]:
        """The messages' pending pushes, each now ``sending`` and claimed by this
        caller only, in the order they were recorded: one conditional update for them
        all (a row another caller claimed first is no longer pending)."""
        if not message_ids:
            return []
        claimed = self.session.scalars(
            update(Notification)
            .where(Notification.message_id.in_(message_ids), Notification.kind == "push",
                   Notification.status == "pending")
            .values(status="sending").returning(Notification))
        return sorted(claimed, key=lambda notification: notification.id)

    def stalled_pushes(self, before: datetime, since: datetime) -> list[str]:
        """Messages with pushes recorded between ``since`` and ``before`` and never claimed."""
        return list(self.session.scalars(
            select(Notification.message_id).where(Notification.kind == "push",
                                                  Notification.status == "pending",
                                                  Notification.created_at <= before,
                                                  Notification.created_at >= since)
            .distinct().limit(100)))

    def finish(self, notification: Notification, status: str, attempts: int = 0,
               error: str = "", digest_id: int | None = None) -> None:
        notification.status = status
        notification.attempts = (notification.attempts or 0) + attempts
        notification.last_error = error[:500]
        notification.done_at = now()
        if digest_id is not None:
            notification.digest_id = digest_id

    def attempt(self, outcome: str, notification_id: int | None = None,
                digest_id: int | None = None, subscription_id: str | None = None,
                status_code: int | None = None, error: str = "") -> None:
        self.session.add(Attempt(notification_id=notification_id, digest_id=digest_id,
                                 subscription_id=subscription_id, outcome=outcome,
                                 status_code=status_code, error=error[:500]))

    def notifications_of(self, message_id: str) -> list[Notification]:
        return list(self.session.scalars(select(Notification).where(
            Notification.message_id == message_id).order_by(Notification.id)))

    # -- email digests ---------------------------------------------------------------------
    def due_email_users(self, older_than: datetime,
                        user_ids: list[str] | None = None) -> list[str]:
        """Everyone with an email pending since before ``older_than``, whose
        waited longest first (a sweep takes the offline ones among them in turn)."""
        query = select(Notification.user_id).where(Notification.kind == "email",
                                                   Notification.status == "pending",
                                                   Notification.created_at <= older_than)
        if user_ids is not None:
            query = query.where(Notification.user_id.in_([str(u) for u in user_ids]))
        rows = self.session.execute(query.group_by(Notification.user_id)
                                    .order_by(func.min(Notification.created_at),
                                              Notification.user_id))
        return [user_id for (user_id,) in rows]

    def pending_emails(self, user_id: str) -> int:
        return len(list(self.session.scalars(select(Notification.id).where(
            Notification.user_id == user_id, Notification.kind == "email",
            Notification.status == "pending"))))

    def claim_emails(self, user_id: str) -> list[Notification]:
        """A person's pending emails, locked for this caller (another instance's
        sweep skips them), oldest first."""
        return list(self.session.scalars(
            select(Notification).where(and_(Notification.user_id == user_id,
                                            Notification.kind == "email",
                                            Notification.status == "pending"))
            .order_by(Notification.created_at, Notification.id)
            .with_for_update(skip_locked=True)))

    def new_digest(self, user_id: str, count: int) -> Digest:
        digest = Digest(user_id=user_id, status="sending", message_count=count)
        self.session.add(digest)
        self.session.flush()
        return digest

    def digests_of(self, user_id: str) -> list[Digest]:
        return list(self.session.scalars(select(Digest).where(Digest.user_id == user_id)
                                         .order_by(Digest.id)))


def older_than(seconds: float) -> datetime:
    return now() - timedelta(seconds=seconds)
