"""The search service's entrypoints as a Nameko worker (``worker_factory``): which
channels a search covers, how pages and results are shaped, and how events reach
the index. The SQL itself runs on PostgreSQL (tests/integration/test_search_on_postgres.py);
here storage's two functions are stand-ins that record what they were asked."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.common.errors import InvalidInput, NotFound
from services.search import query as q
from services.search import storage
from services.search.service import Service

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


class Channels:
    """Stands in for the channels service: who is in what, and what is public."""

    def __init__(self):
        self.members = {"general": ["ada", "bob"], "secret": ["ada"], "random": ["bob"]}
        self.public = {"general", "random"}

    def list_for_user(self, user_id):
        return [{"id": c} for c, members in self.members.items() if user_id in members]

    def get(self, actor_id, channel_id):
        if channel_id in self.public or actor_id in self.members.get(channel_id, []):
            return {"id": channel_id}
        raise NotFound("no such channel")


class Session:
    def __init__(self):
        self.commits = 0

    def commit(self):
        self.commits += 1


def row(i: int, rank: str = "0.5") -> SimpleNamespace:
    return SimpleNamespace(id=f"m{i}", channel_id="general", sender_id="bob", seq=i,
                           created_at=T0, edited_at=None, has_file=False, rank=rank,
                           headline=f"{q.START}deploy{q.STOP} <now>")


@pytest.fixture
def calls(monkeypatch):
    calls = {"search": [], "upsert": []}
    rows: list = []

    def search(session, terms, filters, sort, after, limit):
        calls["search"].append(SimpleNamespace(terms=terms, filters=filters, sort=sort,
                                               after=after, limit=limit))
        return rows[:limit]

    def upsert(session, message, deleted=False):
        calls["upsert"].append((message.id, message.text, deleted))
        return True

    monkeypatch.setattr(storage, "search", search)
    monkeypatch.setattr(storage, "upsert", upsert)
    calls["rows"] = rows
    return calls


@pytest.fixture
def session():
    return Session()


@pytest.fixture
def search(session):
    return worker_factory(Service, db=SimpleNamespace(session=session), channels=Channels())


def test_a_search_covers_the_channels_the_actor_is_in(search, calls):
    search.search("ada", "deploy")
    assert calls["search"][0].filters.channel_ids == ("general", "secret")
    assert calls["search"][0].terms == q.Terms(("deploy",))
    assert calls["search"][0].sort == q.RELEVANCE and calls["search"][0].limit == 21


def test_naming_a_public_channel_one_is_not_in_searches_it(search, calls):
    search.search("ada", "x", channel_id="random")
    assert calls["search"][0].filters.channel_ids == ("random",)


def test_naming_a_private_channel_one_is_not_in_is_not_found(search, calls):
    with pytest.raises(NotFound):
        search.search("bob", "x", channel_id="secret")
    assert calls["search"] == []


def test_filters_are_validated_and_passed_on(search, calls):
    search.search("ada", "x", from_user="bob", after="2026-01-01", before="2026-02-01T00:00:00Z",
                  has_file=True, sort="newest", limit=5)
    filters = calls["search"][0].filters
    assert filters.from_user == "bob" and filters.has_file is True
    assert filters.after == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert calls["search"][0].sort == q.NEWEST and calls["search"][0].limit == 6


@pytest.mark.parametrize("bad", [{"sort": "oldest"}, {"limit": 0}, {"limit": 101},
                                 {"after": "soon"}, {"query": "x" * 501},
                                 # a number is not a time (pydantic would read seconds)
                                 {"before": "0.5"}, {"after": "1700000000"}, {"after": 5},
                                 {"after": "2026-02-01", "before": "2026-01-01"},
                                 {"cursor": "garbage"}, {"unknown": 1}])
def test_bad_arguments_are_invalid_input(search, calls, bad):
    with pytest.raises((InvalidInput, TypeError)):
        search.search("ada", **{"query": "x", **bad})
    assert calls["search"] == []


def test_results_have_safe_snippets_and_a_cursor_when_there_is_more(search, calls):
    calls["rows"].extend(row(i) for i in range(3))
    page = search.search("ada", "deploy", limit=2)
    assert [r["id"] for r in page["results"]] == ["m0", "m1"]
    assert page["results"][0]["snippet"] == "<mark>deploy</mark> &lt;now&gt;"
    assert page["results"][0]["created_at"] == T0.isoformat()
    position = q.decode_cursor(page["next_cursor"], q.RELEVANCE)
    assert (position.id, position.rank) == ("m1", "0.5")

    search.search("ada", "deploy", limit=2, cursor=page["next_cursor"])
    assert calls["search"][1].after == position


def test_the_last_page_has_no_cursor(search, calls):
    calls["rows"].extend(row(i) for i in range(2))
    assert search.search("ada", "deploy", limit=2)["next_cursor"] is None


def event(topic: str, **changes) -> dict:
    data = {"id": "m1", "channel_id": "general", "sender_id": "bob", "seq": 1,
            "client_msg_id": "c1", "text": "hello", "created_at": T0.isoformat(), **changes}
    return {"event_id": "e1", "type": topic, "version": 1, "data": data}


def test_events_reach_the_index(search, calls, session):
    search.on_message_created(event("message.created"))
    search.on_message_updated(event("message.updated", text="edited",
                                    edited_at=T0.isoformat()))
    search.on_message_deleted(event("message.deleted", text=""))
    assert calls["upsert"] == [("m1", "hello", False), ("m1", "edited", False),
                               ("m1", "", True)]
    assert session.commits == 3


def test_a_malformed_event_is_invalid_input(search, calls):
    with pytest.raises(InvalidInput):
        search.on_message_created({"type": "message.created", "data": {"id": "m1"}})
    assert calls["upsert"] == []
