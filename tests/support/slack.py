"""Helpers of the Slack-compatible API's integration tests: slack_sdk clients on
Parley, bots made by an operator, and collecting what a socket client hears."""
from __future__ import annotations

import threading
import time
import uuid

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler


def web_client(base_url: str, token: str | None) -> WebClient:
    """A WebClient on Parley (through Traefik) that waits out ``ratelimited``."""
    client = WebClient(token=token, base_url=f"{base_url}/slack/api/", timeout=30)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=30))
    return client


def close_rtm(client) -> None:
    """Close a slack_sdk ``rtm_v2.RTMClient`` and stop its threads. Its own ``close``
    (slack_sdk 3.47) stops none of them, unlike ``SocketModeClient.close``: the session
    monitor went on pinging (and could reconnect) for the rest of the test run, masking
    each ping with the global ``random`` module, which Hypothesis, drawing a later
    test's frames, reported as a strategy using ``random``."""
    client.auto_reconnect_enabled = False
    client.current_session_state.terminated = True   # ends the session runner's loop
    client.close()
    for runner in (client.current_app_monitor, client.current_session_runner,
                   client.message_processor):
        if runner.is_alive():
            runner.shutdown()
    client.message_workers.shutdown()


async def new_bot(system, scopes: list[str] | None = None) -> dict:
    """A bot made by an operator (`nameko shell`'s auth.admin_create_bot)."""
    name = f"bot-{uuid.uuid4().hex[:10]}"
    return await system.call("auth", "admin_create_bot", name, display_name=name.title(),
                             scopes=scopes)


async def bot_in_a_new_channel(base_url: str, system, prefix: str) -> dict:
    """Ann (a person), a new bot, and a public channel Ann made with the bot in it:
    ``{"ann", "bot", "channel", "as_ann"}``."""
    from tests.support.client import Person, unique_email
    ann = await Person(base_url, unique_email("ann")).sign_up()
    bot = await new_bot(system)
    as_ann = web_client(base_url, ann.token)
    channel = as_ann.conversations_create(
        name=f"{prefix}-{uuid.uuid4().hex[:8]}")["channel"]["id"]
    as_ann.conversations_invite(channel=channel, users=slack_user(bot["user_id"]))
    return {"ann": ann, "bot": bot, "channel": channel, "as_ann": as_ann}


def slack_user(parley_user_id: str) -> str:
    return "U" + parley_user_id.upper()


class Heard:
    """What a socket client's listener got (from its own threads), searchable."""

    def __init__(self):
        self.items: list[dict] = []
        self._lock = threading.Lock()

    def add(self, item: dict) -> None:
        with self._lock:
            self.items.append(item)

    def wait_for(self, match, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for item in self.items:
                    if match(item):
                        return item
            time.sleep(0.05)
        raise AssertionError(f"nothing matching in {timeout}s; last: {self.items[-5:]}")
