"""Timing arithmetic shared by every scenario and the floors: percentiles, summaries,
per-second series, and the ledger that decides loss and duplicates."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from .model import parse_marker

PERCENTILES = (50, 95, 99)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (the value below which q% of the
    samples fall, itself a sample: no interpolation between two latencies)."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(seconds: list[float]) -> dict:
    """Latencies given in seconds, summarised in milliseconds."""
    ordered = sorted(seconds)
    if not ordered:
        return {"count": 0}
    out = {"count": len(ordered)}
    for q in PERCENTILES:
        out[f"p{q}_ms"] = round(percentile(ordered, q) * 1000, 2)
    out["max_ms"] = round(ordered[-1] * 1000, 2)
    out["mean_ms"] = round(sum(ordered) / len(ordered) * 1000, 2)
    return out


def series(samples: list[tuple[float, float]], start: float, window: float = 1.0
           ) -> list[dict]:
    """``(at, latency)`` pairs bucketed by ``window`` seconds after ``start`` (by the
    time the sample was taken): each bucket's count and percentiles, for the chart."""
    buckets: dict[int, list[float]] = defaultdict(list)
    for at, latency in samples:
        buckets[int((at - start) // window)].append(latency)
    out = []
    for index in sorted(buckets):
        ordered = sorted(buckets[index])
        out.append({"t": round(index * window, 3), "count": len(ordered),
                    **{f"p{q}_ms": round(percentile(ordered, q) * 1000, 2)
                       for q in PERCENTILES},
                    "max_ms": round(ordered[-1] * 1000, 2)})
    return out


@dataclass
class Sent:
    """One message the generator sent, and what became of it."""
    room: str
    sender: str
    recipients: frozenset[str]
    sent_at: float
    acked_at: float | None = None
    failed: str | None = None
    resends: int = 0                     # times the client sent it again (same txn id)
    delivered_to: int = 0                # recipients who have had it
    last_delivery_at: float | None = None   # when the last of them first had it

    def done_at(self) -> float | None:
        """When it was acknowledged and every recipient had it (None: not yet)."""
        if self.acked_at is None or self.delivered_to < len(self.recipients):
            return None
        return max(self.acked_at, self.last_delivery_at or self.acked_at)


@dataclass
class Ledger:
    """Every message sent and every delivery seen, matched by the text's marker.

    A delivery is ``(txn_id, recipient)``. Loss: an acknowledged message with a
    recipient who never had it on their connection, nor finds it in the room's history
    afterwards; one who finds it there only had it *late* (the connection was behind
    when the phase's grace ended). Duplicate: a recipient who had it more than once (after
    the target's own dedupe by message id, which every Parley client does). A missing
    delivery whose room's history the recipient could not read (the target still too
    busy to answer) is *unverified*: neither late nor lost. A failed
    send that was delivered anyway is not a loss nor a duplicate: it is counted as
    ``delivered_unacked``."""
    sent: dict[str, Sent] = field(default_factory=dict)
    delivered: dict[tuple[str, str], int] = field(default_factory=dict)
    delivery_samples: list[tuple[float, float]] = field(default_factory=list)
    late: set[tuple[str, str]] = field(default_factory=set)   # in history, not on the socket
    # (recipient, room) whose history could not be read: their missing deliveries are
    # unverified, neither late nor lost
    unreadable: set[tuple[str, str]] = field(default_factory=set)
    foreign: int = 0          # deliveries of texts this run did not send (older runs)
    misdirected: int = 0      # deliveries to someone not in the room

    def sending(self, txn_id: str, room: str, sender: str, recipients: frozenset[str],
                at: float) -> None:
        self.sent[txn_id] = Sent(room, sender, recipients, at)

    def acked(self, txn_id: str, at: float) -> None:
        self.sent[txn_id].acked_at = at

    def failed(self, txn_id: str, why: str) -> None:
        self.sent[txn_id].failed = why

    def resent(self, txn_id: str, times: int) -> None:
        self.sent[txn_id].resends = times

    def delivery(self, recipient: str, text: str, received_at: float) -> None:
        parsed = parse_marker(text)
        sent = self.sent.get(parsed[0]) if parsed else None
        if sent is None:
            self.foreign += 1
            return
        if recipient not in sent.recipients:
            self.misdirected += 1
        key = (parsed[0], recipient)
        seen = self.delivered.get(key, 0)
        self.delivered[key] = seen + 1
        if not seen:
            self.delivery_samples.append((received_at, received_at - sent.sent_at))
            if recipient in sent.recipients:
                sent.delivered_to += 1
                sent.last_delivery_at = max(sent.last_delivery_at or 0.0, received_at)

    def missing(self) -> list[tuple[str, str]]:
        """``(txn_id, recipient)`` of acknowledged messages a recipient has not had."""
        return [(txn, r) for txn, s in self.sent.items() if s.acked_at is not None
                for r in s.recipients if (txn, r) not in self.delivered]

    def outstanding(self) -> int:
        """Deliveries still awaited for acknowledged messages."""
        return len(self.missing())

    def found_in_history(self, recipient: str, texts: list[str]) -> None:
        """Texts the recipient can read in a room's history: those of missing
        deliveries are late, not lost."""
        for text in texts:
            parsed = parse_marker(text)
            key = (parsed[0], recipient) if parsed else None
            if key and key[0] in self.sent and key not in self.delivered:
                self.late.add(key)

    def verdict(self) -> dict:
        acked = {t: s for t, s in self.sent.items() if s.acked_at is not None}
        missing = self.missing()
        unverified = [key for key in missing if key not in self.late
                      and (key[1], self.sent[key[0]].room) in self.unreadable]
        lost = [key for key in missing if key not in self.late and key not in unverified]
        duplicates = [(key, n) for key, n in self.delivered.items() if n > 1]
        return {"sent": len(self.sent), "acked": len(acked),
                "failed": sum(1 for s in self.sent.values() if s.failed),
                "resent": sum(1 for s in self.sent.values() if s.resends),
                "resends": sum(s.resends for s in self.sent.values()),
                "expected_deliveries": sum(len(s.recipients) for s in acked.values()),
                "delivered": len(self.delivered),
                "lost": len(lost), "lost_examples": lost[:10],
                "late": len(missing) - len(lost) - len(unverified),
                "unverified": len(unverified), "unverified_examples": unverified[:10],
                "duplicates": len(duplicates),
                "duplicate_examples": [list(k) + [n] for k, n in duplicates[:10]],
                "delivered_unacked": sum(1 for (t, _) in self.delivered
                                         if self.sent[t].acked_at is None),
                "foreign": self.foreign, "misdirected": self.misdirected}

    def ack_latencies(self, since: float = -math.inf, until: float = math.inf
                      ) -> list[float]:
        return [s.acked_at - s.sent_at for s in self.sent.values()
                if s.acked_at is not None and since <= s.sent_at < until]

    def delivery_latencies(self, since: float = -math.inf, until: float = math.inf
                           ) -> list[float]:
        return [latency for at, latency in self.delivery_samples
                if since <= at - latency < until]
