"""Parley's promise under failure: processes die mid-traffic, nothing acknowledged is lost.

While people send messages through Traefik, a gateway, a messaging instance and the
outbox relay are killed with SIGKILL (no clean shutdown). Clients retry with the same
client id, as every Parley client does. Supervisor must bring each process back, every
send must in the end be acknowledged, and every acknowledged message must be in the
channel's history exactly once, with gapless sequence numbers, and must reach the Kafka
consumers exactly once in effect."""
from __future__ import annotations

import asyncio
import os
import signal
import uuid

import pytest

from ops.stack import supervisor
from tests.support.client import Person, eventually, unique_email

SENDERS = 3
MESSAGES_PER_SENDER = 40
TOTAL = SENDERS * MESSAGES_PER_SENDER
# after how many acknowledged messages each process is killed
KILLS = {20: "gateway-8101", 50: "messaging-1", 80: "outbox-relay"}


@pytest.fixture
async def channel_with_two_people(base_url):
    ann = await Person(base_url, unique_email("ann")).sign_up()
    bob = await Person(base_url, unique_email("bob")).sign_up()
    created = await ann.call("POST", "/channels", {"name": f"chaos-{uuid.uuid4().hex[:8]}"})
    assert created.status == 201, created.body
    assert (await bob.call("POST", f"/channels/{created.body['id']}/join")).status == 200
    return ann, bob, created.body["id"]


def pid_of(program: str) -> int:
    info = supervisor.states()[program]
    assert info["statename"] == "RUNNING", info
    return info["pid"]


async def test_killed_processes_come_back_and_no_acknowledged_message_is_lost(
        channel_with_two_people):
    ann, bob, channel_id = channel_with_two_people
    acknowledged: dict[str, dict] = {}
    killed: dict[str, int] = {}  # program -> pid it had when killed

    async def sender(number: int) -> None:
        for i in range(MESSAGES_PER_SENDER):
            client_msg_id = f"s{number}-{i}"
            message = await ann.send_until_acknowledged(channel_id, client_msg_id,
                                                        f"message {i} from sender {number}")
            acknowledged[client_msg_id] = message
            program = KILLS.get(len(acknowledged))
            if program and program not in killed:
                killed[program] = pid_of(program)
                os.kill(killed[program], signal.SIGKILL)

    await asyncio.gather(*(sender(n) for n in range(SENDERS)))
    assert set(killed) == set(KILLS.values())
    assert len(acknowledged) == TOTAL

    # supervisor restarted every killed process (a new pid, running)
    def restarted(program: str) -> bool:
        info = supervisor.states()[program]
        return info["statename"] == "RUNNING" and info["pid"] != killed[program]

    async def all_restarted():
        return all(restarted(program) for program in killed)

    await eventually(all_restarted, timeout=30, interval=0.5)

    # every acknowledged message is stored exactly once, as acknowledged, without gaps
    history = await bob.whole_history(channel_id)
    assert [m["seq"] for m in history] == list(range(1, TOTAL + 1))
    by_client_id = {m["client_msg_id"]: m for m in history}
    assert len(by_client_id) == TOTAL
    for client_msg_id, acked in acknowledged.items():
        stored = by_client_id[client_msg_id]
        assert (stored["id"], stored["seq"]) == (acked["id"], acked["seq"])

    # ... and reaches the Kafka consumers exactly once in effect
    async def bob_counted_every_message_once():
        unread = (await bob.call("GET", "/me/unread")).body.get(channel_id, {})
        return unread.get("unread") == TOTAL

    async def channel_reached_the_last_message():
        channel = (await ann.call("GET", f"/channels/{channel_id}")).body
        return channel["last_message_seq"] == TOTAL

    await eventually(bob_counted_every_message_once, timeout=60, interval=0.5)
    await eventually(channel_reached_the_last_message, timeout=60, interval=0.5)
    await asyncio.sleep(2)  # a late duplicate from the relay would show up now
    assert (await bob.call("GET", "/me/unread")).body[channel_id]["unread"] == TOTAL
