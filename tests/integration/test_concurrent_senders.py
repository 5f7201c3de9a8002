"""Many people sending into one channel at once, each send retried while the
first attempt is still in flight (what a client on a flaky network does), on
the real FerretDB through Traefik, both gateways and both messaging instances.

Every acknowledged message must be stored exactly once, under the id and
sequence number its sender was told, and the channel's sequence numbers must
run 1, 2, 3, … without a gap or a repeat, so that a client resuming after seq
N knows exactly what it missed."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.support.client import Person, unique_email

SENDERS = 20
MESSAGES_PER_SENDER = 5
TOTAL = SENDERS * MESSAGES_PER_SENDER

pytestmark = pytest.mark.integration


@pytest.fixture
async def crowded_channel(base_url):
    """A channel with SENDERS members; the first created it."""
    people = await asyncio.gather(*(Person(base_url, unique_email(f"s{n}")).sign_up()
                                    for n in range(SENDERS)))
    created = await people[0].call("POST", "/channels",
                                   {"name": f"crowd-{uuid.uuid4().hex[:8]}"})
    assert created.status == 201, created.body
    channel_id = created.body["id"]
    joins = await asyncio.gather(*(p.call("POST", f"/channels/{channel_id}/join")
                                   for p in people[1:]))
    assert all(j.status == 200 for j in joins), [j.body for j in joins]
    return people, channel_id


async def test_concurrent_senders_with_retries_get_gap_free_numbers_and_no_duplicates(
        crowded_channel):
    people, channel_id = crowded_channel

    async def send_twice_at_once(person: Person, client_msg_id: str, text: str) -> list[dict]:
        return await asyncio.gather(*(person.send_until_acknowledged(channel_id, client_msg_id,
                                                                     text) for _ in range(2)))

    async def sender(number: int) -> list[list[dict]]:
        person = people[number]
        return [await send_twice_at_once(person, f"{person.user_id}-{i}", f"{i} from {number}")
                for i in range(MESSAGES_PER_SENDER)]

    answers = [pair for pairs in await asyncio.gather(*(sender(n) for n in range(SENDERS)))
               for pair in pairs]

    # both attempts of each send were told the same message
    for first, second in answers:
        assert (first["id"], first["seq"]) == (second["id"], second["seq"])
    acknowledged = {first["client_msg_id"]: first for first, _ in answers}
    assert len(acknowledged) == TOTAL

    # ... which is stored once: the history holds each acknowledged message,
    # under what its sender was told, numbered without gaps or repeats
    history = await people[-1].whole_history(channel_id)
    assert [m["seq"] for m in history] == list(range(1, TOTAL + 1))
    assert len({m["id"] for m in history}) == TOTAL
    stored = {m["client_msg_id"]: (m["id"], m["seq"]) for m in history}
    assert stored == {cid: (m["id"], m["seq"]) for cid, m in acknowledged.items()}
