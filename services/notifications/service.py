"""Notifications: who hears about what, and telling them by web push and email.

Follows ``message.created`` (``parley-consumer notifications``), decides who to
tell (rules.py), records each decision once in PostgreSQL keyed by (message,
person, channel) so that replays and redeliveries send nothing twice, pushes to
every device of the people told (push.py) and, later, mails one digest to those
still offline with unread DMs and mentions (emails.py). Also: preferences,
delivery settings and push subscriptions for the gateway. See
docs/notifications.md.
"""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlparse

from eventlet.greenpool import GreenPool
from nameko.timer import timer
from nameko_sqlalchemy import Database

from services.common.channel_memory import ChannelMemoryEntrypoints
from services.common.config import get_config
from services.common.dependencies import TimedRpcProxy
from services.common.errors import InvalidInput, NotFound
from services.common.events import MessageCreated
from services.common.logging import get_logger
from services.common.mail import send_mail
from services.common.event_batches import EventBatchEntrypoints
from services.common.rpc_entrypoint import rpc
from services.common.service_base import ParleyService
from services.common.validation import validated, validated_object

from . import emails, push, rules
from .metrics import ATTEMPTS, DECIDED, DELIVERED
from .models import Base
from .schemas import NewSubscription, PreferenceChange, SettingsChange
from .store import Store, older_than

log = get_logger(__name__)
CHUNK = 200                # presence answers at most this many people per call
DIGESTS_PER_SWEEP = 100    # the offline people who waited longest; the rest next sweep
PUSH_CONCURRENCY = 20      # pushes in flight at once per worker


def _settings() -> dict:
    return get_config().section("notifications")


