"""After a little real traffic, the real Prometheus scraping the real stack has every
series family that on-call dashboards and alerts read (docs/architecture.md,
"Observability"), and every scrape target, Parley's processes and the servers'
exporters alike, is up."""
from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

from tornado.httpclient import AsyncHTTPClient

from ops.stack.programs import metrics_targets
from tests.support.client import eventually, people_in_a_channel

STORES = ("postgres", "mongo", "redis", "s3")


async def query(stack, promql: str) -> list[dict]:
    url = (f"http://{stack['stack.host']}:{stack['prometheus.port']}/api/v1/query?"
           + urlencode({"query": promql}))
    answer = await AsyncHTTPClient().fetch(url, request_timeout=10)
    body = json.loads(answer.body)
    assert body["status"] == "success", body
    return body["data"]["result"]


def total(result: list[dict]) -> float:
    return sum(float(series["value"][1]) for series in result)


async def some_traffic(base_url: str) -> None:
    """Sockets open and close, a message goes out and is fanned out, a file is
    uploaded, a channel that does not exist is asked for (an RPC error)."""
    (ada, bob), channel_id = await people_in_a_channel(base_url, "ada", "bob")
    await ada.connect()
    await bob.connect()
    ack = await ada.request({"type": "send", "channel_id": channel_id,
                             "client_msg_id": uuid.uuid4().hex, "text": "metrics, please"})
    assert ack["type"] == "ack", ack
    await bob.next_frame(lambda f: f["type"] == "message.created")
    uploaded = await ada.call("POST", "/files?filename=note.txt", raw=b"twelve bytes",
                              headers={"Content-Type": "text/plain"})
    assert uploaded.status == 201, uploaded.body
    missing = await ada.call("GET", f"/channels/{uuid.uuid4().hex}")
    assert missing.status == 404, missing.body
    ada.close()
    bob.close()


# family -> the PromQL whose answer must not be empty (and, where our traffic makes
# it so, positive) once the traffic has been scraped
SERIES = {
    "parley_ws_send_ack_seconds": "sum(parley_ws_send_ack_seconds_count) > 0",
    "parley_ws_fanout_delay_seconds": "sum(parley_ws_fanout_delay_seconds_count) > 0",
    "parley_ws_disconnects_total": 'sum(parley_ws_disconnects_total{reason="client_closed"}) > 0',
    "parley_rpc_errors_total": 'sum(parley_rpc_errors_total{service="channels"}) > 0',
    "parley_rpc_in_flight": 'parley_rpc_in_flight{job="messaging"}',
    "parley_rpc_client_calls_total": 'sum(parley_rpc_client_calls_total{job="gateway"}) > 0',
    "parley_events_duplicates_total": 'parley_events_duplicates_total{group="parley-users"}',
    "parley_uploads_total": "sum(parley_uploads_total) > 0",
    "parley_upload_bytes_total": "sum(parley_upload_bytes_total) >= 12",
    "parley_people_online": 'parley_people_online{status="online"}',
    "parley_store_errors_total": "parley_store_errors_total",
    **{f"parley_store_operation_duration_seconds{{store={store}}}":
       f'sum(parley_store_operation_duration_seconds_count{{store="{store}"}}) > 0'
       for store in STORES},
    # the servers themselves
    "pg_up": 'pg_up{job="postgres"} == 1',
    "redis_up": 'redis_up{job="redis"} == 1',
    "kafka (JMX)": 'kafka_controller_kafkacontroller_activecontrollercount{job="kafka"} == 1',
    "kafka messages in": 'kafka_server_brokertopicmetrics_messagesin_total{topic="message.created"}',
    "rabbitmq": 'rabbitmq_build_info{job="rabbitmq"}',
    "traefik": 'traefik_config_reloads_total{job="traefik"}',
    "ferretdb": '{job="ferretdb"}',
}


async def test_every_new_series_family_has_samples_after_real_traffic(stack, base_url):
    await some_traffic(base_url)

    async def missing() -> list[str]:
        return [family for family, promql in SERIES.items() if not await query(stack, promql)]

    # Prometheus scrapes every 5 s; presence counts people at its sweep, every 5 s
    async def nothing_missing():
        return not await missing() or None
    try:
        await eventually(nothing_missing, timeout=45, interval=2)
    except AssertionError:
        raise AssertionError(f"no samples in Prometheus for {await missing()}") from None


async def test_every_scrape_target_is_up(stack):
    expected = set(metrics_targets())
    problems: list = []

    async def all_up():
        result = await query(stack, "up")
        jobs = {series["metric"]["job"] for series in result}
        down = [f"{s['metric']['job']} {s['metric']['instance']}" for s in result
                if s["value"][1] != "1"]
        problems[:] = [sorted(expected - jobs), down]
        return (expected <= jobs and not down) or None

    try:
        await eventually(all_up, timeout=30, interval=2)
    except AssertionError:
        raise AssertionError(f"jobs not scraped, targets down: {problems}") from None
