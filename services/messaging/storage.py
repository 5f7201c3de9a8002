"""Messaging's queries on MongoDB (FerretDB locally). The service holds the logic.

Sequence numbers: each message's ``seq`` is the channel's previous highest plus
one, claimed by inserting under a unique (channel_id, seq) index: a writer that
loses the race retries with the next number. No counter is incremented before
the insert, so a crash or a retry can never leave a gap. A second unique index
on (channel_id, client_msg_id) makes a retried send find the original.

The message document is its own outbox: ``published`` is false until the relay
has written the event to Kafka (one document, so no transaction is needed).
Later changes (edit, delete, pin, reactions) never update the message document:
FerretDB v1 (SQLite) applies an update as read, modify, write without isolation,
so concurrent updates of one document lose each other's changes (measured: 20
threads of ``$inc`` on one document kept 36 of 200). The only atomic step it
offers is an insert under a unique index. So each change is a document of its
own in ``message_changes``: ``rev`` = the message's previous revision + 1, claimed
under a unique (message_id, rev) index exactly like ``seq``; it holds the
message's changeable fields as they are after the change (``state``) and its
event (JSON) with ``published: false`` for the relay: the change and its pending
event are one insert. Reads lay the latest state over the message document.
Reactions are stored as strings ``"<emoji> <user id>"``.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pymongo
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

MAX_SEQ_ATTEMPTS = 50


def ensure_indexes(db) -> None:
    db.messages.create_index([("channel_id", 1), ("seq", 1)], unique=True,
                             name="channel_seq")
    db.messages.create_index([("channel_id", 1), ("client_msg_id", 1)], unique=True,
                             name="channel_client_msg")
    db.messages.create_index([("published", 1), ("_id", 1)], name="outbox")
    db.message_changes.create_index([("message_id", 1), ("rev", 1)], unique=True,
                                    name="message_rev")
    db.message_changes.create_index([("published", 1), ("_id", 1)], name="changes_outbox")


def to_message(doc) -> dict:
    return {"id": str(doc["_id"]), "channel_id": doc["channel_id"], "seq": doc["seq"],
            "sender_id": doc["sender_id"], "client_msg_id": doc["client_msg_id"],
            "text": doc["text"], "attachments": doc.get("attachments", []),
            "created_at": doc["created_at"].isoformat(),
            "mentions": doc.get("mentions", []), "links": doc.get("links", []),
            "edited_at": _iso(doc.get("edited_at")), "deleted_at": _iso(doc.get("deleted_at")),
            "pinned": bool(doc.get("pinned")), "pinned_by": doc.get("pinned_by"),
            "pinned_at": _iso(doc.get("pinned_at")),
            "reactions": reaction_summary(doc.get("reactions", [])),
            "thread_parent_id": doc.get("thread_parent_id"),
            "also_to_channel": bool(doc.get("also_to_channel")),
            "reply_count": doc.get("reply_count", 0),
            "last_reply_at": _iso(doc.get("last_reply_at")),
            "participants": doc.get("participants", [])}


def reaction_key(emoji: str, user_id: str) -> str:
    return f"{emoji} {user_id}"


def reaction_summary(keys) -> list[dict]:
    """``["<emoji> <user>", …]`` as one entry per emoji, in the order first used."""
    by_emoji: dict[str, list[str]] = {}
    for key in keys:
        emoji, _, user_id = key.rpartition(" ")
        by_emoji.setdefault(emoji, []).append(user_id)
    return [{"emoji": e, "count": len(users), "user_ids": users} for e, users in by_emoji.items()]


def _iso(value):
    return value.isoformat() if value is not None else None


def find_by_client_id(db, channel_id, client_msg_id):
    return db.messages.find_one({"channel_id": channel_id, "client_msg_id": client_msg_id})


def last_seq(db, channel_id) -> int:
    doc = db.messages.find_one({"channel_id": channel_id}, projection={"seq": 1},
                               sort=[("seq", pymongo.DESCENDING)])
    return doc["seq"] if doc else 0


def insert_message(db, channel_id, sender_id, client_msg_id, text, attachments,
                   request_id=None, mentions=(), links=(), thread_parent_id=None,
                   also_to_channel=False):
    """Insert with the next sequence number; returns (doc, created). The request
    id travels with the message to its Kafka event, for tracing."""
    for _ in range(MAX_SEQ_ATTEMPTS):
        doc = {"_id": ObjectId(), "channel_id": channel_id, "seq": last_seq(db, channel_id) + 1,
               "sender_id": sender_id, "client_msg_id": client_msg_id, "text": text,
               "attachments": attachments, "created_at": _now(), "published": False,
               "request_id": request_id, "mentions": list(mentions), "links": list(links),
               "thread_parent_id": thread_parent_id, "also_to_channel": also_to_channel}
        try:
            db.messages.insert_one(doc)
            return doc, True
        except DuplicateKeyError:
            existing = find_by_client_id(db, channel_id, client_msg_id)
            if existing is not None:
                return existing, False
            # another writer took this seq: try the next one
    raise RuntimeError(f"could not claim a sequence number in channel {channel_id}")


# The fields a change may set; a change stores all of them as they are after it.
MUTABLE = {"text": "", "attachments": [], "mentions": [], "links": [], "edited_at": None,
           "deleted_at": None, "pinned": False, "pinned_by": None, "pinned_at": None,
           "reactions": [], "reply_count": 0, "last_reply_at": None, "participants": []}


def get_message(db, message_id):
    """A message as it is now (its latest change laid over it), or None."""
    if not ObjectId.is_valid(message_id):
        return None
    doc = db.messages.find_one({"_id": ObjectId(message_id)})
    return with_changes(db, [doc])[0] if doc is not None else None


def with_changes(db, docs) -> list[dict]:
    """Lay each message's latest change over it (one query for a whole page)."""
    if not docs:
        return docs
    latest: dict[str, dict] = {}
    for change in db.message_changes.find(
            {"message_id": {"$in": [str(doc["_id"]) for doc in docs]}},
            projection={"message_id": 1, "rev": 1, "state": 1}).sort("rev", pymongo.ASCENDING):
        latest[change["message_id"]] = change
    out = []
    for doc in docs:
        change = latest.get(str(doc["_id"]))
        out.append({**doc, **change["state"], "rev": change["rev"]} if change else doc)
    return out


