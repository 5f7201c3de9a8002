"""services/common/request_log.py: one ``rpc_handled`` line per RPC a service
handled, with the caller's request id and the outcome; none for ``health``."""
from __future__ import annotations

from types import SimpleNamespace

from structlog.testing import capture_logs

from services.common.errors import Forbidden
from services.common.request_log import RequestLog


class Worker(SimpleNamespace):
    __hash__ = object.__hash__  # Nameko's worker contexts are keys, like here


def worker(method: str, request_id: str | None = "req-7"):
    return Worker(service_name="channels", entrypoint=SimpleNamespace(method_name=method),
                  data={"request_id": request_id} if request_id else {})


def handle(log: RequestLog, ctx, exc: Exception | None = None) -> list[dict]:
    with capture_logs() as logged:
        log.worker_setup(ctx)
        log.worker_result(ctx, exc_info=None if exc is None else (type(exc), exc, None))
    return logged


def test_a_call_is_logged_with_its_request_id_and_outcome():
    log = RequestLog()
    log.setup()
    (line,) = handle(log, worker("join"))
    assert (line["event"], line["rpc"], line["outcome"], line["request_id"]) == (
        "rpc_handled", "channels.join", "ok", "req-7")
    assert line["ms"] >= 0


def test_a_refusal_is_logged_with_its_code():
    log = RequestLog()
    log.setup()
    (line,) = handle(log, worker("archive"), Forbidden("no"))
    assert line["outcome"] == "forbidden"


def test_health_calls_are_not_logged():
    log = RequestLog()
    log.setup()
    assert handle(log, worker("health")) == []
