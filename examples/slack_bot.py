"""A small Slack bot that runs against Parley unmodified, written with the official
``slack_sdk`` (docs/slack-compat.md).

It watches channels by polling ``conversations.history`` (RTM and Socket Mode are
not built yet) and answers commands in a thread:

    !ping          -> pong
    !echo <text>   -> <text>
    !who           -> who it is, from auth.test

Make a bot (an owner or admin; or ``n.rpc.auth.admin_create_bot("echo-bot")`` in
``make shell``), then::

    curl -s http://127.0.0.1:8000/api/v1/admin/bots -H "Authorization: Bearer $ADMIN_TOKEN" \\
         -d '{"name": "echo-bot", "key": "echo-bot"}'          # -> bot_token: xoxb-…
    SLACK_BOT_TOKEN=xoxb-… SLACK_CHANNEL=C0A1B2… .venv/bin/python examples/slack_bot.py

``SLACK_BASE_URL`` defaults to the local stack's ``http://127.0.0.1:8000/slack/api/``.
The bot joins the channel if it is public (a private one: invite it).
"""
from __future__ import annotations

import logging
import os
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

POLL_SECONDS = 2.0


class EchoBot:
    def __init__(self, client: WebClient, channel: str):
        self.client = client
        self.channel = channel
        me = client.auth_test()
        self.bot_id, self.user_id, self.name = me["bot_id"], me["user_id"], me["user"]
        # from this second on (a time, not a message's ts, counts in whole seconds)
        self.since = str(int(time.time()))

    def join(self) -> None:
        try:
            self.client.conversations_join(channel=self.channel)
        except SlackApiError as refused:   # a private channel: someone invites the bot
            if refused.response["error"] != "method_not_supported_for_channel_type":
                raise

    def answer(self, text: str) -> str | None:
        command, _, rest = text.strip().partition(" ")
        if command == "!ping":
            return "pong"
        if command == "!echo" and rest.strip():
            return rest.strip()
        if command == "!who":
            return f"I am {self.name} ({self.user_id}, bot {self.bot_id})"
        return None

    def poll_once(self) -> int:
        """Answer the commands posted since the last poll; how many were answered."""
        answered, cursor, new = 0, None, []
        while True:   # every page since the last poll (newest first)
            page = self.client.conversations_history(channel=self.channel, oldest=self.since,
                                                     limit=100, cursor=cursor)
            new += page["messages"]
            cursor = page["response_metadata"]["next_cursor"]
            if not cursor:
                break
        for message in reversed(new):   # oldest first
            self.since = max(self.since, message["ts"], key=float)
            if message.get("bot_id") == self.bot_id or message.get("subtype"):
                continue
            reply = self.answer(message.get("text", ""))
            if reply is not None:
                self.client.chat_postMessage(channel=self.channel, text=reply,
                                             thread_ts=message["ts"],
                                             client_msg_id=f"reply-{message['ts']}")
                answered += 1
        return answered

    def run(self) -> None:
        while True:
            try:
                self.poll_once()
            except SlackApiError as error:
                if error.response.status_code != 429:
                    raise
                time.sleep(int(error.response.headers.get("Retry-After", "1")))
            time.sleep(POLL_SECONDS)


def web_client() -> WebClient:
    """The bot's WebClient on Parley: ``SLACK_BOT_TOKEN``, ``SLACK_BASE_URL``."""
    return WebClient(token=os.environ["SLACK_BOT_TOKEN"],
                     base_url=os.environ.get("SLACK_BASE_URL",
                                             "http://127.0.0.1:8000/slack/api/"))


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    bot = EchoBot(web_client(), os.environ["SLACK_CHANNEL"])
    bot.join()
    logging.info("%s is listening in %s", bot.name, bot.channel)
    bot.run()


if __name__ == "__main__":
    main()
