"""Rate limits through Traefik and both gateways (config ``ratelimit``): a person
who floods the API is refused with 429 and Retry-After once their burst is
spent, whichever gateway each request reaches, while someone else carries on."""
from __future__ import annotations

import asyncio

from tests.support.client import Person, unique_email

BURST = 300   # config ratelimit.user_burst
WAVE = 50


async def test_a_flood_from_one_person_is_refused_and_others_are_not_slowed(base_url):
    flooder = await Person(base_url, unique_email("flood")).sign_up()
    bystander = await Person(base_url, unique_email("calm")).sign_up()

    # cheap requests (refused as bad input once past the limits), in waves, until refused
    answers = []
    while len(answers) < 4 * BURST and not any(a.status == 429 for a in answers):
        answers += await asyncio.gather(*(flooder.call("POST", "/channels/x/messages", raw=b"{")
                                          for _ in range(WAVE)))
    served = [a for a in answers if a.status == 400]
    refused = [a for a in answers if a.status == 429]
    assert len(served) + len(refused) == len(answers)
    assert refused, f"{len(answers)} requests and the burst was never spent"
    assert len(served) >= BURST  # the whole burst was served first
    assert all(a.body["error"]["code"] == "rate_limited" for a in refused)
    assert all(int(a.headers["Retry-After"]) >= 1 for a in refused)

    assert (await bystander.call("GET", "/me")).status == 200

    await asyncio.sleep(max(2, int(refused[-1].headers["Retry-After"])))  # Traefik's too
    assert (await flooder.call("GET", "/me")).status == 200
