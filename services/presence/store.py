"""Presence's Redis keys and the one rule that turns sessions into a status.

- ``presence:session:<sid>``: hash ``{user, state}`` (``active`` or ``idle``),
  ``viewing`` (the channel the device shows, when it said so) and ``closed`` (its
  socket has closed), with a time-to-live the gateway's heartbeat renews; a gateway
  that dies lets it lapse. A socket that closes cuts it to ``OFFLINE_GRACE``: a
  device that drops and comes back (a network change, a gateway restart, a
  reconnect storm) never shows its person offline and nobody is told anything; one
  that stays away lapses, and the sweep announces it.
- ``presence:user:<uid>``: the set of that person's session ids.
- ``presence:expiries``: sorted set ``"<uid> <sid>"`` → when the session lapses, so
  that a sweep can announce people whose last session lapsed (Redis expiry itself
  tells nobody).
- ``presence:status:<uid>``: the status last announced; swapping it atomically
  (GETSET) decides who announces a change, so each change is announced once.
- ``presence:last_seen:<uid>``: when the person was last connected (epoch s).
- ``presence:manual:<uid>``: ``away`` when the person set themselves away.
- ``presence:people:online``, ``presence:people:away``: sets of the people last
  found in that status, so that counting them (``parley_people_online``) is one
  SCARD each, not a look at every session.
"""
from __future__ import annotations

SESSION_TTL = 60           # seconds; the gateway renews every 20
OFFLINE_GRACE = 10         # seconds a closed session still counts, so a reconnect is no change
LAST_SEEN_TTL = 90 * 86400
STATUSES = ("online", "away", "offline")


def session_key(session_id: str) -> str:
    return f"presence:session:{session_id}"


def user_key(user_id: str) -> str:
    return f"presence:user:{user_id}"


def status_key(user_id: str) -> str:
    return f"presence:status:{user_id}"


def last_seen_key(user_id: str) -> str:
    return f"presence:last_seen:{user_id}"


def manual_key(user_id: str) -> str:
    return f"presence:manual:{user_id}"


EXPIRIES = "presence:expiries"
COUNTED = ("online", "away")   # the statuses counted in parley_people_online


def people_key(status: str) -> str:
    return f"presence:people:{status}"


def aggregate(sessions: list[tuple[str | None, bool]], manual: str | None,
              announced: str | None = None) -> str:
    """One status from a person's sessions ``(state, closed)`` (state None: lapsed),
    their own setting and the status last announced: offline without a live
    session, else away if they said so or every open device is idle, else online.
    Closed sessions in their grace decide nothing: while only they are left, the
    status stays what was last announced."""
    live = [(state, closed) for state, closed in sessions if state is not None]
    if not live:
        return "offline"
    if manual == "away":
        return "away"
    open_states = [state for state, closed in live if not closed]
    if not open_states and announced in ("online", "away"):
        return announced
    return "online" if "active" in (open_states or [state for state, _ in live]) else "away"


