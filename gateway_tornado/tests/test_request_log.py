"""Every API request leaves one ``request_handled`` log line with its request id,
route, status and time; probes and scrapes (/healthz, /readyz, /metrics) leave
none, since Traefik and Prometheus call them every second or so."""
from __future__ import annotations

from structlog.testing import capture_logs

from services.common.catalog import SERVICES


async def test_an_api_request_logs_one_line_with_its_request_id(fetch, rpc, bearer):
    rpc.answer("users", "get", {"user_id": "user-1"})
    with capture_logs() as logged:
        await fetch("/api/v1/me", headers={**bearer(), "X-Request-Id": "req-log-1"})
    (line,) = [entry for entry in logged if entry["event"] == "request_handled"]
    assert (line["request_id"], line["route"], line["method"], line["status"]) == (
        "req-log-1", "me", "GET", 200)
    assert line["ms"] >= 0


async def test_a_refused_request_is_logged_with_its_status(fetch):
    with capture_logs() as logged:
        await fetch("/api/v1/me", headers={"X-Request-Id": "req-log-2"})
    (line,) = [entry for entry in logged if entry["event"] == "request_handled"]
    assert (line["request_id"], line["status"]) == ("req-log-2", 401)


async def test_probes_and_scrapes_are_not_logged(fetch, rpc):
    for service in SERVICES:
        rpc.answer(service, "health", {"service": service})
    with capture_logs() as logged:
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await fetch(path)).code == 200
    assert [entry for entry in logged if entry["event"] == "request_handled"] == []
