"""Messaging's queries on MongoDB (FerretDB locally). The service holds the logic.

Sequence numbers: each message's ``seq`` is the channel's previous highest plus
one, claimed by inserting under a unique (channel_id, seq) index: a writer that
loses the race retries with the next number. No counter is incremented before
the insert, so a crash or a retry can never leave a gap. A second unique index
on (channel_id, client_msg_id) makes a retried send find the original.

The message document is its own outbox: ``published`` is false until the relay
has written the event to Kafka (one document, so no transaction is needed).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pymongo
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

MAX_SEQ_ATTEMPTS = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def ensure_indexes(db) -> None:
    db.messages.create_index([("channel_id", 1), ("seq", 1)], unique=True,
                             name="channel_seq")
    db.messages.create_index([("channel_id", 1), ("client_msg_id", 1)], unique=True,
                             name="channel_client_msg")
    db.messages.create_index([("published", 1), ("_id", 1)], name="outbox")
    db.files.create_index([("uploader_id", 1)], name="uploader")


def to_message(doc) -> dict:
    return {"id": str(doc["_id"]), "channel_id": doc["channel_id"], "seq": doc["seq"],
            "sender_id": doc["sender_id"], "client_msg_id": doc["client_msg_id"],
            "text": doc["text"], "attachments": doc.get("attachments", []),
            "created_at": doc["created_at"].isoformat()}


def find_by_client_id(db, channel_id, client_msg_id):
    return db.messages.find_one({"channel_id": channel_id, "client_msg_id": client_msg_id})


def last_seq(db, channel_id) -> int:
    doc = db.messages.find_one({"channel_id": channel_id}, projection={"seq": 1},
                               sort=[("seq", pymongo.DESCENDING)])
    return doc["seq"] if doc else 0


def insert_message(db, channel_id, sender_id, client_msg_id, text, attachments,
                   request_id=None):
    """Insert with the next sequence number; returns (doc, created). The request
    id travels with the message to its Kafka event, for tracing."""
    for _ in range(MAX_SEQ_ATTEMPTS):
        doc = {"_id": ObjectId(), "channel_id": channel_id, "seq": last_seq(db, channel_id) + 1,
               "sender_id": sender_id, "client_msg_id": client_msg_id, "text": text,
               "attachments": attachments, "created_at": _now(), "published": False,
               "request_id": request_id}
        try:
            db.messages.insert_one(doc)
            return doc, True
        except DuplicateKeyError:
            existing = find_by_client_id(db, channel_id, client_msg_id)
            if existing is not None:
                return existing, False
            # another writer took this seq: try the next one
    raise RuntimeError(f"could not claim a sequence number in channel {channel_id}")


def history(db, channel_id, before=None, after=None, limit=50):
    """A page of a channel's messages, oldest first."""
    query: dict = {"channel_id": channel_id}
    if after is not None:
        query["seq"] = {"$gt": after}
        cursor = db.messages.find(query).sort("seq", pymongo.ASCENDING).limit(limit)
        return list(cursor)
    if before is not None:
        query["seq"] = {"$lt": before}
    cursor = db.messages.find(query).sort("seq", pymongo.DESCENDING).limit(limit)
    return list(reversed(list(cursor)))


# -- outbox (used by the relay) --------------------------------------------
def unpublished(db, limit=500):
    return list(db.messages.find({"published": False}).sort("_id", pymongo.ASCENDING)
                .limit(limit))


def mark_published(db, ids) -> None:
    db.messages.update_many({"_id": {"$in": list(ids)}}, {"$set": {"published": True}})


def count_unpublished(db) -> int:
    return db.messages.count_documents({"published": False})


# -- files -----------------------------------------------------------------
def new_file(db, uploader_id, filename, content_type, size) -> dict:
    file_id = ObjectId()
    doc = {"_id": file_id, "uploader_id": uploader_id, "filename": filename,
           "content_type": content_type, "declared_size": size, "size": None,
           "key": f"files/{file_id}/{_UNSAFE.sub('_', filename)[:120]}",
           "status": "pending", "channel_ids": [], "created_at": _now()}
    db.files.insert_one(doc)
    return doc


def get_file(db, file_id):
    if not ObjectId.is_valid(file_id):
        return None
    return db.files.find_one({"_id": ObjectId(file_id)})


def mark_file_ready(db, file_id, size) -> None:
    db.files.update_one({"_id": ObjectId(file_id)}, {"$set": {"status": "ready", "size": size}})


def attach_files(db, file_ids, channel_id) -> None:
    db.files.update_many({"_id": {"$in": [ObjectId(f) for f in file_ids]}},
                         {"$addToSet": {"channel_ids": channel_id}})


def to_file(doc) -> dict:
    return {"id": str(doc["_id"]), "filename": doc["filename"],
            "content_type": doc["content_type"], "size": doc["size"], "status": doc["status"]}


def _now():
    """Now, at the millisecond precision that BSON dates keep."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
