"""Operational endpoints: health for Traefik, metrics for Prometheus."""
from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.common.errors import NotFound

from .base import BaseHandler


class Health(BaseHandler):
    route = "healthz"

    def get(self):
        self.send_json({"status": "ok", "gateway": self.gateway.name})


class Metrics(BaseHandler):
    route = "metrics"

    def get(self):
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest())


class NotFoundHandler(BaseHandler):
    route = "not_found"

    async def prepare(self):
        await super().prepare()
        raise NotFound(f"no route {self.request.path}")
