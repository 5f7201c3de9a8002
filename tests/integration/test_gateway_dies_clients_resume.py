"""A gateway dies mid-conversation; its clients reconnect through Traefik and resume.

Ann sends on a socket of gateway-8102 while Bob listens on gateway-8101 and Cat on
gateway-8102. After some of Ann's messages are acknowledged, gateway-8101 is killed
with SIGKILL. Bob's socket drops; his client reconnects through Traefik (to whichever
gateway answers) with `?resume=1`, sends `resume` with the last seq it saw, and goes
on listening. In the end Bob and Cat have each seen every acknowledged message exactly
once (after deduping by id, as every client does), in seq order, and supervisor has
brought gateway-8101 back."""
from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest
from tornado.websocket import websocket_connect

from ops.stack import supervisor
from tests.support.client import Person, eventually, people_in_a_channel

MESSAGES = 60
KILL_AFTER = 20   # acknowledged messages
VICTIM, SURVIVOR = "gateway-8101", "gateway-8102"
DIRECT = {VICTIM: "ws://127.0.0.1:8101", SURVIVOR: "ws://127.0.0.1:8102"}


class Device:
    """A client's socket: keeps the events it gets and the last seq per channel, and
    after a drop reconnects through ``reconnect_url`` and resumes."""

    def __init__(self, person: Person, reconnect_url: str):
        self.person, self.reconnect_url = person, reconnect_url
        self.frames: list[dict] = []
        self.last_seq: dict[str, int] = {}
        self.resumed: list[dict] = []
        self.reconnects = 0
        self.ws = None
        self._task: asyncio.Task | None = None

    async def open(self, ws_base: str, channel_id: str) -> None:
        self.last_seq.setdefault(channel_id, 0)
        await self._connect(ws_base)
        self._task = asyncio.create_task(self._listen())

    async def _connect(self, ws_base: str) -> None:
        self.ws = await websocket_connect(
            f"{ws_base}/ws?access_token={self.person.token}&resume=1")
        hello = json.loads(await asyncio.wait_for(self.ws.read_message(), 10))
        assert hello["type"] == "hello", hello
        await self.ws.write_message(json.dumps({"type": "resume",
                                                "channels": dict(self.last_seq)}))

    async def _listen(self) -> None:
        while True:
            raw = await self.ws.read_message()
            if raw is None:   # the gateway went away: reconnect anywhere and resume
                await self._reconnect()
                continue
            frame = json.loads(raw)
            self.frames.append(frame)
            if frame["type"] == "resumed":
                self.resumed.append(frame)
            if frame["type"] == "message.created":
                data = frame["data"]
                self.last_seq[data["channel_id"]] = max(self.last_seq.get(data["channel_id"], 0),
                                                        data["seq"])

    async def _reconnect(self) -> None:
        self.reconnects += 1
        for _ in range(300):
            try:
                await self._connect(self.reconnect_url)
                return
            except Exception:   # refused, 502 while Traefik still routes to the dead one
                await asyncio.sleep(0.1)
        raise AssertionError("could not reconnect through Traefik")

    def messages_once(self, channel_id: str) -> list[dict]:
        """The channel's messages as a client shows them: the first copy of each id."""
        seen, shown = set(), []
        for frame in self.frames:
            data = frame.get("data") or {}
            if frame["type"] == "message.created" and data.get("channel_id") == channel_id \
                    and data["id"] not in seen:
                seen.add(data["id"])
                shown.append(data)
        return shown

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.ws is not None:
            self.ws.close()


def running_pid(program: str) -> int:
    info = supervisor.states()[program]
    assert info["statename"] == "RUNNING", info
    return info["pid"]


@pytest.fixture
async def conversation(base_url):
    return await people_in_a_channel(base_url, "ann", "bob", "cat")


async def test_a_killed_gateways_clients_resume_elsewhere_with_nothing_lost_or_doubled(
        conversation, base_url):
    (ann, bob, cat), channel_id = conversation
    through_traefik = base_url.replace("http", "ws", 1)
    sender = Device(ann, through_traefik)
    bobs, cats = Device(bob, through_traefik), Device(cat, through_traefik)
    await sender.open(DIRECT[SURVIVOR], channel_id)
    await bobs.open(DIRECT[VICTIM], channel_id)
    await cats.open(DIRECT[SURVIVOR], channel_id)
    await eventually(lambda: _true(len(bobs.resumed) == len(cats.resumed) == 1))

    acknowledged: list[dict] = []
    killed_pid = None
    try:
        for i in range(MESSAGES):
            req_id = f"send-{i}"
            await sender.ws.write_message(json.dumps({
                "type": "send", "req_id": req_id, "channel_id": channel_id,
                "client_msg_id": f"m-{i}", "text": f"message {i}"}))
            ack = await eventually(lambda: _true(next(
                (f for f in sender.frames if f.get("req_id") == req_id), None)), timeout=20)
            assert ack["type"] == "ack", ack
            acknowledged.append(ack["message"])
            if len(acknowledged) == KILL_AFTER:
                killed_pid = running_pid(VICTIM)
                os.kill(killed_pid, signal.SIGKILL)
            await asyncio.sleep(0.02)

        wanted = [m["id"] for m in acknowledged]
        for device in (bobs, cats):
            await eventually(lambda: _true(
                len(device.messages_once(channel_id)) >= MESSAGES), timeout=30)
            shown = device.messages_once(channel_id)
            assert [m["id"] for m in shown] == wanted   # each once, in the order sent
            assert [m["seq"] for m in shown] == list(range(1, MESSAGES + 1))

        assert bobs.reconnects >= 1 and cats.reconnects == 0
        after_drop = bobs.resumed[-1]["channels"][channel_id]
        assert "error" not in after_drop and after_drop["complete"] is True
        assert sender.reconnects == 0
    finally:
        for device in (sender, bobs, cats):
            device.close()

    def back_up() -> bool:
        info = supervisor.states()[VICTIM]
        return info["statename"] == "RUNNING" and info["pid"] != killed_pid

    await eventually(lambda: _true(back_up()), timeout=30, interval=0.5)


async def _true(value):
    return value
