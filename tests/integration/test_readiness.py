"""/readyz on the real stack: every gateway is ready (Redis and every service
answer), through Traefik and directly, with one passing check per dependency;
/healthz stays the bare liveness answer."""
from __future__ import annotations

from services.common.catalog import SERVICES
from tests.support.client import http


async def test_every_gateway_is_ready_with_every_check_passing(stack, base_url):
    host = stack["stack.host"]
    for url in [base_url] + [f"http://{host}:{port}" for port in stack["gateway.instances"]]:
        answer = await http("GET", f"{url}/readyz", timeout=10)
        assert answer.status == 200, answer.body
        assert answer.body["status"] == "ready"
        assert set(answer.body["checks"]) == {"bus", "redis"} | {f"rpc:{s}" for s in SERVICES}
        assert all(check["ok"] for check in answer.body["checks"].values()), answer.body
        assert answer.body["degraded"] == []
        alive = await http("GET", f"{url}/healthz", timeout=10)
        assert (alive.status, alive.body["status"]) == (200, "ok")


def test_make_status_shows_each_services_health_rpc_answer(stack):
    from ops.stack import service_health, supervisor

    answers = service_health.answers()
    assert [answer.service for answer in answers] == list(SERVICES)
    assert all(answer.problem is None for answer in answers), answers
    running = {info["pid"]: name for name, info in supervisor.states().items()}
    for answer in answers:  # the instance that answered is one of the service's processes
        assert running[answer.pid].startswith(f"{answer.service}-"), answer
