"""Gateway discovery for Traefik's file provider (the local stack).

Every gateway announces itself in ``var/traefik/gateways/<name>.json`` and then
regenerates Traefik's one dynamic file ``var/traefik/dynamic/parley.yml`` from all
announcements, under a file lock, replacing it atomically (``os.replace``): Traefik
lets only one file define a service's servers, and must never read a half file.
A gateway that stops cleanly withdraws; one that dies stays listed but fails
Traefik's health check until its supervisor restarts it on the same port.
In docker-compose Traefik's docker provider does this job instead (labels).
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import yaml

from services.common.config import Config


def _paths(cfg: Config) -> tuple[Path, Path, Path]:
    base = cfg.var_dir / "traefik"
    return base / "gateways", base / "dynamic" / "parley.yml", base / "discovery.lock"


def dynamic_config(cfg: Config, urls: list[str]) -> dict:
    """Traefik's dynamic configuration for the given gateway URLs."""
    return {"http": {
        "routers": {"parley": {
            # /metrics of a gateway is for Prometheus only, never the public port
            "rule": "PathPrefix(`/`) && !Path(`/metrics`)",
            "entryPoints": ["web"], "service": "gateways",
            "middlewares": ["parley-retry", "parley-ratelimit"]}},
        "middlewares": {
            "parley-retry": {"retry": {"attempts": 2, "initialInterval": "50ms"}},
            "parley-ratelimit": {"rateLimit": {"average": int(cfg["traefik.rate_average"]),
                                               "burst": int(cfg["traefik.rate_burst"])}}},
        "services": {"gateways": {"loadBalancer": {
            "servers": [{"url": url} for url in sorted(urls)],
            # /readyz: a gateway cut off from Redis or RabbitMQ leaves the pool;
            # its checks take up to 2 s (gateway_tornado/readiness.py)
            "healthCheck": {"path": "/readyz", "interval": cfg["traefik.health_interval"],
                            "timeout": "3s"}}}},
    }}


def _rewrite(cfg: Config, change) -> None:
    gateways_dir, dynamic_file, lock_file = _paths(cfg)
    for path in (gateways_dir, dynamic_file.parent):
        path.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        change(gateways_dir)
        urls = [json.loads(p.read_text())["url"] for p in sorted(gateways_dir.glob("*.json"))]
        tmp = dynamic_file.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(dynamic_config(cfg, urls), sort_keys=False))
        os.replace(tmp, dynamic_file)


def register(cfg: Config, name: str, url: str) -> None:
    def add(gateways_dir: Path) -> None:
        (gateways_dir / f"{name}.json").write_text(json.dumps({"name": name, "url": url}))
    _rewrite(cfg, add)


def withdraw(cfg: Config, name: str) -> None:
    _rewrite(cfg, lambda gateways_dir: (gateways_dir / f"{name}.json").unlink(missing_ok=True))
