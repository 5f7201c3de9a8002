"""For messaging's unit tests only (mongomock): read a collection back, and stage
insert races on the real unique indexes. Integration tests use the real FerretDB."""
from __future__ import annotations


def stored(collection) -> list[dict]:
    """Every document of a collection, as the database holds it."""
    return list(collection.find())


def insert_first(collection, rival_of, times: int | None = 1) -> None:
    """Make another writer win the next ``times`` inserts (every one when None):
    just before each of ours, it inserts ``rival_of(our_doc)``."""
    original = collection.insert_one
    remaining = [times]

    def insert_one(doc, *args, **kwargs):
        if remaining[0] is not None:
            remaining[0] -= 1
            if remaining[0] == 0:
                collection.insert_one = original
        original(rival_of(doc))
        return original(doc, *args, **kwargs)

    collection.insert_one = insert_one
