"""Presence: who is online, away or offline, and who is typing.

Statuses come from the gateways' socket sessions in Redis (store.py): a person
is online while one of their devices is active, away when every device is idle
or they set themselves away, offline when no session is alive. A session lives
while its gateway renews it, so a gateway that dies takes its sessions offline
within ``SESSION_TTL`` seconds; a sweep every few seconds announces those. A
closed socket's session lapses the same way after ``OFFLINE_GRACE`` seconds, not
at once: someone whose connection drops and comes back is never announced
offline, and a thousand sockets reconnecting at once announce nothing.

A change of status is announced once (``presence.changed``) to everyone who
shares a channel or conversation with the person, on the real-time bus: one
publication per channel they are in, which every gateway delivers to the
sockets listening there (a socket hearing it on several channels drops the
repeats by event id). Typing notices go to one channel and expire by
themselves on the clients (``TYPING_EXPIRES``); nothing about typing is stored.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

from nameko.timer import timer

from services.common.dependencies import RealtimeBus, RedisClient, TimedRpcProxy
from services.common.errors import NotFound
from services.common.events import PresenceChanged, Typing, channel_key, keys_around
from services.common.metrics import PEOPLE_ONLINE
from services.common.rpc_entrypoint import rpc
from services.common.service_base import ParleyService
from services.common.validation import validated

from .schemas import Lookup, Manual, Renewal, Session, TypingNotice, Viewing
from .store import OFFLINE_GRACE, SESSION_TTL, PresenceStore  # noqa: F401 (tests, docs)

SWEEP_EVERY = 5            # seconds between looks for lapsed sessions
TYPING_EXPIRES = 6         # seconds a typing notice shows unless repeated


class Service(ParleyService):
    name = "presence"

    redis = RedisClient()
    realtime = RealtimeBus()
    channels = TimedRpcProxy("channels")

    @rpc
    def connect(self, user_id, session_id, state="active"):
        """Record a live socket session, or renew it (the gateway's heartbeat),
        in its current state. Idempotent. Returns the person's status."""
        session = validated(Session, user_id=user_id, session_id=session_id, state=state)
        self.store.open_session(session.user_id, session.session_id, session.state, _now())
        return self._announce(session.user_id)

    @rpc
    def renew(self, sessions):
        """A gateway's heartbeat for all its sockets at once (``[{user_id, session_id,
        state}, …]``, up to 1000): renew each session, announce any status that changed.
        Idempotent. Returns ``{user_id: status}``."""
        renewal = validated(Renewal, sessions=sessions)
        self.store.open_sessions([(s.user_id, s.session_id, s.state) for s in renewal.sessions],
                                 _now())
        found = self.store.statuses(sorted({s.user_id for s in renewal.sessions}))
        return {user_id: status if status == announced else self._announce(user_id)
                for user_id, (status, announced) in found.items()}

    @rpc
    def set_state(self, user_id, session_id, state):
        """A device went idle or came back (``idle`` / ``active``)."""
        return self.connect(user_id, session_id, state)

    @rpc
    def disconnect(self, user_id, session_id):
        """A socket closed. Its session still counts for ``OFFLINE_GRACE`` seconds
        (then the sweep announces what changed), so this rarely changes the status."""
        session = validated(Session, user_id=user_id, session_id=session_id)
        self.store.close_session(session.user_id, session.session_id, _now())
        return self._announce(session.user_id)

    @rpc
    def set_manual(self, user_id, presence):
        """``away``: shown away whatever the devices do; ``auto``: from the devices."""
        data = validated(Manual, user_id=user_id, presence=presence)
        self.store.set_manual(data.user_id, data.presence == "away")
        return self._announce(data.user_id)

    @rpc
    def viewing(self, user_id, session_id, channel_id=None):
        """A device now shows ``channel_id`` (None: no channel, e.g. in the
        background). Kept on the live session, so it lapses with it; the gateway
        sends it when the client says so (a ``view`` frame). Idempotent."""
        data = validated(Viewing, user_id=user_id, session_id=session_id, channel_id=channel_id)
        stored = self.store.set_viewing(data.user_id, data.session_id, data.channel_id)
        return {"session_id": data.session_id, "channel_id": data.channel_id if stored else None,
                "stored": stored}

    @rpc
    def viewers(self, channel_id, user_ids):
        """Which of ``user_ids`` are looking at ``channel_id`` right now on an
        active device (notifications tell them nothing)."""
        ids = validated(Lookup, user_ids=list(user_ids)).user_ids
        return self.store.viewers(str(channel_id), ids)

    @rpc
    def get(self, user_ids):
        """``{user_id: {"status", "last_seen_at"}}`` for each id asked about."""
        ids = list(dict.fromkeys(validated(Lookup, user_ids=list(user_ids)).user_ids))
        return {user_id: {"status": self.store.status(user_id), "last_seen_at": _iso(seen)}
                for user_id, seen in zip(ids, self.store.last_seen(ids))}

    @rpc
    def typing(self, user_id, channel_id, thread_parent_id=None, state="started"):
        """Tell the channel that a member is typing (or stopped). Members only."""
        notice = validated(TypingNotice, user_id=user_id, channel_id=channel_id,
                           thread_parent_id=thread_parent_id, state=state)
        if not self.channels.is_member(notice.channel_id, notice.user_id):
            raise NotFound("no such channel")
        self.realtime(channel_key(notice.channel_id), Typing(data={
            **notice.model_dump(), "expires_in": TYPING_EXPIRES}))
        return {"expires_in": TYPING_EXPIRES}

    @timer(interval=SWEEP_EVERY)
    def sweep(self):
        """Announce people whose last session lapsed (their gateway died, or they
        closed it more than ``OFFLINE_GRACE`` seconds ago), then
        count who is online and away (``parley_people_online``)."""
        for user_id in dict.fromkeys(u for u, _ in self.store.lapsed(_now())):
            self._announce(user_id)
        for status, count in self.store.people_by_status().items():
            PEOPLE_ONLINE.labels(status).set(count)

    # -- helpers ----------------------------------------------------------------
    @property
    def store(self) -> PresenceStore:
        return PresenceStore(self.redis)

    def _announce(self, user_id: str) -> str:
        """The person's status; if it is not what was last announced, announce it
        (to their own devices and every channel they are in)."""
        status, announced = self.store.statuses([user_id])[user_id]
        if status == announced:   # most calls: a heartbeat, a second device, a reconnect
            return status
        self.store.file_status(user_id, status)
        if self.store.swap_announced(user_id, status) != status:  # one racer announces
            (seen,) = self.store.last_seen([user_id])
            event = PresenceChanged(data={"user_id": user_id, "status": status,
                                          "last_seen_at": _iso(seen)})
            self.realtime.many((key, event) for key in
                               keys_around(user_id, self.channels.list_for_user(user_id)))
        return status


def _now() -> float:
    return time.time()


def _iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat() if epoch else None