class Service(ParleyService, EventBatchEntrypoints,
              ChannelMemoryEntrypoints):   # channel_memory: channels.audience
    name = "notifications"

    db = Database(Base)
    channels = TimedRpcProxy("channels")
    presence = TimedRpcProxy("presence")
    users = TimedRpcProxy("users")
    messaging = TimedRpcProxy("messaging")

    # -- preferences and settings ---------------------------------------------------------
    @rpc
    def get_preferences(self, user_id):
        return self._levels(user_id)

    @rpc
    def set_preference(self, user_id, level, channel_id="*"):
        """Set a level for one channel or ("*") the default. Idempotent."""
        data = validated(PreferenceChange, channel_id=channel_id, level=level)
        self.store.set_level(user_id, data.channel_id, data.level)
        self.db.session.commit()
        return self._levels(user_id)

    @rpc
    def get_settings(self, user_id):
        """How someone wants to be reached: push, email, previews, default level."""
        settings = self.store.settings([user_id])[user_id].to_dict()
        return {**settings, "level": self._levels(user_id)["*"]}

    @rpc
    def update_settings(self, user_id, changes):
        values = validated_object(SettingsChange, changes or {}).given()
        if not values:
            raise InvalidInput("give push_enabled, email_enabled, previews, level, keywords "
                               "or quiet_hours")
        level = values.pop("level", None)
        self.store.update_settings(user_id, values)
        if level:
            self.store.set_level(user_id, "*", level)
        self.db.session.commit()
        return self.get_settings(user_id)

    @rpc
    def unsubscribe_email(self, token):
        """The unsubscribe link of a digest: email off for the person it names."""
        user_id = emails.check_unsubscribe_token(self._secret(), str(token or ""))
        if user_id is None:
            raise InvalidInput("this unsubscribe link is not valid")
        self.store.update_settings(user_id, {"email_enabled": False})
        self.db.session.commit()
        return {"email_enabled": False}

    # -- push subscriptions ---------------------------------------------------------------
    @rpc
    def vapid_public_key(self):
        return {"public_key": push.public_key(self._vapid())}

    @rpc
    def subscribe(self, user_id, subscription):
        """Register a device's push subscription (the browser's
        ``PushSubscription.toJSON()``). Idempotent by endpoint."""
        data = validated_object(NewSubscription, subscription or {})
        host = urlparse(data.endpoint).hostname
        if data.endpoint.startswith("http:") and host not in _settings()["insecure_push_hosts"]:
            raise InvalidInput("endpoint must be an https URL")
        row = self.store.subscribe(user_id, data.endpoint, data.keys.p256dh, data.keys.auth,
                                   data.user_agent)
        self.db.session.commit()
        return row.to_dict()

    @rpc
    def list_subscriptions(self, user_id):
        return [row.to_dict() for row in self.store.subscriptions(user_id)]

    @rpc
    def remove_subscription(self, user_id, subscription_id):
        if not self.store.remove_subscription(user_id, str(subscription_id)):
            raise NotFound("no such subscription")
        self.db.session.commit()
        return {"removed": True}

    # -- deciding (the Kafka consumer calls this) -----------------------------------------
    @rpc
    def on_message_created(self, event):
        """Decide who hears about a new message, record it once, push. Idempotent
        by (message, person, channel): a replay records and sends nothing."""
        message = validated_object(MessageCreated, event).data
        if _age(message.get("created_at")) > float(_settings()["max_age"]):
            return {"message_id": message.get("id"), "stale": True, "recorded": 0}
        try:
            audience = self.channel_memory.get(
                message["channel_id"], lambda: self.channels.audience(message["channel_id"]))
        except NotFound:
            return {"message_id": message["id"], "recorded": 0}
        decisions = self._decide(message, audience)
        recorded = self._record(message, audience["channel"], decisions)
        self.commit_event()
        if any(decision.push for decision in decisions):   # a replay's too, if unsent
            self._push_after_commit(message["id"])
        return {"message_id": message["id"], "recorded": recorded,
                "notified": sorted(d.user_id for d in decisions)}

    @timer(interval=30)
    def resume_pushes(self):
        """Pushes recorded but never claimed (an instance died between the two
        steps, and the topic was not replayed) are sent by the next sweep."""
        self._push_pending(self.store.stalled_pushes(older_than(30), older_than(
            float(_settings()["max_age"]))))

    # -- email digests ----------------------------------------------------------------------
    @timer(interval=15)
    def digest_timer(self):
        self.send_digests()

    @rpc
    def send_digests(self, delay=None, user_ids=None):
        """Mail one digest to each offline person with DMs or mentions pending for
        longer than ``notifications.digest_delay`` seconds and still unread; drop
        those they have read. ``delay``, ``user_ids``: another delay, only these
        people (admins, tests)."""
        delay = float(_settings()["digest_delay"] if delay is None else delay)
        due = self.store.due_email_users(older_than(delay), user_ids=user_ids)
        statuses = self._statuses(due)
        offline = [user_id for user_id in due if statuses.get(user_id) == "offline"]
        sent = []
        for user_id in offline[:DIGESTS_PER_SWEEP]:
            if self._digest(user_id):
                sent.append(user_id)
        return {"sent_to": sent}

    @rpc
    def pending_emails(self, user_id):
        """How many of someone's DMs and mentions wait for a digest (admins, tests)."""
        return self.store.pending_emails(user_id)

    # -- helpers ---------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        return Store(self.db.session)

    def _levels(self, user_id):
        levels = self.store.preferences(user_id)
        levels.setdefault("*", "mentions")
        return levels

    def _secret(self) -> str:
        return get_config().secret("notifications.unsubscribe_secret")

    def _vapid(self):
        return push.server_key()

    def _statuses(self, user_ids: list[str]) -> dict[str, str]:
        found = {}
        for i in range(0, len(user_ids), CHUNK):
            answer = self.presence.get(user_ids[i:i + CHUNK])
            found.update({u: p["status"] for u, p in answer.items()})
        return found

    def _viewers(self, channel_id: str, user_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(user_ids), CHUNK):
            found.update(self.presence.viewers(channel_id, user_ids[i:i + CHUNK]))
        return found

    def _decide(self, message: dict, audience: dict) -> list[rules.Decision]:
        channel = audience["channel"]
        members = [rules.Member(m["user_id"], m["notification_level"], m["muted"])
                   for m in audience["members"]]
        ids = [m.user_id for m in members]
        levels, settings = self._members_choices(channel["id"], ids)
        push_off = {u for u, s in settings.items()
                    if not s.push_enabled or self._quiet(u, s)}
        participants = self._thread_participants(message)
        statuses = self._statuses(ids) if "here" in (message.get("mentions") or ()) else {}
        keywords = {u: list(s.keywords) for u, s in settings.items() if s.keywords}
        first = rules.decide(message, channel["kind"], members, levels, statuses, set(),
                             push_off, participants, keywords)
        viewers = self._viewers(channel["id"], [d.user_id for d in first])
        email_off = {u for u, s in settings.items() if not s.email_enabled}
        return [rules.Decision(d.user_id, d.reason, d.push, d.email and d.user_id not in email_off)
                for d in first if d.user_id not in viewers]

    def _members_choices(self, channel_id: str, ids: list[str]) -> tuple[dict, dict]:
        """The members' levels in the channel and their settings (once per batch and
        channel: hundreds of members' rows were most of the service's work per message)."""
        return self.once_per_batch(("choices", channel_id, tuple(ids)), lambda: (
            self.store.levels(ids, channel_id), self.store.settings(ids)))

    def _quiet(self, user_id: str, settings) -> bool:
        """In their quiet hours now (in their profile's time zone)?"""
        if not (settings.dnd_start and settings.dnd_end):
            return False
        try:
            zone = self.users.get(user_id).get("time_zone")
        except NotFound:
            zone = None
        return rules.quiet(datetime.now(timezone.utc), zone, settings.dnd_start,
                           settings.dnd_end)

    def _thread_participants(self, message: dict) -> frozenset[str]:
        parent_id = message.get("thread_parent_id")
        if not parent_id:
            return frozenset()
        try:
            parent = self.messaging.get(message["sender_id"], message["channel_id"], parent_id)
        except NotFound:
            return frozenset()
        return frozenset([parent["sender_id"], *(parent.get("participants") or ())])

    def _record(self, message: dict, channel: dict, decisions: list[rules.Decision]) -> int:
        if not decisions:
            return 0
        sender = self._display_name(message["sender_id"])
        app_url = str(_settings()["public_url"]).rstrip("/")
        contents, reasons, rows = {}, {}, []   # the content depends on the reason only
        for decision in decisions:
            if decision.reason not in contents:
                contents[decision.reason] = _content(message, channel, sender, decision.reason,
                                                     app_url)
            content = contents[decision.reason]
            reasons[decision.user_id] = decision.reason
            rows += [(decision.user_id, kind, decision.reason, content)
                     for kind, wanted in (("push", decision.push), ("email", decision.email))
                     if wanted]
        recorded = self.store.record(message["id"], channel["id"],
                                     int(message.get("seq") or 0), rows)
        for user_id, kind in recorded:
            DECIDED.labels(kind, reasons[user_id]).inc()
        return len(recorded)

    def _display_name(self, user_id: str) -> str:
        return self.once_per_batch(("name", user_id), lambda: self._read_display_name(user_id))

    def _read_display_name(self, user_id: str) -> str:
        try:
            return self.users.get(user_id).get("display_name") or "Someone"
        except NotFound:
            return "Someone"

    def _push_after_commit(self, message_id: str) -> None:
        """Push the message's pending notifications now, or, in a batch of events,
        once the batch is committed (``after_batch``)."""
        if not self.keep_for_batch_end(message_id):
            self._push_pending([message_id])

    def after_batch(self) -> None:
        self._push_pending(self.kept_for_batch_end())

    def _push_pending(self, message_ids: list[str]) -> None:
        """Claim these messages' pending pushes and send them: the claim, the people's
        settings and devices each read once for all of them (a batch's, a sweep's)."""
        claimed = self.store.claim_pushes(message_ids)
        self.db.session.commit()
        if not claimed:
            return
        cfg, vapid = _settings(), self._vapid()
        people = sorted({n.user_id for n in claimed})
        previews = {u: s.previews for u, s in self.store.settings(people).items()}
        devices = self.store.subscriptions_of(people)
        jobs = [(notification.id, device.id, notification.message_id,
                 {"endpoint": device.endpoint,
                  "keys": {"p256dh": device.p256dh, "auth": device.auth}},
                 push.payload(notification.content, previews[notification.user_id]))
                for notification in claimed
                for device in devices[notification.user_id]]

        def deliver(job):
            _, _, message_id, subscription, data = job
            return push.send(subscription, data, vapid, str(cfg["vapid_subject"]), message_id,
                             retries=int(cfg["push_retries"]),
                             backoff=float(cfg["push_backoff"]),
                             timeout=float(cfg["push_timeout"]))

        # the HTTP requests run side by side (green threads); the database is
        # touched only here, in this worker, once they are all answered
        outcomes: dict[int, list] = {notification.id: [] for notification in claimed}
        for (notification_id, device_id, *_), outcome in zip(
                jobs, GreenPool(PUSH_CONCURRENCY).imap(deliver, jobs)):
            outcomes[notification_id].append((device_id, outcome))
        for notification in claimed:
            sent, tries, error = False, 0, ""
            for device_id, outcome in outcomes[notification.id]:
                for status, retry_error in outcome.tries:
                    self.store.attempt("retry", notification.id, subscription_id=device_id,
                                       status_code=status, error=retry_error)
                    ATTEMPTS.labels("push", "retry").inc()
                self.store.attempt(outcome.outcome, notification.id, subscription_id=device_id,
                                   status_code=outcome.status_code, error=outcome.error)
                ATTEMPTS.labels("push", outcome.outcome).inc()
                tries += len(outcome.tries) + 1
                if outcome.outcome == "sent":
                    sent = True
                    self.store.push_succeeded(device_id)
                elif outcome.outcome == "gone":
                    self.store.remove_subscription(None, device_id)
                    log.info("push_subscription_gone", subscription_id=device_id,
                             status=outcome.status_code)
                else:
                    error = outcome.error
            status = "sent" if sent else ("failed" if error else "no_device")
            self.store.finish(notification, status, tries, "" if sent else error)
            DELIVERED.labels("push", status).inc()
        self.db.session.commit()

    def _digest(self, user_id: str) -> bool:
        """One digest for one person gone offline, if something is unread. The
        claimed rows are locked until the commit, so two instances' sweeps never
        mail the same notifications twice."""
        store = self.store
        pending = store.claim_emails(user_id)
        if not pending:
            self.db.session.commit()
            return False
        if self._quiet(user_id, store.settings([user_id])[user_id]):
            self.db.session.commit()   # asleep: keep it pending for later
            return False
        read = self._read_cursors(user_id)
        unread = [n for n in pending if n.seq > read.get(n.channel_id, 0)]
        for notification in pending:
            if notification not in unread:
                store.finish(notification, "read")
                DELIVERED.labels("email", "read").inc()
        settings = store.settings([user_id])[user_id]
        if unread and not settings.email_enabled:
            for notification in unread:
                store.finish(notification, "disabled")
                DELIVERED.labels("email", "disabled").inc()
            unread = []
        if not unread:
            self.db.session.commit()
            return False
        digest = store.new_digest(user_id, len(unread))
        cfg = _settings()
        app_url = str(cfg["public_url"]).rstrip("/")
        unsubscribe = (f"{app_url}/api/v1/notifications/unsubscribe?token="
                       f"{emails.unsubscribe_token(self._secret(), user_id)}")
        subject, text, html = emails.compose([n.content for n in unread], settings.previews,
                                             unsubscribe, app_url + "/")
        status, error = "sent", ""
        try:
            address = self.users.get(user_id)["email"]
            send_mail(address, subject, text, html=html, headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        except Exception as exc:  # the relay refused or is away: the next sweep retries
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        store.attempt(status, digest_id=digest.id, error=error)
        ATTEMPTS.labels("email", status).inc()
        digest.status = status
        if status == "sent":
            digest.sent_at = datetime.now(timezone.utc)
            for notification in unread:
                store.finish(notification, "sent", 1, digest_id=digest.id)
                DELIVERED.labels("email", "sent").inc()
        else:
            for notification in unread:
                notification.attempts = (notification.attempts or 0) + 1
                notification.last_error = error[:500]
        self.db.session.commit()
        return status == "sent"

    def _read_cursors(self, user_id: str) -> dict[str, int]:
        return {c["id"]: int((c.get("membership") or {}).get("last_read_seq") or 0)
                for c in self.channels.list_for_user(user_id)}


def _age(created_at: str | None) -> float:
    if not created_at:
        return 0.0
    when = datetime.fromisoformat(str(created_at).replace("Z", "+00:00"))
    return (datetime.now(timezone.utc) - when).total_seconds()


VERBS = {"dm": "sent you a message", "mention": "mentioned you",
         "keyword": "wrote a word you follow", "thread": "replied in a thread",
         "channel": "wrote to @channel", "here": "wrote to @here", "all": "wrote"}


def _content(message: dict, channel: dict, sender: str, reason: str, app_url: str) -> dict:
    """What a push and a digest line show about one message (previews decided later)."""
    kind = channel.get("kind")
    if kind == "dm":
        where, title = "in a direct message", sender
    elif kind == "group_dm":
        where, title = "in a group message", f"{sender} (group)"
    else:
        where, title = f"in #{channel.get('name')}", f"{sender} in #{channel.get('name')}"
    text = message.get("text") or ("sent a file" if message.get("attachments") else "")
    private = kind == "private"
    return {"message_id": message["id"], "channel_id": channel["id"], "title": title,
            "preview": text, "text": text, "summary": f"{sender} {VERBS[reason]}",
            "sender_name": sender, "verb": VERBS[reason], "where": where, "private": private,
            "where_private": "in a private channel", "url": f"{app_url}/#/c/{channel['id']}"}
