"""What fan-out costs: from one publish on the real-time bus to N sockets.

Signs a person up through Traefik, creates a channel, opens N WebSockets through
Traefik (Traefik spreads them over the gateways), then publishes events on the
``parley.realtime`` exchange with routing key ``channel.<id>`` exactly as a service's
RealtimeBus does (JSON envelope, publisher confirms), one at a time, and measures:

- ``confirm_ms``: publish until RabbitMQ confirmed it (what a service waits for);
- ``first_ms`` / ``last_ms``: publish until the first / the last of the N sockets
  had the event (the gateways forward ``{type, data}``).

The reader is this one Python process reading all N sockets, so ``last_ms`` for
large N includes its own time to read them.

    make bench            # or: .venv/bin/python -m bench.fanout --sockets 1 10 100
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import aio_pika
from tornado.websocket import websocket_connect

from services.common.config import get_config
from services.common.events import REALTIME_EXCHANGE, Event, channel_key
from tests.support.client import Person, unique_email

BENCH_TYPE = "bench.ping"


def summary(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
            "max_ms": round(samples[-1], 2)}


class Socket:
    """One socket; records when each bench event arrived, by event number."""

    def __init__(self, ws):
        self.ws = ws
        self.arrived: dict[int, float] = {}
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while (raw := await self.ws.read_message()) is not None:
            frame = json.loads(raw)
            if frame.get("type") == BENCH_TYPE:
                self.arrived[frame["data"]["n"]] = time.perf_counter()


async def open_sockets(base_url: str, token: str, count: int) -> list[Socket]:
    sockets = []
    url = base_url.replace("http", "ws", 1) + f"/ws?access_token={token}"
    for _ in range(count):
        ws = await websocket_connect(url)
        hello = json.loads(await ws.read_message())
        assert hello["type"] == "hello", hello
        sockets.append(Socket(ws))
    return sockets


async def run(base_url: str, amqp_uri: str, counts: list[int], events: int) -> dict:
    person = await Person(base_url, unique_email("bench")).sign_up()
    created = await person.call("POST", "/channels", {
        "name": f"bench-{uuid.uuid4().hex[:8]}", "is_private": False})
    assert created.status == 201, created.body
    channel_id = created.body["id"]
    connection = await aio_pika.connect_robust(amqp_uri)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.declare_exchange(REALTIME_EXCHANGE, aio_pika.ExchangeType.TOPIC,
                                              durable=True)
    results = {}
    try:
        for count in counts:
            sockets = await open_sockets(base_url, person.token, count)
            await asyncio.sleep(0.5)   # every socket's bindings are in place
            confirm, first, last = [], [], []
            for n in range(events):
                event = Event(type=BENCH_TYPE, data={"channel_id": channel_id, "n": n})
                started = time.perf_counter()
                await exchange.publish(aio_pika.Message(
                    event.to_json(), content_type="application/json"),
                    routing_key=channel_key(channel_id))
                confirm.append((time.perf_counter() - started) * 1000)
                deadline = started + 10
                while (any(n not in s.arrived for s in sockets)
                       and time.perf_counter() < deadline):
                    await asyncio.sleep(0.0005)
                times = [s.arrived[n] for s in sockets if n in s.arrived]
                assert len(times) == count, f"{count - len(times)} sockets missed event {n}"
                first.append((min(times) - started) * 1000)
                last.append((max(times) - started) * 1000)
            results[str(count)] = {"sockets": count, "events": events,
                                   "confirm": summary(confirm), "first_socket": summary(first),
                                   "last_socket": summary(last)}
            print(json.dumps(results[str(count)]))
            for socket in sockets:
                socket.ws.close()
            await asyncio.sleep(0.5)
    finally:
        await connection.close()
        person.close()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--out", default="var/bench/fanout.json")
    args = parser.parse_args(argv)
    cfg = get_config()
    base_url = f"http://{cfg['stack.host']}:{cfg['traefik.port']}"
    results = asyncio.run(run(base_url, cfg["amqp.uri"], args.sockets, args.events))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "fanout", "at": datetime.now(timezone.utc)
                               .isoformat(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
