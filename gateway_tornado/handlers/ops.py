"""Operational endpoints: liveness and readiness for Traefik, metrics for
Prometheus, and the API's own description."""
from __future__ import annotations

import functools
import json

import yaml
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.common.config import REPO_ROOT

from services.common.errors import NotFound

from .. import readiness
from .base import BaseHandler


SPEC = REPO_ROOT / "docs" / "api" / "openapi.yaml"


@functools.cache
def spec_json() -> bytes:
    """docs/api/openapi.yaml as JSON, read once per process."""
    return json.dumps(yaml.safe_load(SPEC.read_text())).encode()


class Health(BaseHandler):
    route = "healthz"
    rate_limited = False  # Traefik's health checks
    logged = False

    def get(self):
        self.send_json({"status": "ok", "gateway": self.gateway.name})


class Ready(BaseHandler):
    """200 when the gateway's own links work (Redis, and RabbitMQ: some service
    answers), with unanswered services listed as ``degraded``; 503 otherwise
    (gateway_tornado/readiness.py). The body names each check. Traefik's health check."""

    route = "readyz"
    rate_limited = False
    logged = False

    async def get(self):
        report = await readiness.current(self.gateway)
        ready = report.pop("ready")
        self.send_json({"status": "ready" if ready else "not_ready", **report},
                       200 if ready else 503)


class Metrics(BaseHandler):
    route = "metrics"
    rate_limited = False  # Prometheus's scrapes
    logged = False

    def get(self):
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest())


class OpenApi(BaseHandler):
    """The OpenAPI 3.1 description of every route, for clients and tools."""

    route = "openapi"

    def get(self):
        self.set_header("Content-Type", "application/json")
        self.finish(spec_json())


class NotFoundHandler(BaseHandler):
    route = "not_found"

    async def prepare(self):
        await super().prepare()
        raise NotFound(f"no route {self.request.path}")
