"""The Tornado application: every route of the gateway in one table."""
from __future__ import annotations

import tornado.web

from .context import Gateway
from .handlers import (admin, auth, channels, files, messages, notifications, ops, people, search,
                       web)
from .slack import admin as slack_admin, files as slack_files, rtm as slack_rtm
from .slack import socket_mode as slack_socket_mode, web as slack_web
from .slack import webhooks as slack_webhooks
from .websocket import SocketHandler

ID = r"([A-Za-z0-9_-]{1,64})"
EMOJI = r"([^/]{1,256})"  # URL-encoded; messaging validates it


def make_app(gateway: Gateway) -> tornado.web.Application:
    routes = [
        (r"/healthz", ops.Health),
        (r"/readyz", ops.Ready),
        (r"/metrics", ops.Metrics),
        (r"/api/v1/openapi.json", ops.OpenApi),
        (r"/ws", SocketHandler),
        (r"/api/v1/auth/register", auth.Register),
        (r"/api/v1/auth/login", auth.Login),
        (r"/api/v1/auth/refresh", auth.Refresh),
        (r"/api/v1/auth/logout", auth.Logout),
        (r"/api/v1/auth/logout-all", auth.LogoutAll),
        (r"/api/v1/auth/password", auth.Password),
        (r"/api/v1/auth/password-reset", auth.PasswordReset),
        (r"/api/v1/auth/password-reset/confirm", auth.PasswordResetConfirm),
        (r"/api/v1/me", people.Me),
        (r"/api/v1/me/unread", people.MyUnread),
        (r"/api/v1/me/avatar", people.MyAvatar),
        (r"/api/v1/me/presence", people.MyPresence),
        (r"/api/v1/users", people.Users),
        (rf"/api/v1/users/{ID}", people.User),
        (rf"/api/v1/users/{ID}/role", people.UserRole),
        (rf"/api/v1/users/{ID}/deactivate", people.UserDeactivate),
        (rf"/api/v1/users/{ID}/reactivate", people.UserReactivate),
        (r"/api/v1/channels", channels.Channels),
        (r"/api/v1/channels/directory", channels.ChannelDirectory),  # before {ID}
        (rf"/api/v1/channels/{ID}", channels.Channel),
        (rf"/api/v1/channels/{ID}/archive", channels.ChannelArchive),
        (rf"/api/v1/channels/{ID}/unarchive", channels.ChannelUnarchive),
        (rf"/api/v1/channels/{ID}/join", channels.ChannelJoin),
        (rf"/api/v1/channels/{ID}/leave", channels.ChannelLeave),
        (rf"/api/v1/channels/{ID}/members", channels.ChannelMembers),
        (rf"/api/v1/channels/{ID}/members/{ID}", channels.ChannelMember),
        (rf"/api/v1/channels/{ID}/notifications", channels.ChannelNotifications),
        (r"/api/v1/dms", channels.DirectMessages),
        (rf"/api/v1/channels/{ID}/messages", messages.Messages),
        (rf"/api/v1/channels/{ID}/messages/{ID}", messages.Message),
        (rf"/api/v1/channels/{ID}/messages/{ID}/pin", messages.MessagePin),
        (rf"/api/v1/channels/{ID}/pins", messages.ChannelPins),
        (rf"/api/v1/channels/{ID}/messages/{ID}/replies", messages.MessageReplies),
        (rf"/api/v1/channels/{ID}/messages/{ID}/reactions/{EMOJI}", messages.MessageReaction),
        (rf"/api/v1/channels/{ID}/messages/{ID}/receipts", channels.MessageReceipts),
        (rf"/api/v1/channels/{ID}/read", channels.ChannelRead),
        (r"/api/v1/files", files.Files),
        (rf"/api/v1/files/{ID}", files.File),
        (r"/api/v1/presence", people.Presence),
        (r"/api/v1/search", search.Search),
        (r"/api/v1/me/notifications", notifications.MyNotifications),
        (r"/api/v1/push/vapid-public-key", notifications.VapidPublicKey),
        (r"/api/v1/push/subscriptions", notifications.PushSubscriptions),
        (rf"/api/v1/push/subscriptions/{ID}", notifications.PushSubscription),
        (r"/api/v1/notifications/unsubscribe", notifications.Unsubscribe),
        (r"/api/v1/admin/audit", admin.AuditLog),
        (r"/api/v1/admin/bots", slack_admin.Bots),
        (rf"/api/v1/admin/bots/{ID}", slack_admin.Bot),
        (rf"/api/v1/admin/bots/{ID}/tokens", slack_admin.BotTokens),
        (r"/api/v1/admin/webhooks", slack_webhooks.Webhooks),
        (rf"/api/v1/admin/webhooks/{ID}", slack_webhooks.Webhook),
        # the Slack-compatible Web API (docs/slack-compat.md)
        (r"/slack/api/([A-Za-z0-9._]{1,64})", slack_web.SlackApi),
        (r"/slack/upload/([A-Za-z0-9_-]{1,64})", slack_files.SlackUpload),
        (r"/slack/files/([A-Za-z0-9]{1,64})/([^/]{1,255})", slack_files.SlackFile),
        (r"/slack/rtm", slack_rtm.RtmSocket),
        (r"/slack/socket-mode", slack_socket_mode.SocketModeSocket),
        (r"/slack/hooks/([A-Za-z0-9]{1,64})/([A-Za-z0-9]{1,64})/([A-Za-z0-9]{1,100})",
         slack_webhooks.SlackWebhook),
    ]
    ping = float(gateway.cfg["gateway.ping_interval"])
    return tornado.web.Application(
        [(pattern, handler, {"gateway": gateway}) for pattern, handler in routes]
        + web.ROUTES,  # the web client's static files (not API routes)
        websocket_ping_interval=ping, websocket_ping_timeout=ping,
        default_handler_class=ops.NotFoundHandler, default_handler_args={"gateway": gateway},
    )
