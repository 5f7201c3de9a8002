"""Writers that take turns in the FerretDB this project builds
(ops/ferretdb/patches/sqlite-writes-take-turns.patch): many threads writing at once
through messaging's own storage still get every rule of the store right (each
message its own seq, one message per client id, a slot's duplicate key seen by the
loser of a race), while the outbox is deleted from at the same time, and nobody
waits forever. How much faster it is: bench/ferretdb_writers.py."""
from __future__ import annotations

import threading
import uuid

import pytest

from services.common.stores import mongo_database
from services.messaging import storage

WRITERS = 8
SENDS = 15


@pytest.fixture
def db(stack):
    client = mongo_database().client
    name = f"writers_{uuid.uuid4().hex[:8]}"
    database = client[name]
    storage.ensure_indexes(database)
    yield database
    client.drop_database(name)


def send(db, channel_id: str, client_msg_id: str) -> dict:
    message_id = storage.reserve(db, channel_id, client_msg_id)[0]
    doc, _ = storage.insert_message(db, message_id, channel_id, "ada", client_msg_id, "hi", [])
    return doc


def test_writers_racing_into_one_channel_each_get_a_seq_and_a_resend_stays_one_message(db):
    stored, failures = [], []

    def writer(k: int) -> None:
        try:
            for n in range(SENDS):
                # every writer also resends what the writer before it sends: the same client id
                for client_msg_id in (f"c-{k}-{n}", f"c-{(k - 1) % WRITERS}-{n}"):
                    stored.append((client_msg_id, send(db, "general", client_msg_id)["id"]))
                storage.dequeue(db, [e["_id"] for e in storage.outbox_entries(db, 10)])
        except Exception as exc:   # noqa: BLE001 — reported below
            failures.append(exc)
    threads = [threading.Thread(target=writer, args=(k,)) for k in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer never got its turn"
    assert failures == []
    ids_by_client = {}
    for client_msg_id, message_id in stored:
        assert ids_by_client.setdefault(client_msg_id, message_id) == message_id
    seqs = sorted(doc["seq"] for doc in db.messages.find({"channel_id": "general"}))
    assert seqs == list(range(1, WRITERS * SENDS + 1))
