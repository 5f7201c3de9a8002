"""GET /api/v1/admin/audit: the audit logs of auth, users and channels merged
newest first into pages of ``limit``, with one opaque cursor that holds each
source's position, so paging to the end shows every entry exactly once."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from gateway_tornado.audit_pages import SOURCES
from services.common.cursors import entry_cursor
from services.common.cursors import decode_cursor
from services.common.errors import Forbidden, InvalidInput

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def entry(source: str, entry_id: int, second: float) -> dict:
    return {"source": source, "id": entry_id, "at": (T0 + timedelta(seconds=second)).isoformat(),
            "actor_id": "boss", "action": f"{source}.something", "target_type": "x",
            "target_id": None, "details": {}, "request_id": None, "ip": None}


class AuditLogs:
    """Each service's log, paged as services/common/audit.py pages it."""

    def __init__(self, rpc, logs: dict[str, list[dict]]):
        self.logs = logs
        self.asked: list[tuple[str, dict]] = []
        for source in SOURCES:
            rpc.answer(source, "audit_log", self._pager(source))

    def _pager(self, source):
        def page(reader, cursor=None, limit=50, **filters):
            self.asked.append((source, {"cursor": cursor, "limit": limit, **filters}))
            newest_first = sorted(self.logs[source], key=lambda e: (e["at"], e["id"]),
                                  reverse=True)
            if cursor:
                at, entry_id = decode_cursor(cursor, 2)
                newest_first = [e for e in newest_first
                                if (e["at"], e["id"]) < (at, int(entry_id))]
            shown = newest_first[:limit]
            more = len(newest_first) > limit
            return {"entries": shown,
                    "next_cursor": entry_cursor(shown[-1]["at"], shown[-1]["id"]) if more
                    else None}
        return page


@pytest.fixture
def logs(rpc):
    return AuditLogs(rpc, {
        "auth": [entry("auth", i, second) for i, second in enumerate([1, 4, 5, 9, 12], 1)],
        "users": [entry("users", i, second) for i, second in enumerate([2, 3, 10], 1)],
        "channels": [entry("channels", i, second) for i, second in enumerate([6, 7, 8, 11], 1)],
    })


async def read_all(fetch, headers, limit: int, query: str = "") -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        path = f"/api/v1/admin/audit?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        response = await fetch(path, headers=headers)
        assert response.code == 200, response.body
        body = json.loads(response.body)
        pages.append(body["entries"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 12, 50])
async def test_paging_to_the_end_shows_every_entry_once_newest_first(fetch, bearer, logs,
                                                                     limit):
    pages = await read_all(fetch, bearer("boss"), limit)
    seen = [(e["source"], e["id"]) for page in pages for e in page]
    times = [e["at"] for page in pages for e in page]
    assert len(seen) == len(set(seen)) == 12
    assert times == sorted(times, reverse=True)
    assert all(len(page) <= limit for page in pages)


async def test_the_first_page_holds_the_newest_of_all_sources(fetch, bearer, logs):
    response = await fetch("/api/v1/admin/audit?limit=3", headers=bearer("boss"))
    body = json.loads(response.body)
    assert [(e["source"], e["id"]) for e in body["entries"]] == [
        ("auth", 5), ("channels", 4), ("users", 3)]


async def test_filters_and_the_reader_go_to_every_service(fetch, bearer, rpc, logs):
    await fetch("/api/v1/admin/audit?action=users.role_changed&actor=ada"
                "&since=2026-11-01T00:00:00Z&limit=5", headers=bearer("boss"))
    assert {source for source, _ in logs.asked} == set(SOURCES)
    for _, asked in logs.asked:
        assert asked == {"cursor": None, "limit": 5, "action": "users.role_changed",
                         "actor": "ada", "since": "2026-11-01T00:00:00Z"}
    assert {call["args"][0] for call in rpc.calls} == {"boss"}
    assert all(call["context"]["request_id"] for call in rpc.calls)


async def test_a_source_that_has_nothing_more_is_not_asked_again(fetch, bearer, logs):
    logs.logs["users"] = []
    first = json.loads((await fetch("/api/v1/admin/audit?limit=2",
                                    headers=bearer("boss"))).body)
    logs.asked.clear()
    await fetch(f"/api/v1/admin/audit?limit=2&cursor={first['next_cursor']}",
                headers=bearer("boss"))
    assert {source for source, _ in logs.asked} == {"auth", "channels"}


async def test_a_reader_who_is_not_an_admin_gets_403_forbidden(fetch, bearer, rpc):
    for source in SOURCES:
        rpc.answer(source, "audit_log", Forbidden("only workspace owners and admins"))
    response = await fetch("/api/v1/admin/audit", headers=bearer("mo"))
    assert response.code == 403
    assert json.loads(response.body)["error"]["code"] == "forbidden"


async def test_without_a_token_it_is_401(fetch, rpc):
    response = await fetch("/api/v1/admin/audit")
    assert response.code == 401
    assert rpc.calls == []


@pytest.mark.parametrize("query", ["cursor=not-a-cursor", "limit=many", "limit=-1"])
async def test_a_bad_cursor_or_limit_is_400_invalid_input(fetch, bearer, logs, query):
    response = await fetch(f"/api/v1/admin/audit?{query}", headers=bearer("boss"))
    assert response.code == 400
    assert json.loads(response.body)["error"]["code"] == InvalidInput.code
