"""The Tornado application: every route of the gateway in one table."""
from __future__ import annotations

import tornado.web

from .context import Gateway
from .handlers import api, ops
from .websocket import SocketHandler

ID = r"([A-Za-z0-9_-]{1,64})"


def make_app(gateway: Gateway) -> tornado.web.Application:
    routes = [
        (r"/healthz", ops.Health),
        (r"/metrics", ops.Metrics),
        (r"/ws", SocketHandler),
        (r"/api/v1/auth/register", api.Register),
        (r"/api/v1/auth/login", api.Login),
        (r"/api/v1/me", api.Me),
        (r"/api/v1/me/unread", api.MyUnread),
        (r"/api/v1/channels", api.Channels),
        (rf"/api/v1/channels/{ID}", api.Channel),
        (rf"/api/v1/channels/{ID}/join", api.ChannelJoin),
        (rf"/api/v1/channels/{ID}/members", api.ChannelMembers),
        (rf"/api/v1/channels/{ID}/messages", api.Messages),
        (rf"/api/v1/channels/{ID}/read", api.ChannelRead),
        (r"/api/v1/files", api.Files),
        (rf"/api/v1/files/{ID}", api.File),
        (r"/api/v1/presence", api.Presence),
    ]
    ping = float(gateway.cfg["gateway.ping_interval"])
    return tornado.web.Application(
        [(pattern, handler, {"gateway": gateway}) for pattern, handler in routes],
        websocket_ping_interval=ping, websocket_ping_timeout=ping,
        default_handler_class=ops.NotFoundHandler, default_handler_args={"gateway": gateway},
    )
