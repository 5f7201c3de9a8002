"""The echo bot of ``slack_bot.py`` over Socket Mode: no polling, every message of
the bot's conversations arrives at once in an ``events_api`` envelope
(docs/slack-compat.md, Socket Mode), written with the official ``slack_sdk``.

Make a bot (``n.rpc.auth.admin_create_bot("echo-bot")`` in ``make shell``, or
``POST /api/v1/admin/bots``), invite it to a channel, then::

    SLACK_BOT_TOKEN=xoxb-… SLACK_APP_TOKEN=xapp-… \\
        .venv/bin/python examples/slack_socket_mode_bot.py

It answers ``!ping``, ``!echo <text>`` and ``!who`` in a thread, in every
conversation it is in. ``SLACK_BASE_URL`` defaults to the local stack.
"""
from __future__ import annotations

import logging
import os
import threading

from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from slack_bot import EchoBot, web_client


class SocketModeEchoBot(EchoBot):
    def __init__(self, client: WebClient, app_token: str):
        super().__init__(client, channel="")
        self.socket = SocketModeClient(app_token=app_token, web_client=client)
        self.socket.socket_mode_request_listeners.append(self.on_request)

    def on_request(self, socket: SocketModeClient, request: SocketModeRequest) -> None:
        # acknowledge first: an envelope left unacknowledged is sent again
        socket.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        event = request.payload.get("event", {})
        if request.type != "events_api" or event.get("type") != "message" \
                or event.get("subtype") or event.get("bot_id") == self.bot_id:
            return
        reply = self.answer(event.get("text", ""))
        if reply is not None:
            self.client.chat_postMessage(channel=event["channel"], text=reply,
                                         thread_ts=event.get("thread_ts") or event["ts"],
                                         client_msg_id=f"reply-{event['channel']}-{event['ts']}")

    def run(self) -> None:
        self.socket.connect()
        threading.Event().wait()   # the SDK's threads do the work


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    bot = SocketModeEchoBot(web_client(), os.environ["SLACK_APP_TOKEN"])
    logging.info("%s is listening over Socket Mode", bot.name)
    bot.run()


if __name__ == "__main__":
    main()
