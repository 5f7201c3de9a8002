"""The load generator: one asyncio process holding every simulated person's connection.

A run is set up once (people, rooms, every connection), then driven through one or
more phases (a rate for some seconds). A phase replays an open-loop schedule
(model.schedule): each action starts at its planned time in its own task, whether or
not earlier ones have finished, so a slow server shows up as latency, not as a lower
send rate. How late the generator itself was against the plan is reported as
``schedule_lag`` (if it is large, the generator, not the server, was the limit).

Timing: ``send→ack`` from writing the frame to the ack; ``send→delivery`` from the
same moment to each recipient's socket, per recipient (the first copy). Loss and
duplicates are decided by stats.Ledger after the phase plus a grace period.
"""
from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import Counter, defaultdict, deque
from typing import Awaitable, Callable

from .model import EMOJI, Action, Workload, marker_text, schedule
from .procstat import StackProbe
from .report import progress
from .stats import Ledger, series, summary
from .target import Session, Target

HISTORY_ATTEMPTS = 4          # reads of a room's history after the grace, before unverified
HISTORY_RETRY_SECONDS = 5.0   # waited after the first failed read; twice that after the second…
EXTRA_KINDS = {"reply": "reply", "reaction": "react", "typing": "typing", "read": "read",
               "switch": "switch"}


