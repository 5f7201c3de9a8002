"""`parley-gateway --port N`: run one gateway process."""
from __future__ import annotations

import argparse
import asyncio

from services.common.config import get_config
from services.common.logging import configure_logging, get_logger
from services.common.process import run_until_signalled
from services.common.rpc_client import AsyncRpcClient
from services.common.stores import async_redis_client
from services.common.tokens import TokenCodec

from . import body_limit, discovery, heartbeat
from .app import make_app
from .context import Gateway
from .hub import Hub
from .websocket import CLOSE_GOING_AWAY, CLOSE_SERVICE_RESTART
from .ratelimit import RateLimiter
from .sessions import SessionCheck

log = get_logger(__name__)


async def serve(port: int, stop: asyncio.Event) -> None:
    cfg = get_config()
    name = f"gateway-{port}"
    rpc = await AsyncRpcClient(cfg["amqp.uri"], timeout=float(cfg["amqp.rpc_timeout"]),
                               name=name).connect()
    hub = Hub(cfg["amqp.uri"], name)
    await hub.start()
    redis = async_redis_client()
    gateway = Gateway(name=name, cfg=cfg, rpc=rpc, hub=hub, tokens=TokenCodec.from_config(cfg),
                      sessions=SessionCheck(redis), limiter=RateLimiter.from_config(redis, cfg))
    hub.on_reconnect = lambda: ask_to_resume(gateway)
    server = body_limit.http_server(make_app(gateway), int(cfg["gateway.max_body_bytes"]))
    server.listen(port, address=cfg["stack.host"])
    if cfg["gateway.discovery"] == "file":
        discovery.register(cfg, name, f"http://{cfg['stack.host']}:{port}")
    log.info("gateway_listening", port=port)
    beating = asyncio.create_task(heartbeat.run(gateway))
    await stop.wait()
    log.info("gateway_stopping")
    beating.cancel()
    if cfg["gateway.discovery"] == "file":
        discovery.withdraw(cfg, name)
        # keep serving while Traefik reloads its file and stops sending us requests
        await asyncio.sleep(float(cfg["gateway.drain_seconds"]))
    server.stop()
    await close_sockets(gateway)
    await server.close_all_connections()
    await hub.stop()
    await rpc.close()
    await gateway.sessions.close()


async def close_sockets(gateway: Gateway, grace: float = 5.0) -> None:
    """Tell every socket this gateway is going away (1001: reconnect, through
    Traefik to another gateway, and resume), then let their presence and hub
    clean-ups finish while the loop and the RPC client still run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    for socket in list(gateway.sockets):
        socket.close(CLOSE_GOING_AWAY, "gateway restarting: reconnect")
    while gateway.sockets and loop.time() < deadline:  # each leaves in on_close
        await asyncio.sleep(0.05)
    if gateway.cleanups:
        await asyncio.wait(list(gateway.cleanups), timeout=max(0.1, deadline - loop.time()))


def ask_to_resume(gateway: Gateway) -> None:
    """The hub was cut off from RabbitMQ (a broker restart): events published meanwhile
    never reached this gateway's sockets, and nothing would tell their clients. Close
    each with 1012 so that its client reconnects and resumes from the seq it has: the
    gap comes back from history (docs/api/websocket.md, "Resume")."""
    sockets = list(gateway.sockets)
    log.warning("sockets_asked_to_resume", sockets=len(sockets))
    for socket in sockets:
        socket.close(CLOSE_SERVICE_RESTART, "events may have been missed: reconnect and resume")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    configure_logging("gateway", f"gateway-{args.port}")
    run_until_signalled(lambda stop: serve(args.port, stop))


if __name__ == "__main__":
    main()
