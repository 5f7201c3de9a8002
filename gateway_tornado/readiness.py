"""Is this gateway ready to serve? ``/readyz`` asks Redis (sessions, rate limits) and,
over RabbitMQ, each service's ``health`` RPC. All checks run at once, each bounded by
``TIMEOUT``, so an answer comes within about that time even when something hangs.

Ready means this gateway's own links work: Redis answers, and at least one service
answers over RabbitMQ (so its connection and reply queue work). A service that no
instance answers is named in ``degraded`` but does not make the gateway unready: every
gateway would fail the same check, and taking them all out of Traefik's pool would turn
one missing service (say search) into a total outage, where the other routes still
work and the missing one answers ``service_unavailable``. Traefik's health check polls
``/readyz``: a gateway cut off from Redis or RabbitMQ leaves the pool until it is
again. ``/healthz`` stays the liveness answer (the process runs its event loop).

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


async def check(gateway: Gateway) -> dict[str, Any]:
    """``{"ready": bool, "gateway": name, "degraded": [service…],
    "checks": {name: {"ok", "ms", "error"?, "detail"?}}}`` with one check named
    ``redis`` and one ``rpc:<service>`` per service."""
    probes = {"redis": gateway.sessions.redis.ping()}
    for service in SERVICES:
        probes[f"rpc:{service}"] = gateway.rpc.call(service, "health", _timeout=TIMEOUT)
    results = await asyncio.gather(*(_timed(probe) for probe in probes.values()))
    checks = dict(zip(probes, results))
    services = {name: c for name, c in checks.items() if name.startswith("rpc:")}
    ready = checks["redis"]["ok"] and any(c["ok"] for c in services.values())
    return {"ready": ready, "gateway": gateway.name,
            "degraded": [name.removeprefix("rpc:") for name, c in services.items() if not c["ok"]],
            "checks": checks}


async def current(gateway: Gateway) -> dict[str, Any]:
    """The report of ``check``, at most ``MAX_AGE`` seconds old (a copy: callers
    may change it)."""
    memo = gateway.readiness
    running = memo.get("task")
    if running is None or (running.done() and time.monotonic() - memo["at"] >= MAX_AGE):
        memo["at"] = time.monotonic()
        memo["task"] = running = asyncio.ensure_future(check(gateway))
    return dict(await asyncio.shield(running))
