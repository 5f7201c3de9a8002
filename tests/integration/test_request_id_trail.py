"""One request id finds the whole story of a message across processes: the client's
own ``X-Request-Id`` on a send through Traefik appears in the logs of the gateway
that took it, of the messaging instance that stored it, and of the Kafka consumers
that applied its ``message.created`` (var/log/<program>.log), each time on a JSON
line that also names the time, level, service, instance and event."""
from __future__ import annotations

import asyncio
import json
import uuid

from ops.stack import paths
from tests.support.client import people_in_a_channel

FIELDS = {"timestamp", "level", "service", "instance", "event", "request_id"}


def lines_with(request_id: str, pattern: str) -> list[dict]:
    """The JSON log lines carrying ``request_id`` in the logs matching ``pattern``."""
    found = []
    for log in sorted(paths.log_dir().glob(pattern)):
        with open(log, errors="replace") as handle:
            for line in handle:
                if request_id in line:
                    found.append(json.loads(line))  # a line that is not JSON fails here
    return found


async def until_logged(request_id: str, pattern: str, enough=bool,
                       timeout: float = 20.0) -> list[dict]:
    """The lines once ``enough(lines)`` holds, or what there is at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = lines_with(request_id, pattern)
        if enough(found) or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


def applied_by(lines: list[dict]) -> set[str]:
    return {line["service"] for line in lines if line["event"] == "event_applied"}


async def test_a_clients_request_id_is_in_the_gateway_messaging_and_consumer_logs(base_url):
    (ada, bob), channel_id = await people_in_a_channel(base_url, "trail-ada", "trail-bob")
    request_id = f"trail-{uuid.uuid4().hex}"
    sent = await ada.call("POST", f"/channels/{channel_id}/messages",
                          {"client_msg_id": uuid.uuid4().hex, "text": "follow me"},
                          headers={"X-Request-Id": request_id})
    assert sent.status == 201, sent.body
    assert sent.headers["X-Request-Id"] == request_id

    story = {
        "gateway": await until_logged(request_id, "gateway-*.log"),
        "messaging": await until_logged(request_id, "messaging-*.log"),
        "consumer": await until_logged(  # each consumer group applies it in its own time
            request_id, "*-consumer.log",
            lambda lines: applied_by(lines) & {"users-consumer", "channels-consumer"}),
    }
    assert all(story.values()), {where: len(lines) for where, lines in story.items()}
    for where, lines in story.items():
        for line in lines:
            assert FIELDS <= line.keys(), (where, line)
            assert line["request_id"] == request_id, (where, line)

    assert any(l["event"] == "request_handled" and l["status"] == 201 for l in story["gateway"])
    assert any(l["event"] == "rpc_handled" and l["rpc"] == "messaging.send"
               for l in story["messaging"])
    assert applied_by(story["consumer"]) & {"users-consumer", "channels-consumer"}, \
        story["consumer"]
