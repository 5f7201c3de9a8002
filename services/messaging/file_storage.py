"""Messaging's file records on MongoDB (FerretDB locally). The service holds the logic.

Two facts of FerretDB v1 with its SQLite backend shape this module:

- it pushes down only filters that are exactly ``{"_id": <value>}``; any other
  query reads the whole collection. So every lookup here is by ``_id``: a file by
  its id, and the file's attachment by the same id.
- an update is read, modify, write without isolation (two concurrent updates of
  one document lose one of them); the only atomic step is an insert under a
  unique index, ``_id`` included.

``files`` (``_id`` = the file id, an ObjectId) has one writer while it changes:
the upload that created it marks it ready once. Attaching a file to a message is
the one contested step (two messages may race for one file), so it is an insert
into ``file_attachments`` with ``_id`` = the file id: the first message wins, a
second one finds the record. The attachment names the message by its channel and
``client_msg_id`` (the send's idempotency key) because it is claimed before the
message is inserted: a retried send finds its own claim and carries on.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def new_file(db, uploader_id, filename, claimed_type, declared_size) -> dict:
    """A pending file: its bytes are on their way to ``key``."""
    file_id = ObjectId()
    prefix = f"files/{_UNSAFE.sub('_', uploader_id)}/{file_id}"
    doc = {"_id": file_id, "uploader_id": uploader_id, "filename": filename,
           "claimed_type": claimed_type, "declared_size": declared_size,
           "key": f"{prefix}/original", "thumbnail_key": None, "status": "pending",
           "size": None, "content_type": None, "width": None, "height": None,
           "created_at": _now()}
    db.files.insert_one(doc)
    return doc


def get_file(db, file_id):
    if not isinstance(file_id, str) or not ObjectId.is_valid(file_id):
        return None
    return db.files.find_one({"_id": ObjectId(file_id)})


def thumbnail_key(doc) -> str:
    return doc["key"].rsplit("/", 1)[0] + "/thumbnail.png"


def mark_file_ready(db, file_id, size, content_type, width=None, height=None,
                    thumbnail_key=None) -> dict:
    """What the stored bytes turned out to be. Only the upload that created the
    file calls this (one writer), so the update is safe on FerretDB."""
    fields = {"status": "ready", "size": size, "content_type": content_type,
              "width": width, "height": height, "thumbnail_key": thumbnail_key}
    db.files.update_one({"_id": ObjectId(file_id)}, {"$set": fields})
    return {**get_file(db, file_id), **fields}


def forget_file(db, file_id) -> None:
    """The record goes (its objects were removed first); the attachment record
    stays, so the id can never be attached again."""
    db.files.delete_one({"_id": ObjectId(file_id)})


def claim_attachment(db, file_id, channel_id, client_msg_id) -> dict:
    """Attach the file to the message ``(channel_id, client_msg_id)`` unless
    another message has it: returns the record that holds, the caller's own or
    the earlier one's."""
    record = {"_id": file_id, "channel_id": channel_id, "client_msg_id": client_msg_id,
              "attached_at": _now()}
    try:
        db.file_attachments.insert_one(record)
        return record
    except DuplicateKeyError:
        return db.file_attachments.find_one({"_id": file_id})


def attachment(db, file_id):
    return db.file_attachments.find_one({"_id": file_id})


def to_file(doc, channel_id=None) -> dict:
    """A file as clients see it (URLs, which expire, are added by download_url)."""
    return {"id": str(doc["_id"]), "filename": doc["filename"], "size": doc["size"],
            "content_type": doc["content_type"], "width": doc.get("width"),
            "height": doc.get("height"), "has_thumbnail": bool(doc.get("thumbnail_key")),
            "uploader_id": doc["uploader_id"], "channel_id": channel_id,
            "status": doc["status"], "created_at": doc["created_at"].isoformat()}


def _now():
    """Now, at the millisecond precision that BSON dates keep."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