def claim_change(db, doc, changes: dict, event_json: str) -> dict | None:
    """Record ``changes`` to the message ``doc`` (as read, with its ``rev``) and
    the pending event in one insert. Returns the message as it is now, or None
    when another writer claimed the next revision first (read again, decide again)."""
    after = {**doc, **changes, "rev": doc.get("rev", 0) + 1}
    try:
        db.message_changes.insert_one({
            "_id": ObjectId(), "message_id": str(doc["_id"]), "channel_id": doc["channel_id"],
            "rev": after["rev"], "state": {k: after.get(k, default) for k, default in MUTABLE.items()},
            "event": event_json, "published": False, "created_at": _now()})
    except DuplicateKeyError:
        return None
    return after


def thread_summary(db, parent_id: str) -> dict:
    """What a thread's parent says about its replies, counted from the replies
    themselves (so recounting is idempotent and heals a count a crash missed)."""
    replies = list(db.messages.find({"thread_parent_id": parent_id},
                                    projection={"sender_id": 1, "created_at": 1})
                   .sort("seq", pymongo.ASCENDING))
    return {"reply_count": len(replies),
            "last_reply_at": max((r["created_at"] for r in replies), default=None),
            "participants": list(dict.fromkeys(r["sender_id"] for r in replies))}


def thread(db, parent_id: str, after=None, limit=50):
    """A page of a thread's replies, oldest first."""
    query: dict = {"thread_parent_id": parent_id}
    if after is not None:
        query["seq"] = {"$gt": after}
    return with_changes(db, list(db.messages.find(query).sort("seq", pymongo.ASCENDING)
                                 .limit(limit)))


def around(db, channel_id, seq, limit=50):
    """About half the page before ``seq``, the rest from ``seq`` on, oldest first."""
    older = list(db.messages.find({"channel_id": channel_id, "seq": {"$lt": seq}})
                 .sort("seq", pymongo.DESCENDING).limit(limit // 2))
    newer = list(db.messages.find({"channel_id": channel_id, "seq": {"$gte": seq}})
                 .sort("seq", pymongo.ASCENDING).limit(limit - len(older)))
    return with_changes(db, list(reversed(older)) + newer)


def history(db, channel_id, before=None, after=None, limit=50):
    """A page of a channel's messages, oldest first."""
    query: dict = {"channel_id": channel_id}
    if after is not None:
        query["seq"] = {"$gt": after}
        cursor = db.messages.find(query).sort("seq", pymongo.ASCENDING).limit(limit)
        return with_changes(db, list(cursor))
    if before is not None:
        query["seq"] = {"$lt": before}
    cursor = db.messages.find(query).sort("seq", pymongo.DESCENDING).limit(limit)
    return with_changes(db, list(reversed(list(cursor))))


# -- outbox (used by the relay) --------------------------------------------
def unpublished(db, limit=500):
    return list(db.messages.find({"published": False}).sort("_id", pymongo.ASCENDING)
                .limit(limit))


def mark_published(db, ids) -> None:
    db.messages.update_many({"_id": {"$in": list(ids)}}, {"$set": {"published": True}})


def count_unpublished(db) -> int:
    return (db.messages.count_documents({"published": False})
            + db.message_changes.count_documents({"published": False}))


def pending_changes(db, limit=500):
    """Changes whose event is not on Kafka yet, in the order they were made."""
    return list(db.message_changes.find({"published": False},
                                        projection={"event": 1, "channel_id": 1})
                .sort("_id", pymongo.ASCENDING).limit(limit))


def mark_changes_published(db, ids) -> None:
    db.message_changes.update_many({"_id": {"$in": list(ids)}}, {"$set": {"published": True}})


def _now():
    """Now, at the millisecond precision that BSON dates keep."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