class LoadRun:
    def __init__(self, target: Target, workload: Workload, probe: StackProbe | None = None,
                 connect_concurrency: int = 50):
        self.target = target
        self.workload = workload
        self.probe = probe if probe is not None and probe.available() else None
        self.connect_concurrency = connect_concurrency
        self.handles: list[str] = []
        self.room_ids: list[str] = []
        self.members: list[frozenset[str]] = []
        self.sessions: dict[str, Session] = {}
        self.unconnected: dict[str, str] = {}    # handle -> why its connection failed
        self.ledger = Ledger()
        self.setup_seconds: dict[str, float] = {}
        self._phases = 0

    # -- setup -------------------------------------------------------------------------
    async def setup(self) -> None:
        started = time.monotonic()
        await self.target.start()
        self.handles = await self.target.create_people(self.workload.people)
        self.setup_seconds["people"] = round(time.monotonic() - started, 2)
        progress(f"{len(self.handles)} people ready in {self.setup_seconds['people']} s")
        mark = time.monotonic()
        gate = asyncio.Semaphore(8)

        async def room(r):
            async with gate:
                return await self.target.create_room(
                    self.handles[r.members[0]], [self.handles[m] for m in r.members])

        self.room_ids = await asyncio.gather(*(room(r) for r in self.workload.rooms))
        self.members = [frozenset(self.handles[m] for m in r.members)
                        for r in self.workload.rooms]
        self.setup_seconds["rooms"] = round(time.monotonic() - mark, 2)
        progress(f"{len(self.room_ids)} rooms ready in {self.setup_seconds['rooms']} s")
        mark = time.monotonic()
        await self.connect_all(self.handles)
        self.setup_seconds["connect"] = round(time.monotonic() - mark, 2)
        progress(f"{len(self.sessions)} connected, {len(self.unconnected)} failed, in "
                 f"{self.setup_seconds['connect']} s")

    async def connect_all(self, handles: list[str]) -> None:
        """Connect everyone; one who cannot connect is left out of the run (neither
        sends nor is expected to receive) and reported, rather than ending the run."""
        gate = asyncio.Semaphore(self.connect_concurrency)

        async def one(handle: str) -> None:
            async with gate:
                try:
                    self.sessions[handle] = await self.target.connect(
                        handle, lambda room, sender, text, at, me=handle:
                        self.ledger.delivery(me, text, at))
                except Exception as error:   # reported with the results
                    self.unconnected[handle] = repr(error)

        await asyncio.gather(*(one(h) for h in handles))

    async def settle(self, quiet_frames: int = 50, quiet_cores: float = 0.6,
                     most: float = 30.0, key: str = "settle") -> float:
        """Wait until the run is quiet, at most ``most`` seconds: the connections read
        fewer than ``quiet_frames`` frames in a second (the presence news of everyone
        coming online has passed) and, when the stack's CPU is measured, it used less
        than ``quiet_cores`` in that second (what the last step set off, such as
        presence announcements or consumers' backlogs, is done, and does not weigh
        on the next phase). A target that counts no frames gets a fixed 3 s. The
        seconds waited go to ``setup_seconds[key]``."""
        started = time.monotonic()
        frames = getattr(self.target, "frames", None)
        if frames is None:
            await asyncio.sleep(3.0)
            self.setup_seconds[key] = 3.0
            return 3.0
        last, cpu = sum(frames.values()), self._stack_cpu()
        while time.monotonic() - started < most:
            await asyncio.sleep(1.0)
            now, cpu_now = sum(frames.values()), self._stack_cpu()
            busy = cpu is not None and cpu_now - cpu >= quiet_cores
            if now - last < quiet_frames and not busy:
                break
            last, cpu = now, cpu_now
        self.setup_seconds[key] = round(time.monotonic() - started, 2)
        return self.setup_seconds[key]

    def _stack_cpu(self) -> float | None:
        return self.probe.stack_cpu() if self.probe else None

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.sessions.values()),
                             return_exceptions=True)
        await self.target.stop()

    # -- a phase -----------------------------------------------------------------------
    async def phase(self, rate: float, seconds: float, grace: float = 5.0,
                    label: str = "phase",
                    during: Callable[[float], Awaitable[dict]] | None = None,
                    drain: float = 60.0, schedule_seed: int | None = None) -> dict:
        """Send at ``rate`` messages/s for ``seconds``; ``during(start)``, if given,
        runs alongside (a fault or a reconnect storm) and its answer is reported.
        Sends still unanswered ``drain`` seconds after the schedule ends are left out
        (not acknowledged, so not counted as lost). The schedule is the run's
        ``schedule_seed``-th (default: the phase's number: the first phase of every
        run with the same workload and rate sends the same actions)."""
        self._phases += 1
        self.ledger = Ledger()
        tag = "".join(c for c in label if c.isalnum())[:8] or "phase"   # txn ids: marker-safe
        run_id = f"{tag}{self._phases}-{uuid.uuid4().hex[:6]}"
        state = _PhaseState()
        before = self.probe.reading() if self.probe else None
        rss_series: list[dict] = []
        start = time.monotonic()
        sampler = asyncio.create_task(self._sample_rss(start, rss_series))
        side = asyncio.create_task(during(start)) if during else None
        seed = self._phases if schedule_seed is None else schedule_seed
        for n, action in enumerate(schedule(self.workload, rate, seconds, seed=seed)):
            planned = start + action.at
            delay = planned - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            state.lag.append(time.monotonic() - planned)
            state.planned_messages += action.kind in ("message", "reply")
            task = asyncio.create_task(self._act(action, f"{run_id}-{n}", n, state))
            state.tasks.add(task)
            task.add_done_callback(state.tasks.discard)
        sent_until = time.monotonic()
        progress(f"{label}: schedule done ({len(state.lag)} actions); draining")
        if state.tasks:
            await asyncio.wait(list(state.tasks), timeout=drain)
        side_result = await side if side else None
        deadline = time.monotonic() + grace
        while self.ledger.outstanding() and time.monotonic() < deadline:
            await asyncio.sleep(0.25)
        finished = time.monotonic()
        if self.ledger.outstanding():
            await self._look_in_history()
        after = self.probe.reading() if self.probe else None
        sampler.cancel()
        return self._report(label, rate, seconds, start, sent_until, finished, state,
                            before, after, rss_series, side_result)

    async def _act(self, action: Action, txn: str, n: int, state: "_PhaseState") -> None:
        room_id = self.room_ids[action.room]
        handle = self.handles[action.actor]
        session = self.sessions.get(handle)
        kind = action.kind
        if session is None:
            state.counts[f"{kind}_skipped_unconnected"] += 1
            return
        if kind in EXTRA_KINDS and not hasattr(session, EXTRA_KINDS[kind]):
            if kind != "reply":       # a target without threads gets a plain message
                state.counts[f"{kind}_skipped"] += 1
                return
            kind = "message"
        recent = state.recent[action.room]
        if kind in ("reply", "reaction") and not recent:
            if kind == "reaction":
                state.counts["reaction_skipped"] += 1
                return
            kind = "message"          # nothing to reply to yet: start a thread instead
        started = time.monotonic()
        resends = getattr(self.target, "resends", None)   # txn -> times the client resent it
        ledger = self.ledger          # this phase's, even if the send ends after the phase
        try:
            if kind in ("message", "reply"):
                text = marker_text(txn, handle, n)
                recipients = self.members[action.room] - {handle} - self.unconnected.keys()
                ledger.sending(txn, room_id, handle, frozenset(recipients), started)
                if kind == "reply":
                    await session.reply(room_id, recent[-1 - n % len(recent)], text, txn)
                else:
                    await session.send(room_id, text, txn)
                ledger.acked(txn, time.monotonic())
                recent.append(txn)
            elif kind == "reaction":
                await session.react(room_id, recent[-1 - n % len(recent)],
                                    EMOJI[n % len(EMOJI)])
            else:
                await getattr(session, EXTRA_KINDS[kind])(room_id)
            state.latency[kind].append(time.monotonic() - started)
            state.counts[kind] += 1
        except Exception as error:   # every failure is a result to count, not a crash
            why = getattr(error, "code", None) or type(error).__name__
            state.errors[f"{kind}:{why}"] += 1
            state.counts[f"{kind}_failed"] += 1
            if kind in ("message", "reply"):
                ledger.failed(txn, str(why))
        finally:
            if resends and txn in resends:
                ledger.resent(txn, resends.pop(txn))

    async def _look_in_history(self, concurrency: int = 8) -> None:
        """For every delivery still missing after the grace, read the room's history as
        the recipient: found there, it was late (the connection was behind); not found,
        it is lost. A history that cannot be read (the target answers each read with
        an error or a timeout, HISTORY_ATTEMPTS times) leaves its deliveries
        unverified."""
        wanted = {(recipient, self.ledger.sent[txn].room)
                  for txn, recipient in self.ledger.missing()}
        per_room = Counter(s.room for s in self.ledger.sent.values())
        gate = asyncio.Semaphore(concurrency)
        progress(f"{self.ledger.outstanding()} deliveries missing: reading "
                 f"{len(wanted)} histories")

        async def look(recipient: str, room: str) -> None:
            session = self.sessions.get(recipient)
            if session is None:
                return
            for attempt in range(HISTORY_ATTEMPTS):
                async with gate:
                    try:
                        texts = await session.readable(room, per_room[room] + 20)
                        break
                    except Exception as exc:     # a target still busy: try again later
                        self.target.events[f"history_failed_{type(exc).__name__}"] += 1
                if attempt + 1 < HISTORY_ATTEMPTS:
                    await asyncio.sleep(HISTORY_RETRY_SECONDS * (attempt + 1))
            else:   # never read: its missing deliveries are unverified, not lost
                self.ledger.unreadable.add((recipient, room))
                return
            self.ledger.found_in_history(recipient, texts)

        await asyncio.gather(*(look(recipient, room) for recipient, room in wanted))

    async def _sample_rss(self, start: float, out: list[dict]) -> None:
        while self.probe:
            out.append({"t": round(time.monotonic() - start, 1), **self.probe.gateway_rss()})
            await asyncio.sleep(1.0)

    def _report(self, label, rate, seconds, start, sent_until, finished, state, before,
                after, rss_series, side_result) -> dict:
        verdict = self.ledger.verdict()
        window = sent_until - start
        messages = state.counts["message"] + state.counts["reply"]
        attempted = messages + state.counts["message_failed"] + state.counts["reply_failed"]
        deliveries = self.ledger.delivery_latencies(start, finished)
        result = {
            "label": label, "target": self.target.name, "rate": rate, "seconds": seconds,
            "people": self.workload.people, "rooms": len(self.workload.rooms),
            "workload": self.workload.describe(), "setup_seconds": self.setup_seconds,
            "connections": len(self.sessions), "unconnected": len(self.unconnected),
            "unconnected_examples": list(self.unconnected.values())[:5],
            "sent_messages": attempted, "acked_messages": messages,
            "planned_messages": state.planned_messages,
            "messages_per_s": round(messages / window, 2) if window else 0,
            "deliveries_per_s": round(len(deliveries) / window, 2) if window else 0,
            "ack": summary(self.ledger.ack_latencies(start, finished)),
            "delivery": summary(deliveries),
            "delivery_series": series(self.ledger.delivery_samples, start),
            "actions": {k: summary(v) for k, v in state.latency.items()},
            "counts": dict(state.counts),
            "errors": dict(state.errors),
            "error_rate": round(sum(state.errors.values())
                                / max(1, sum(len(v) for v in state.latency.values())
                                      + sum(state.errors.values())), 5),
            "send_error_rate": round((attempted - messages) / attempted, 5) if attempted else 0,
            "schedule_lag": summary(state.lag),
            "verdict": verdict,
            "drain_seconds": round(finished - sent_until, 2),
        }
        for name in ("frames", "events"):
            if hasattr(self.target, name):
                result[f"target_{name}"] = dict(getattr(self.target, name))
        if before and after:
            stack_cpu = after["stack_cpu_s"] - before["stack_cpu_s"]
            result["cpu"] = {
                "stack_seconds": round(stack_cpu, 2),
                "generator_seconds": round(after["own_cpu_s"] - before["own_cpu_s"], 2),
                "stack_ms_per_message": round(stack_cpu / messages * 1000, 2) if messages
                else None,
                "window_seconds": round(finished - start, 2),
                "ms_per_message_by_process": per_process(before["by_process"],
                                                         after["by_process"], messages)}
            result["gateway_rss_bytes"] = {"before": before["gateway_rss"],
                                           "after": after["gateway_rss"],
                                           "series": rss_series}
        if side_result is not None:
            result["during"] = side_result
        return result


