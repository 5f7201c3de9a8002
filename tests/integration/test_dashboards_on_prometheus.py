"""Every panel of every Grafana dashboard returns data from the real Prometheus
scraping the real stack, after a short real workload.

Grafana itself does not run here (DESIGN.md §3): each panel's PromQL is run the way
Grafana would run it, as a range query over the last minutes, with the template
variables at "All" (`.*`) and `$__rate_interval` at 1m (4 scrapes of 5 s, and more).
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from urllib.parse import urlencode

import pytest

from ops.grafana.__main__ import render
from tests.support.client import Person, eventually, http, people_in_a_channel, unique_email
from tests.support.push import Browser, PushService

SUBSTITUTIONS = {"$__rate_interval": "1m", "$instance": ".*", "$service": ".*", "$store": ".*"}


def grafana_substitute(expr: str) -> str:
    for variable, value in SUBSTITUTIONS.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"a variable left in {expr}"
    return expr


def panel_queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel title, PromQL) for every query of every panel."""
    found = []
    for name, text in sorted(render().items()):
        for panel in json.loads(text)["panels"]:
            for target in panel.get("targets", []):
                found.append((name, panel["title"], grafana_substitute(target["expr"])))
    return found


@pytest.fixture(scope="module")
def prometheus(stack) -> str:
    return f"http://{stack['stack.host']}:{stack['prometheus.port']}"


async def query(prometheus: str, expr: str, minutes: int = 10) -> list:
    now = time.time()
    args = urlencode({"query": expr, "start": now - minutes * 60, "end": now, "step": "15"})
    answer = await http("GET", f"{prometheus}/api/v1/query_range?{args}")
    assert answer.status == 200 and answer.body["status"] == "success", (expr, answer.body)
    return answer.body["data"]["result"]


async def scalar(prometheus: str, expr: str) -> float:
    answer = await http("GET", f"{prometheus}/api/v1/query?{urlencode({'query': expr})}")
    assert answer.status == 200, answer.body
    result = answer.body["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


async def workload(base_url: str) -> int:
    """Two people in a channel, live sockets, messages over HTTP and the socket, a
    file, a read, a request for a channel that does not exist, a frame over the
    socket's size limit, a socket flooded with frames, and a DM pushed to someone
    offline. Returns how many messages it stored."""
    (ann, bob), channel = await people_in_a_channel(base_url, "dash-ann", "dash-bob")
    await ann.connect()
    await bob.connect()
    sent = 0
    for i in range(5):
        ack = await ann.request({"type": "send", "channel_id": channel,
                                 "client_msg_id": f"ws-{i}", "text": f"socket {i}"})
        assert ack["type"] == "ack", ack
        answer = await bob.call("POST", f"/channels/{channel}/messages",
                                {"client_msg_id": f"http-{i}", "text": f"http {i} @dash-ann"})
        assert answer.status == 201, answer.body
        sent += 2
    await bob.next_frame(lambda f: f["type"] == "message.created"
                         and f["data"]["text"] == "socket 4")
    uploaded = await ann.call("POST", "/files?filename=notes.txt", raw=b"numbers\n" * 50,
                              headers={"Content-Type": "text/plain"})
    assert uploaded.status == 201, uploaded.body
    assert (await bob.call("POST", f"/channels/{channel}/read", {"seq": sent})).status == 200
    assert (await ann.call("GET", f"/channels/{uuid.uuid4()}")).status in (400, 404)
    # A third socket sends a frame over max_frame_bytes: the gateway closes it (1009).
    carl = Person(base_url, ann.email, token=ann.token, user_id=ann.user_id)
    await carl.connect()
    await carl.ws.write_message("x" * (300 * 1024))
    await eventually(lambda: _closed(carl), timeout=15)
    # A fourth floods its socket with frames: refused over the budget, then closed (1008).
    dave = Person(base_url, ann.email, token=ann.token, user_id=ann.user_id)
    await dave.connect()
    for _ in range(600):
        if dave.ws.close_code is not None:
            break
        await dave.ws.write_message("{")
    await eventually(lambda: _closed(dave), timeout=15)
    assert any(f.get("code") == "rate_limited" for f in dave.frames)
    for person in (carl, dave):
        person.close()
    # A DM to someone offline with a push subscription: decided, pushed (to a push
    # service on loopback), and an email digest queued.
    push_service = PushService()
    erin = await Person(base_url, unique_email("dash-erin")).sign_up()
    try:
        subscribed = await erin.call("POST", "/push/subscriptions",
                                     {"endpoint": push_service.endpoint("erin"),
                                      "keys": Browser().keys(), "user_agent": "dashboards test"})
        assert subscribed.status == 201, subscribed.body
        dm = await ann.call("POST", "/dms", {"user_ids": [erin.user_id]})
        assert dm.status in (200, 201), dm.body
        answer = await ann.call("POST", f"/channels/{dm.body['id']}/messages",
                                {"client_msg_id": "dm-1", "text": "are you there?"})
        assert answer.status == 201, answer.body
        sent += 1

        async def pushed():
            return push_service.to("erin")

        await eventually(pushed, timeout=30)
    finally:
        push_service.stop()
    for person in (ann, bob):
        person.close()
    return sent


async def _closed(person: Person) -> bool:
    return person.ws.close_code is not None


async def test_every_panel_returns_data_after_a_workload(base_url, prometheus):
    before = await scalar(prometheus, "sum(parley_messages_sent_total)")
    sent = await workload(base_url)

    # Scrapes every 5 s and rules every 5 s: poll until Prometheus has seen the workload.
    async def seen():
        return await scalar(prometheus, "sum(parley_messages_sent_total)") >= before + sent

    await eventually(seen, timeout=60, interval=1)

    async def empty_panels() -> list[str]:
        missing = []
        for dashboard, title, expr in panel_queries():
            if not await query(prometheus, expr):
                missing.append(f"{dashboard}: {title}: {expr}")
        return missing

    # Rates need two scrapes after the workload, recording rules one evaluation more.
    deadline = asyncio.get_running_loop().time() + 60
    missing = await empty_panels()
    while missing and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(5)
        missing = await empty_panels()
    assert not missing, "panels without data:\n" + "\n".join(missing)
    assert len(panel_queries()) > 50
