"""Smoke test of the Synapse peer: ``.venv/bin/python -m bench.synapse.smoke``.

Starts Synapse and its PostgreSQL, registers 3 people, puts them in one room, has each
send 5 messages (one of them sent twice with the same txn id, which must not make a
second message), and checks that every member received every other member's messages
exactly once and none of their own. Prints send→ack and send→delivery latencies, then
stops everything. Exits non-zero on any loss, duplicate or error.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter

from bench.load.stats import summary
from bench.load.synapse_target import SynapseTarget

DELIVERY_WAIT = 10.0   # seconds to wait for the last deliveries


async def smoke(people: int, messages: int, gap: float) -> bool:
    target = SynapseTarget()
    started = time.monotonic()
    await target.start()
    print(f"synapse healthy after {time.monotonic() - started:.1f}s")
    sessions = []
    try:
        handles = await target.create_people(people)
        room = await target.create_room(handles[0], handles)
        received: dict[str, Counter] = {h: Counter() for h in handles}
        arrivals: dict[tuple[str, str], float] = {}

        def on_message_for(me: str):
            def on_message(room_id: str, sender: str, text: str, at: float) -> None:
                assert room_id == room, room_id
                received[me][text] += 1
                arrivals.setdefault((me, text), at)
            return on_message

        sessions = [await target.connect(h, on_message_for(h)) for h in handles]
        sent_at: dict[str, float] = {}
        acks: list[float] = []

        async def person(index: int) -> None:
            session = sessions[index]
            for n in range(messages):
                txn = f"smoke-{session.handle}-{n}"
                text = f"bench:{txn}:{session.handle} hello {n}"
                sent_at[text] = time.monotonic()
                await session.send(room, text, txn)
                acks.append(time.monotonic() - sent_at[text])
                if n == 0:   # the same txn id again: Synapse must not make a second message
                    await session.send(room, text, txn)
                await asyncio.sleep(gap)

        await asyncio.gather(*(person(i) for i in range(people)))
        expected = {h: {t for t in sent_at if f":{h} " not in t} for h in handles}
        deadline = time.monotonic() + DELIVERY_WAIT
        while time.monotonic() < deadline and any(
                set(received[h]) < expected[h] for h in handles):
            await asyncio.sleep(0.05)

        ok = True
        for h in handles:
            missing = expected[h] - set(received[h])
            extra = set(received[h]) - expected[h]
            repeated = {t: c for t, c in received[h].items() if c > 1}
            print(f"{h}: received {sum(received[h].values())} of {len(expected[h])} expected, "
                  f"missing {len(missing)}, own/unexpected {len(extra)}, "
                  f"duplicates {len(repeated)}")
            ok = ok and not missing and not extra and not repeated
        deliveries = [at - sent_at[text] for (_, text), at in arrivals.items()]
        print("send→ack      ", summary(acks))
        print("send→delivery ", summary(deliveries))
        print("target counters", dict(target.frames), dict(target.events))
        print("synapse + its postgres CPU so far: "
              f"{target.cpu_seconds():.1f}s (setup included)")
        return ok
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        await target.stop()
        print(f"stopped (synapse and its postgres) after {time.monotonic() - started:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--gap", type=float, default=0.1,
                        help="seconds between one person's messages")
    args = parser.parse_args()
    ok = asyncio.run(smoke(args.people, args.messages, args.gap))
    print("smoke: OK" if ok else "smoke: FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
