"""What writing one event to many sockets costs a gateway, per frame.

An event into a channel goes to every socket of the gateway listening to it, so the
gateway's CPU per message grows with its listeners (at 1,000 people the gateways
write about 44 frames per message). This puts a number on the two ways of writing
those frames, in a Tornado server in this process, to sockets opened by a client in
a child process (so that reading them costs this process nothing):

- ``write_message``: Tornado's ``WebSocketHandler.write_message`` for every socket,
  which encodes the text, copies it behind a new header and wraps the write in a
  task of its own each time (what the gateway did until 2026-11-24);
- ``write_frame``: the frame built once (gateway_tornado/ws_protocol.py,
  ``text_frame``) and written as it is to each socket (``write_frame``, what the
  gateway does).

Each round writes ``--events`` events of a realistic ``message.created`` frame to all
``--sockets`` sockets, yielding to the loop between events as the hub does, then a
last frame that each socket answers once it has read everything: the round ends when
every socket has answered. CPU is this process's (``time.process_time``: building,
writing and flushing the frames); the rounds alternate between the two ways.

    .venv/bin/python -m bench.socket_writes [--sockets 500] [--events 200] [--rounds 3]

JSON in var/bench/socket_writes.json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import tornado.httpserver
import tornado.web
import tornado.websocket
from tornado.testing import bind_unused_port

from gateway_tornado.ws_protocol import strict_text, text_frame

END = "end of round"
MESSAGE = {"type": "message.created", "data": {
    "id": "6743a1f0c2b1e94f0a1b2c3d", "channel_id": "c-0123456789abcdef", "seq": 41_234,
    "sender_id": "u-0123456789abcdef", "client_msg_id": "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    "text": "Deploy is done, the dashboards look calm; shout if anything looks odd.",
    "thread_parent_id": None, "mentions": [], "attachments": [], "reactions": {},
    "reply_count": 0, "created_at": "2026-11-24T16:10:00.123456+00:00",
    "edited_at": None, "deleted": False}}


class Server:
    def __init__(self) -> None:
        self.sockets: list[Socket] = []
        self.answers = 0
        self.round_over: asyncio.Event | None = None
        self.pending = 0

    def answered(self) -> None:
        self.answers += 1
        if self.answers == len(self.sockets):
            self.round_over.set()

    def _written(self, future: asyncio.Future) -> None:
        self.pending -= 1
        if not future.cancelled():
            future.exception()

    def write_message(self, text: str) -> None:
        for socket in self.sockets:
            self.pending += 1
            socket.write_message(text).add_done_callback(self._written)

    def write_frame(self, text: str) -> None:
        frame = text_frame(text)
        for socket in self.sockets:
            self.pending += 1
            socket.ws_connection.write_frame(frame).add_done_callback(self._written)

    async def round(self, way: str, events: int) -> dict:
        write = getattr(self, way)
        self.answers, self.round_over = 0, asyncio.Event()
        cpu, wall = time.process_time(), time.perf_counter()
        for seq in range(events):
            write(json.dumps({**MESSAGE, "data": {**MESSAGE["data"], "seq": seq}}))
            await asyncio.sleep(0)
        write(json.dumps({"type": END}))
        await self.round_over.wait()
        frames = (events + 1) * len(self.sockets)
        return {"way": way, "frames": frames,
                "cpu_us_per_frame": round((time.process_time() - cpu) / frames * 1e6, 2),
                "wall_ms_per_event": round((time.perf_counter() - wall) / (events + 1) * 1e3,
                                           3)}


class Socket(tornado.websocket.WebSocketHandler):
    def initialize(self, server: Server) -> None:
        self.server = server

    def get_websocket_protocol(self):
        return strict_text(super().get_websocket_protocol())

    def open(self) -> None:
        self.server.sockets.append(self)

    def on_message(self, message) -> None:
        self.server.answered()


async def client(port: int, sockets: int) -> None:
    """The child: opens the sockets, says so, and answers each round's last frame."""
    async def read(ws) -> None:
        while (raw := await ws.read_message()) is not None:
            if raw == '{"type": "%s"}' % END:
                await ws.write_message("read")
    connections = [await tornado.websocket.websocket_connect(f"ws://127.0.0.1:{port}/")
                   for _ in range(sockets)]
    print("ready", flush=True)
    await asyncio.gather(*(read(ws) for ws in connections))


async def measure(sockets: int, events: int, rounds: int) -> dict:
    server = Server()
    app = tornado.web.Application([("/", Socket, {"server": server})])
    listening, port = bind_unused_port()
    http = tornado.httpserver.HTTPServer(app)
    http.add_sockets([listening])
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.socket_writes", "--client", str(port), str(sockets),
        stdout=subprocess.PIPE)
    try:
        assert (await asyncio.wait_for(child.stdout.readline(), 120)).strip() == b"ready"
        while len(server.sockets) < sockets:
            await asyncio.sleep(0.05)
        runs = []
        for _ in range(rounds):
            for way in ("write_message", "write_frame"):
                runs.append(await server.round(way, events))
                print(json.dumps(runs[-1]), flush=True)
        return {"sockets": sockets, "events": events, "runs": runs,
                "median": {way: {key: statistics.median(r[key] for r in runs if r["way"] == way)
                                 for key in ("cpu_us_per_frame", "wall_ms_per_event")}
                           for way in ("write_message", "write_frame")}}
    finally:
        child.kill()
        await child.wait()
        http.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(client(*args.client))
        return
    result = asyncio.run(measure(args.sockets, args.events, args.rounds))
    result["at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    out = Path("var/bench/socket_writes.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result["median"], indent=2))


if __name__ == "__main__":
    main()
