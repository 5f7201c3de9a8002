"""The simulated workplace: who is in which room, and what they do when.

Everything here is pure and deterministic from a seed, so two targets (Parley and
Synapse) get the same people, the same rooms and the same schedule of actions, and a
run can be repeated.

Membership follows what chat workspaces look like: channel sizes fall off like a Zipf
law (one channel holds about half of everyone, the next about a quarter, …, most
channels a handful of people), plus 1:1 DMs. Busier rooms get more messages, but less
than in proportion to their size (weight ∝ √members): in big channels most people
read. DMs together get a fixed share of the messages.

The send rate is in messages per second (thread replies included); reactions, typing,
read marks and channel switches (a history fetch) come on top, in proportion to it.
Arrivals are a Poisson process: an open-loop schedule fixed before the run, so a slow
server does not slow the load down (no coordinated omission).
"""
from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Iterator

MARKER = re.compile(r"bench:(?P<txn>[A-Za-z0-9_.-]+):(?P<sender>\S+)")
FILLER = ("ship it", "can you look at this", "lunch?", "the deploy is green",
          "meeting moved to 3", "thanks!", "see the doc", "on it", "LGTM", "+1 from me")
EMOJI = ("thumbsup", "tada", "eyes", "heart", "rocket", "100")


@dataclass(frozen=True)
class Room:
    """One conversation: ``members[0]`` is its owner (who creates it)."""
    index: int
    kind: str                 # "channel" or "dm"
    members: tuple[int, ...]  # person indexes


@dataclass(frozen=True)
class Mix:
    """What people do besides sending, per message sent."""
    replies: float = 0.15     # share of messages that are thread replies
    reactions: float = 0.2    # reactions per message
    typing: float = 0.3       # typing notices per message
    reads: float = 0.2        # read marks per message
    switches: float = 0.05    # channel switches (view + a page of history) per message

    def weights(self) -> dict[str, float]:
        """Relative frequency of each action kind; messages count 1."""
        return {"message": 1.0 - self.replies, "reply": self.replies,
                "reaction": self.reactions, "typing": self.typing, "read": self.reads,
                "switch": self.switches}


ONLY_MESSAGES = Mix(replies=0, reactions=0, typing=0, reads=0, switches=0)


@dataclass(frozen=True)
class Action:
    at: float                 # seconds after the start of the phase
    kind: str                 # a key of Mix.weights()
    room: int                 # Room.index
    actor: int                # person index, a member of the room


@dataclass(frozen=True)
class Workload:
    people: int
    rooms: tuple[Room, ...]
    seed: int
    mix: Mix = field(default_factory=Mix)
    dm_share: float = 0.3     # of all messages, spread evenly over the DMs

    def room_weights(self) -> list[float]:
        """Probability that a message goes to each room (sums to 1)."""
        channels = [r for r in self.rooms if r.kind == "channel"]
        dms = [r for r in self.rooms if r.kind == "dm"]
        dm_share = self.dm_share if dms and channels else (1.0 if dms else 0.0)
        channel_total = sum(math.sqrt(len(r.members)) for r in channels) or 1.0
        return [(dm_share / len(dms)) if r.kind == "dm"
                else (1 - dm_share) * math.sqrt(len(r.members)) / channel_total
                for r in self.rooms]

    def expected_fanout(self) -> float:
        """Recipients per message on average (members other than the sender)."""
        return sum(w * (len(r.members) - 1) for w, r in zip(self.room_weights(), self.rooms))

    def memberships(self) -> list[list[int]]:
        """For each person, the indexes of the rooms they are in."""
        rooms_of: list[list[int]] = [[] for _ in range(self.people)]
        for room in self.rooms:
            for person in room.members:
                rooms_of[person].append(room.index)
        return rooms_of

    def describe(self) -> dict:
        sizes = sorted((len(r.members) for r in self.rooms if r.kind == "channel"),
                       reverse=True)
        return {"people": self.people, "channels": len(sizes),
                "dms": sum(1 for r in self.rooms if r.kind == "dm"),
                "largest_channels": sizes[:5], "median_channel": sizes[len(sizes) // 2]
                if sizes else 0, "memberships": sum(len(r.members) for r in self.rooms),
                "expected_fanout": round(self.expected_fanout(), 2), "seed": self.seed,
                "mix": self.mix.weights()}


def zipf_sizes(people: int, channels: int, largest_share: float = 0.5,
               exponent: float = 1.1, smallest: int = 3) -> list[int]:
    """Channel sizes, largest first: the k-th holds ``largest_share * people / k^s``."""
    top = max(smallest, min(people, round(largest_share * people)))
    return [max(min(smallest, people), min(people, round(top / k ** exponent)))
            for k in range(1, channels + 1)]


def build_workload(people: int, channels: int, seed: int = 9, dms: int | None = None,
                   room_size: int | None = None, mix: Mix | None = None) -> Workload:
    """``room_size`` set: every channel has exactly that many members and there are no
    DMs (the capacity scenario's "20-member rooms"). Otherwise Zipf-sized channels
    and ``dms`` 1:1 DMs (default: one per four people)."""
    if people < 2:
        raise ValueError("a workload needs at least two people")
    rng = random.Random(seed)
    sizes = ([min(room_size, people)] * channels if room_size
             else zipf_sizes(people, channels))
    rooms = [Room(i, "channel", tuple(rng.sample(range(people), size)))
             for i, size in enumerate(sizes)]
    if not room_size:
        pairs: set[tuple[int, int]] = set()
        wanted = min(people // 4 if dms is None else dms, people * (people - 1) // 2)
        while len(pairs) < wanted:
            a, b = rng.sample(range(people), 2)
            pairs.add((min(a, b), max(a, b)))
        rooms += [Room(len(rooms) + i, "dm", pair) for i, pair in enumerate(sorted(pairs))]
    return Workload(people, tuple(rooms), seed, mix or Mix())


def schedule(workload: Workload, rate: float, seconds: float, seed: int | None = None
             ) -> Iterator[Action]:
    """Actions in time order: Poisson arrivals at ``rate`` messages/s plus the mix's
    other actions. The same arguments give the same actions."""
    if rate <= 0:
        return
    rng = random.Random(workload.seed * 1_000_003 + (seed or 0) * 7919 + round(rate * 1000))
    kinds, kind_weights = zip(*workload.mix.weights().items())
    total_rate = rate * sum(kind_weights)
    room_weights = workload.room_weights()
    at = rng.expovariate(total_rate)
    while at < seconds:
        kind = rng.choices(kinds, kind_weights)[0]
        room = rng.choices(workload.rooms, room_weights)[0]
        yield Action(at, kind, room.index, rng.choice(room.members))
        at += rng.expovariate(total_rate)


def marker_text(txn_id: str, sender: str, n: int) -> str:
    """A message's text: the marker the generator matches deliveries by, then words."""
    return f"bench:{txn_id}:{sender} {FILLER[n % len(FILLER)]}"


def parse_marker(text: str) -> tuple[str, str] | None:
    """``(txn_id, sender)`` of a text made by marker_text, None for any other text."""
    found = MARKER.search(text or "")
    return (found["txn"], found["sender"]) if found else None
