"""A bare Tornado WebSocket echo server: the floor under any WebSocket chat server on
this machine (one process, no auth, no bus, no store). The floors scenario starts it
as a subprocess so that its event loop is not the generator's.

    .venv/bin/python -m bench.load.echo --port 8199
"""
from __future__ import annotations

import argparse
import asyncio

from tornado.web import Application
from tornado.websocket import WebSocketHandler


class Echo(WebSocketHandler):
    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))


async def serve(port: int) -> None:
    Application([(r"/echo", Echo)]).listen(port, address="127.0.0.1")
    print(f"echo listening on {port}", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args(argv).port))


if __name__ == "__main__":
    main()
