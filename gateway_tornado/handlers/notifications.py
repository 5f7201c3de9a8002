"""REST: web push subscriptions, notification settings and the email unsubscribe
link (the notifications service; docs/notifications.md). These handlers only
translate; the service validates."""
from __future__ import annotations

from .people import PeopleHandler


class VapidPublicKey(PeopleHandler):
    """The application server key a browser subscribes with (no sign-in needed:
    it is public)."""

    route = "push.vapid_public_key"

    async def get(self):
        self.send_json(await self.rpc("notifications", "vapid_public_key"))


class PushSubscriptions(PeopleHandler):
    route = "push.subscriptions"

    async def get(self):
        self.send_json(await self.rpc("notifications", "list_subscriptions", self.actor()))

    async def post(self):
        actor = self.actor()
        self.send_json(await self.rpc("notifications", "subscribe", actor,
                                      self.body_json(required=True)), status=201)


class PushSubscription(PeopleHandler):
    route = "push.subscription"

    async def delete(self, subscription_id):
        self.send_json(await self.rpc("notifications", "remove_subscription", self.actor(),
                                      subscription_id))


class MyNotifications(PeopleHandler):
    """Push, email, previews, and the default level for channels (each channel's own
    level and mute are the channel membership's: PUT /channels/{id}/notifications)."""

    route = "me.notifications"

    async def get(self):
        self.send_json(await self.rpc("notifications", "get_settings", self.actor()))

    async def put(self):
        actor = self.actor()
        self.send_json(await self.rpc("notifications", "update_settings", actor,
                                      self.body_json(required=True)))


class Unsubscribe(PeopleHandler):
    """The link at the foot of a digest email (GET, for a person's click) and its
    one-click form (POST, RFC 8058, for mail clients): email off, no sign-in."""

    route = "notifications.unsubscribe"

    async def get(self):
        await self.rpc("notifications", "unsubscribe_email", self.get_query_argument("token", ""))
        self.set_status(200)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish("<!doctype html><title>Parley</title><p>You will get no more emails "
                    "from Parley. Turn them back on in your notification settings.</p>")

    async def post(self):
        self.send_json(await self.rpc("notifications", "unsubscribe_email",
                                      self.get_query_argument("token", "")))