class PresenceStore:
    def __init__(self, redis):
        self.redis = redis

    def open_session(self, user_id: str, session_id: str, state: str, now: float) -> None:
        """Record (or renew) a live session in its current state."""
        self.open_sessions([(user_id, session_id, state)], now)

    def open_sessions(self, sessions: list[tuple[str, str, str]], now: float) -> None:
        """Record (or renew) live sessions ``(user_id, session_id, state)``, in one
        round trip however many."""
        pipe = self.redis.pipeline()
        for user_id, session_id, state in sessions:
            pipe.hset(session_key(session_id), mapping={"user": user_id, "state": state})
            pipe.expire(session_key(session_id), SESSION_TTL)
            pipe.sadd(user_key(user_id), session_id)
            pipe.expire(user_key(user_id), SESSION_TTL * 2)
            pipe.zadd(EXPIRIES, {f"{user_id} {session_id}": now + SESSION_TTL})
            pipe.set(last_seen_key(user_id), now, ex=LAST_SEEN_TTL)
        pipe.execute()

    def close_session(self, user_id: str, session_id: str, now: float) -> None:
        """A socket closed: its session lapses after ``OFFLINE_GRACE`` unless the
        person is back by then (on a new session); it shows no channel any more."""
        key = session_key(session_id)
        if self.redis.hget(key, "user") == user_id:
            pipe = self.redis.pipeline()
            pipe.hdel(key, "viewing")
            pipe.hset(key, "closed", 1)
            pipe.expire(key, OFFLINE_GRACE)
            pipe.zadd(EXPIRIES, {f"{user_id} {session_id}": now + OFFLINE_GRACE})
            pipe.execute()
        self.redis.set(last_seen_key(user_id), now, ex=LAST_SEEN_TTL)

    def set_viewing(self, user_id: str, session_id: str, channel_id: str | None) -> bool:
        """Note which channel a live session shows (None: none). False when the
        session is not live (or is someone else's): nothing is stored."""
        key = session_key(session_id)
        if self.redis.hget(key, "user") != user_id:
            return False
        if channel_id:
            self.redis.hset(key, "viewing", channel_id)
        else:
            self.redis.hdel(key, "viewing")
        return True

    def viewers(self, channel_id: str, user_ids: list[str]) -> list[str]:
        """Those of ``user_ids`` with a live, active session showing ``channel_id``
        (someone who set themselves away is not looking, whatever the screen shows)."""
        found = []
        for user_id in dict.fromkeys(user_ids):
            if self.redis.get(manual_key(user_id)) == "away":
                continue
            sessions = sorted(self.redis.smembers(user_key(user_id)))
            pipe = self.redis.pipeline()
            for session_id in sessions:
                pipe.hmget(session_key(session_id), "state", "viewing")
            if any(state == "active" and viewing == channel_id
                   for state, viewing in pipe.execute()):
                found.append(user_id)
        return found

    def session_state(self, session_id: str) -> str | None:
        return self.redis.hget(session_key(session_id), "state")

    def status(self, user_id: str) -> str:
        return self.statuses([user_id])[user_id][0]

    def statuses(self, user_ids: list[str]) -> dict[str, tuple[str, str]]:
        """``{user_id: (status now, status last announced)}``, in two round trips
        however many people (a gateway's heartbeat asks about hundreds)."""
        users = list(dict.fromkeys(user_ids))
        pipe = self.redis.pipeline()
        for user_id in users:
            pipe.smembers(user_key(user_id))
        sessions = [sorted(found) for found in pipe.execute()]
        pipe = self.redis.pipeline()
        for user_id, theirs in zip(users, sessions):
            for session_id in theirs:
                pipe.hmget(session_key(session_id), "state", "closed")
            pipe.get(manual_key(user_id))
            pipe.get(status_key(user_id))
        answers = iter(pipe.execute())
        found = {}
        for user_id, theirs in zip(users, sessions):
            states = [(state, bool(closed)) for state, closed in
                      (next(answers) for _ in theirs)]
            manual, announced = next(answers), next(answers)
            found[user_id] = (aggregate(states, manual, announced), announced or "offline")
        return found

    def last_seen(self, user_ids: list[str]) -> list[float | None]:
        if not user_ids:
            return []
        return [float(v) if v is not None else None
                for v in self.redis.mget([last_seen_key(u) for u in user_ids])]

    def set_manual(self, user_id: str, away: bool) -> None:
        if away:
            self.redis.set(manual_key(user_id), "away")
        else:
            self.redis.delete(manual_key(user_id))

    def swap_announced(self, user_id: str, status: str) -> str:
        """Remember ``status`` as announced; returns what was announced before."""
        before = self.redis.getset(status_key(user_id), status)
        self.redis.expire(status_key(user_id), LAST_SEEN_TTL)
        return before or "offline"

    def file_status(self, user_id: str, status: str) -> None:
        """Keep the person in the set of their status (and out of the others)."""
        pipe = self.redis.pipeline()
        for counted in COUNTED:
            if counted == status:
                pipe.sadd(people_key(counted), user_id)
            else:
                pipe.srem(people_key(counted), user_id)
        pipe.execute()

    def people_by_status(self) -> dict[str, int]:
        """How many people are online and away (offline is everyone else)."""
        pipe = self.redis.pipeline()
        for status in COUNTED:
            pipe.scard(people_key(status))
        return dict(zip(COUNTED, pipe.execute()))

    def lapsed(self, now: float, limit: int = 1000) -> list[tuple[str, str]]:
        """Sessions past their time-to-live, each claimed by exactly one caller
        (ZREM answers 1 to one of the racing sweepers only)."""
        claimed = []
        for member in self.redis.zrangebyscore(EXPIRIES, "-inf", now, start=0, num=limit):
            if self.redis.zrem(EXPIRIES, member):
                user_id, _, session_id = member.partition(" ")
                ttl = self.redis.ttl(session_key(session_id))
                if ttl > 0:  # renewed meanwhile: look again when it would lapse
                    self.redis.zadd(EXPIRIES, {member: now + ttl})
                    continue
                self.redis.srem(user_key(user_id), session_id)
                claimed.append((user_id, session_id))
        return claimed
