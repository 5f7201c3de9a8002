"""The search index on real PostgreSQL (a scratch database migrated by the search
service's own Alembic scripts): idempotent indexing, edits that only move forward,
deletions that stick, and what the search SQL finds and in which order."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.search import query as q
from services.search import storage
from services.search.schemas import IndexedFields
from tests.support.postgres import race, scratch_database

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.fixture
def engine(stack):
    with scratch_database(stack, "search", pool_size=8) as (engine, _):
        yield engine


def message(i: int, text_: str, channel="c1", sender="ann", minutes=0, **more) -> IndexedFields:
    return IndexedFields(id=f"m{i}", channel_id=channel, sender_id=sender, seq=i, text=text_,
                         created_at=T0 + timedelta(minutes=minutes or i), **more)


def index(engine, *messages, deleted=False) -> list[bool]:
    with Session(engine) as session:
        changed = [storage.upsert(session, m, deleted=deleted) for m in messages]
        session.commit()
    return changed


def find(engine, query: str, channels=("c1",), sort=q.RELEVANCE, position=None, limit=20,
         **filters) -> list:
    with Session(engine) as session:
        return storage.search(session, q.parse(query), storage.Filters(tuple(channels), **filters),
                              sort, position, limit)


def ids(rows) -> list[str]:
    return [r.id for r in rows]


def test_the_migration_enables_trigrams_and_runs_down_and_up(stack):
    with scratch_database(stack, "search") as (engine, config):
        with engine.connect() as c:
            assert c.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
        command.downgrade(config, "base")
        command.upgrade(config, "head")


def test_indexing_the_same_message_again_changes_nothing(engine):
    assert index(engine, message(1, "hello world")) == [True]
    assert index(engine, message(1, "hello world"), message(1, "forged")) == [False, False]
    assert ids(find(engine, "hello")) == ["m1"] and find(engine, "forged") == []


def test_concurrent_deliveries_of_one_message_index_it_once(engine):
    outcomes = race(engine, 8, lambda s, i: storage.upsert(s, message(1, "raced")))
    assert sorted(outcomes) == [False] * 7 + [True]


def test_edits_apply_in_time_order_and_deletions_stick(engine):
    index(engine, message(1, "first draft"))
    later, earlier = T0 + timedelta(hours=1), T0 + timedelta(minutes=30)
    assert index(engine, message(1, "second draft", edited_at=later)) == [True]
    assert index(engine, message(1, "stale draft", edited_at=earlier)) == [False]
    assert ids(find(engine, "second")) == ["m1"] and find(engine, "stale") == []
    assert index(engine, message(1, "", deleted_at=later + timedelta(minutes=1))) == [True]
    assert find(engine, "draft") == []
    assert index(engine, message(1, "back again", edited_at=later + timedelta(hours=1))) == [False]
    assert find(engine, "back") == []


def test_stems_prefixes_partial_words_and_phrases(engine):
    index(engine, message(1, "The deployment of billing service finished"),
          message(2, "We are deploying now"), message(3, "Kubernetes upgrade"),
          message(4, "the service for billing"), message(5, "50% off_sale"))
    assert sorted(ids(find(engine, "deploy"))) == ["m1", "m2"]
    assert sorted(ids(find(engine, "deployments"))) == ["m1", "m2"]
    assert ids(find(engine, "bernet")) == ["m3"]
    assert sorted(ids(find(engine, "billing service"))) == ["m1", "m4"]
    assert ids(find(engine, '"billing service"')) == ["m1"]
    assert ids(find(engine, "off_sale")) == ["m5"]        # "_" is no wildcard
    assert find(engine, "deploy", channels=("c2",)) == []
    assert find(engine, "deploy", channels=()) == []


def test_filters_order_and_pages(engine):
    index(engine, message(1, "release one", sender="ann"),
          message(2, "release two release", sender="bob", attachments=[{"id": "f"}]),
          message(3, "release three", channel="c2", sender="ann"))
    both = ("c1", "c2")
    assert ids(find(engine, "release", both, from_user="bob")) == ["m2"]
    assert ids(find(engine, "release", both, has_file=True)) == ["m2"]
    assert ids(find(engine, "release", both, after=T0 + timedelta(minutes=1),
                    before=T0 + timedelta(minutes=3))) == ["m2"]
    assert ids(find(engine, "release", both, sort=q.NEWEST)) == ["m3", "m2", "m1"]
    assert ids(find(engine, "release", both))[0] == "m2"     # two hits rank first

    for sort in (q.NEWEST, q.RELEVANCE):
        seen, position = [], None
        while True:
            rows = find(engine, "release", both, sort=sort, position=position, limit=1)
            if not rows:
                break
            seen += ids(rows)
            position = storage.position_of(rows[-1], sort)
        assert sorted(seen) == ["m1", "m2", "m3"], sort


def test_snippets_highlight_matches(engine):
    index(engine, message(1, "the deployment <b>went</b> fine"))
    [row] = find(engine, "deploy")
    html = q.snippet_html(row.headline, q.parse("deploy"))
    assert "<mark>deployment</mark>" in html and "<b>" not in html
