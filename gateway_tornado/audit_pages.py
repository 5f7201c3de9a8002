"""One page of the workspace's audit log, merged from the services that keep one.

auth, users and channels each keep their own ``audit_log`` (docs/audit.md) and
answer pages newest first, keyset-paged by ``(at, id)``. The gateway asks each
for a page of ``limit`` entries after its own position, merges them by time and
keeps the newest ``limit``: every entry left out is older than every entry kept
from its source's page, so nothing is skipped or repeated. The cursor it hands
out holds one position per source (where that source's next page starts, or
that it has no more), opaque to the client.
"""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Awaitable, Callable

from services.common.cursors import decode_cursor, encode_cursor, entry_cursor

SOURCES = ("auth", "users", "channels")
START, DONE = "", "-"   # a source not read yet; a source with nothing more

Fetch = Callable[[str, str | None], Awaitable[dict[str, Any]]]  # (source, its cursor) → page


async def merged_page(fetch: Fetch, cursor: str | None, limit: int) -> dict[str, Any]:
    positions = decode_cursor(cursor, len(SOURCES)) or [START] * len(SOURCES)
    reading = [(source, position) for source, position in zip(SOURCES, positions)
               if position != DONE]
    pages = dict(zip([source for source, _ in reading], await asyncio.gather(
        *(fetch(source, position or None) for source, position in reading))))
    entries = sorted((entry for page in pages.values() for entry in page["entries"]),
                     key=lambda e: (datetime.fromisoformat(e["at"]), e["source"], e["id"]),
                     reverse=True)[:limit]
    after = dict(zip(SOURCES, positions))
    for source, page in pages.items():
        kept = [entry for entry in entries if entry["source"] == source]
        if len(kept) == len(page["entries"]) and page["next_cursor"] is None:
            after[source] = DONE
        elif kept:
            after[source] = entry_cursor(kept[-1]["at"], kept[-1]["id"])
    more = any(position != DONE for position in after.values())
    return {"entries": entries,
            "next_cursor": encode_cursor(*(after[s] for s in SOURCES)) if more else None}
