"""The FerretDB this project builds (ops/ferretdb, with ops/ferretdb/patches) finds
a document by ``_id`` through SQLite's index, not by reading the whole table.

Messaging reads everything by ``_id`` (services/messaging/storage.py) because
that is the only filter FerretDB's SQLite backend hands to SQLite. Upstream
v1.24 indexes ``->"_id"`` but filters on ``->'$._id'``, so SQLite scanned every
row for every lookup (FerretDB/FerretDB#4646); the patch indexes the filter's
own expression. This asks SQLite itself how it would run FerretDB's lookup on a
collection FerretDB just created. A second patch lets ``{_id: {$in: [...]}}`` use that
index too (messaging reads a page of slots in one lookup), and a third does the same
for a field with an index of its own (messaging finds a message by its ``id``).
FerretDB's ``explain`` tells whether a filter was handed to SQLite and how SQLite
runs it."""
from __future__ import annotations

import sqlite3
import uuid

import pytest

from ops.stack import paths
from services.common.stores import mongo_database


@pytest.fixture
def collection(stack):
    db = mongo_database()
    collection = db[f"probe_{uuid.uuid4().hex[:8]}"]
    collection.insert_many([{"_id": f"k{i}", "v": i, "name": f"n{i}"} for i in range(50)])
    yield collection
    collection.drop()


def plan_of_an_id_lookup(database: str, collection_name: str) -> str:
    sqlite = sqlite3.connect(f"file:{paths.data('ferretdb')}/{database}.sqlite?mode=ro",
                             uri=True)
    try:
        (table,) = sqlite.execute("SELECT table_name FROM _ferretdb_collections WHERE name = ?",
                                  (collection_name,)).fetchone()
        # the statement FerretDB's backend runs for find({"_id": …})
        rows = sqlite.execute(f'EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "{table}" '
                              "WHERE _ferretdb_sjson->'$._id' = ?", ('"k7"',)).fetchall()
    finally:
        sqlite.close()
    return " ".join(row[-1] for row in rows)


def test_a_lookup_by_id_searches_the_index_instead_of_scanning_the_table(collection):
    assert collection.find_one({"_id": "k7"})["v"] == 7
    plan = plan_of_an_id_lookup(collection.database.name, collection.name)
    assert "USING INDEX" in plan and "SCAN" not in plan, plan


def test_the_index_still_keeps_ids_unique(collection):
    from pymongo.errors import DuplicateKeyError
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"_id": "k7", "v": "again"})
    assert collection.count_documents({"_id": "k7"}) == 1


def explain(collection, query: dict) -> dict:
    return collection.database.command("explain", {"find": collection.name, "filter": query})


def test_a_lookup_of_many_ids_at_once_searches_the_index(collection):
    query = {"_id": {"$in": ["k3", "k7", "k40", "absent"]}}
    assert sorted(doc["v"] for doc in collection.find(query)) == [3, 7, 40]
    explained = explain(collection, query)
    plan = " ".join(explained["queryPlanner"]["Plan"])
    assert explained["filterPushdown"] is True
    assert "USING INDEX" in plan and "SCAN" not in plan, plan


@pytest.mark.parametrize("query", [{"v": 3}, {"_id": {"$in": ["k3", 7]}},
                                   {"_id": {"$in": ["k3"]}, "v": 3}])
def test_other_filters_are_left_to_ferretdb_and_still_answer_right(collection, query):
    assert [doc["v"] for doc in collection.find(query)] == [3]
    assert explain(collection, query)["filterPushdown"] is False



@pytest.fixture
def indexed_by_name(collection):
    collection.create_index([("name", 1)], unique=True, name="by_name")
    return collection


@pytest.mark.parametrize(("query", "found"), [
    ({"name": "n7"}, [7]),
    ({"name": {"$in": ["n7", "n9", "absent"]}}, [7, 9]),
])
def test_a_field_with_an_index_of_its_own_is_looked_up_through_it(indexed_by_name, query,
                                                                   found):
    assert sorted(doc["v"] for doc in indexed_by_name.find(query)) == found
    explained = explain(indexed_by_name, query)
    plan = " ".join(explained["queryPlanner"]["Plan"])
    assert explained["filterPushdown"] is True
    assert "USING INDEX" in plan and "SCAN" not in plan, plan


@pytest.mark.parametrize(("query", "found"), [
    ({"name": 7}, ["number"]),           # not a string or an ObjectId
    ({"name": "n7", "v": 7}, ["k7"]),    # not the field alone
    ({"v": 7}, ["k7", "number"]),        # no index of its own
])
def test_a_filter_the_index_cannot_answer_is_left_to_ferretdb(indexed_by_name, query, found):
    indexed_by_name.insert_one({"_id": "number", "v": 7, "name": 7})
    assert sorted(doc["_id"] for doc in indexed_by_name.find(query)) == found
    assert explain(indexed_by_name, query)["filterPushdown"] is False
