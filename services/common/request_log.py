"""One log line per RPC a service handled, so that a request id found in the
gateway's log leads to every service that worked on it (`grep <request id>
var/log/*.log`). The line carries the method, the outcome (``ok`` or the error's
stable code) and the time taken; ``health`` calls, which readiness probes make
every second, are left out."""
from __future__ import annotations

import time

import structlog
from nameko.extensions import DependencyProvider

log = structlog.get_logger(__name__)

QUIET = frozenset({"health"})


class RequestLog(DependencyProvider):
    def setup(self):
        self._started: dict = {}

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        method = worker_ctx.entrypoint.method_name
        if method in QUIET:
            return
        error = None if exc_info is None else exc_info[1]
        log.info("rpc_handled", rpc=f"{worker_ctx.service_name}.{method}",
                 outcome="ok" if error is None else getattr(error, "code", "error"),
                 ms=None if started is None else round((time.perf_counter() - started) * 1000, 1),
                 request_id=worker_ctx.data.get("request_id"))
