"""Is this gateway ready to serve? ``/readyz`` answers from this gateway's own links:
Redis (sessions, rate limits) answers a PING, and its connection to RabbitMQ is up.
It also asks, over RabbitMQ, each service's ``health`` RPC, all at once, each bounded
by ``TIMEOUT``, but only to name in ``degraded`` the services no instance answered;
and it does not wait for them: a report shows the last answers that came.

Readiness must not depend on how busy the services are. When it did (ready meant some
service answered its health RPC within 2 s), 100 messages/s on this 2-core machine made
every answer late: Traefik took both gateways out of its pool at once, answered new
connections 503 (3,514 in one run) and closed 821 open sockets, whose reconnecting
made the overload worse. Nor may a service that no instance answers make the gateway
unready: every gateway would fail alike, and one missing service (say search) would
become a total outage, where the other routes still work and the missing one answers
``service_unavailable``. Traefik's health check polls ``/readyz``: a gateway cut off
from Redis or RabbitMQ leaves the pool until it is again. ``/healthz`` stays the
liveness answer (the process runs its event loop).

Nor may readiness wait for them. Waiting up to ``TIMEOUT`` for the health answers, on
an event loop already late under a reconnect storm, made ``/readyz`` slower than
Traefik's 3 s health-check timeout: gateways left the pool and 506 reconnects were
answered 503.

A report is reused for ``MAX_AGE`` seconds, and callers arriving while a check runs
share it: Traefik polls every gateway each second, and a fresh check costs one RPC
per service, which under load was a steady share of every service's work."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable

from services.common.catalog import SERVICES

from .context import Gateway

TIMEOUT = 2.0  # seconds per check; Traefik's health check waits a little longer
MAX_AGE = 3.0  # seconds a report is reused


async def _timed(probe: Awaitable[Any]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe, TIMEOUT)
        result: dict[str, Any] = {"ok": True}
    except asyncio.TimeoutError:
        result = {"ok": False, "error": f"no answer within {TIMEOUT:g}s"}
    except Exception as exc:  # any failure is the answer: not ready, and why
        result = {"ok": False, "error": getattr(exc, "code", None) or type(exc).__name__,
                  "detail": str(exc)[:200]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


async def services_health(gateway: Gateway) -> dict[str, dict[str, Any]]:
    """``{"rpc:<service>": check}``: each service's ``health`` RPC, all at once."""
    results = await asyncio.gather(*(
        _timed(gateway.rpc.call(service, "health", _timeout=TIMEOUT)) for service in SERVICES))
    return {f"rpc:{service}": result for service, result in zip(SERVICES, results)}


async def check(gateway: Gateway, services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``{"ready": bool, "gateway": name, "degraded": [service…],
    "checks": {name: {"ok", "ms", "error"?, "detail"?}}}`` with a check named ``bus``
    (the RabbitMQ connection), one named ``redis`` and, from ``services``
    (services_health), one ``rpc:<service>`` per service."""
    checks = {"bus": {"ok": gateway.rpc.bus_up, "ms": 0.0},
              "redis": await _timed(gateway.sessions.redis.ping())} | services
    if not checks["bus"]["ok"]:
        checks["bus"]["error"] = "no connection to RabbitMQ"
    ready = checks["redis"]["ok"] and checks["bus"]["ok"]
    return {"ready": ready, "gateway": gateway.name,
            "degraded": [name.removeprefix("rpc:") for name, c in services.items() if not c["ok"]],
            "checks": checks}


async def current(gateway: Gateway) -> dict[str, Any]:
    """The report of ``check``, at most ``MAX_AGE`` seconds old (a copy: callers
    may change it). The services' part is the last one finished: a newer one is
    asked for in the background, so the answer never waits for busy services
    (only the very first does, having nothing to show)."""
    memo = gateway.readiness
    now = time.monotonic()
    asking = memo.get("services_task")
    if asking is None or (asking.done() and now - memo["services_at"] >= MAX_AGE):
        memo["services_at"] = now
        memo["services_task"] = asking = asyncio.ensure_future(services_health(gateway))
        asking.add_done_callback(lambda done: done.cancelled()
                                 or memo.update(services=done.result()))
    services = memo.get("services")   # (a task just done may not have filed it yet)
    if services is None:
        services = await asyncio.shield(asking)
    running = memo.get("task")
    if running is None or (running.done() and now - memo["at"] >= MAX_AGE):
        memo["at"] = now
        memo["task"] = running = asyncio.ensure_future(check(gateway, services))
    return dict(await asyncio.shield(running))
