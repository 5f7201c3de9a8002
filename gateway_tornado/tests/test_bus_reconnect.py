"""After RabbitMQ comes back, the gateway's sockets are asked to resume: events published
while the hub was cut off never reached them (found by `make chaos`: a broker restart
left connected clients with gaps that only a REST catch-up filled)."""
from __future__ import annotations

import json

from gateway_tornado.__main__ import ask_to_resume
from gateway_tornado.hub import Hub

from .test_socket_sessions import frames_until_closed, hub, open_socket  # noqa: F401 (fixtures)


def test_the_hub_tells_the_gateway_when_its_broker_connection_is_back():
    told = []
    bus = Hub("amqp://unused", "gateway-test")
    bus.on_reconnect = lambda: told.append(True)
    bus._reconnected(object())
    assert told == [True]


async def test_every_socket_is_closed_with_1012_to_reconnect_and_resume(open_socket, gateway):
    sockets = [await open_socket(), await open_socket("user-2", "session-2")]
    for ws in sockets:
        assert json.loads(await ws.read_message())["type"] == "hello"
    ask_to_resume(gateway)
    for ws in sockets:
        assert await frames_until_closed(ws) == []
        assert ws.close_code == 1012