class _PhaseState:
    def __init__(self):
        self.tasks: set[asyncio.Task] = set()
        self.planned_messages = 0
        self.lag: list[float] = []
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.counts: Counter = Counter()
        self.errors: Counter = Counter()
        self.recent: dict[int, deque] = defaultdict(lambda: deque(maxlen=20))


def passes(result: dict, p99_ms: float = 200.0, max_error_rate: float = 0.001,
           min_share: float = 0.95, max_lag_ms: float = 100.0) -> list[str]:
    """The capacity criterion; the reasons a phase fails it (none: it passes): p99
    delivery over ``p99_ms``, errors over the rate, any loss, late or unverified delivery, fewer
    than ``min_share`` of the planned messages acknowledged, or a generator that fell
    behind its schedule (then the number would be the generator's, not the server's)."""
    reasons = []
    p99 = result["delivery"].get("p99_ms", math.inf)
    if not p99 <= p99_ms:
        reasons.append(f"p99 delivery {p99} ms > {p99_ms:g} ms")
    if max(result["send_error_rate"], result["error_rate"]) > max_error_rate:
        reasons.append(f"errors {max(result['send_error_rate'], result['error_rate']):.2%}")
    if result["verdict"]["lost"]:
        reasons.append(f"{result['verdict']['lost']} deliveries lost")
    if result["verdict"].get("late"):
        reasons.append(f"{result['verdict']['late']} deliveries late (in history only)")
    if result["verdict"].get("unverified"):
        reasons.append(f"{result['verdict']['unverified']} deliveries unverified")
    if result["acked_messages"] < min_share * result["planned_messages"]:
        reasons.append(f"only {result['acked_messages']} of {result['planned_messages']} "
                       "planned messages acknowledged")
    lag = result["schedule_lag"].get("p99_ms", 0)
    if lag > max_lag_ms:
        reasons.append(f"generator behind its schedule (p99 {lag} ms)")
    return reasons


def per_process(before: dict[str, float], after: dict[str, float], messages: int) -> dict:
    """CPU ms per acknowledged message of each process that ran through the whole
    phase (one that restarted is left out), the busiest first."""
    spent = {name: after[name] - before[name] for name in after
             if name in before and after[name] >= before[name]}
    return {name: round(seconds / messages * 1000, 2) for name, seconds in
            sorted(spent.items(), key=lambda item: -item[1]) if messages}
