"""What each later change does to a stored message: pure functions from the
document as read to the fields to ``$set`` (None: nothing to do, the change is
already there, so a repeat is a no-op). The service checks permissions first;
storage.claim_change records the result together with its event."""
from __future__ import annotations

from datetime import datetime

from services.common.errors import Conflict, InvalidInput

from . import storage
from .schemas import MAX_DISTINCT_REACTIONS


def _alive(doc) -> None:
    if doc.get("deleted_at") is not None:
        raise Conflict("the message was deleted")


def edit(doc, text: str, mentions: list[str], links: list[str], at: datetime,
         blocks: list[dict] | None = None) -> dict | None:
    """New text (and, unless ``blocks`` is None, new Block Kit blocks)."""
    _alive(doc)
    blocks = doc.get("blocks", []) if blocks is None else blocks
    if doc["text"] == text and doc.get("blocks", []) == blocks:
        return None
    if not text.strip() and not doc.get("attachments") and not blocks:
        raise InvalidInput("a message needs text or an attachment")
    return {"text": text, "mentions": mentions, "links": links, "edited_at": at,
            "blocks": blocks}


def delete(doc, at: datetime) -> dict | None:
    if doc.get("deleted_at") is not None:
        return None
    return {"text": "", "attachments": [], "mentions": [], "links": [], "reactions": [],
            "blocks": [], "pinned": False, "pinned_by": None, "pinned_at": None, "deleted_at": at}


def pin(doc, actor_id: str, pinned: bool, at: datetime) -> dict | None:
    _alive(doc)
    if bool(doc.get("pinned")) == pinned:
        return None
    if pinned:
        return {"pinned": True, "pinned_by": actor_id, "pinned_at": at}
    return {"pinned": False, "pinned_by": None, "pinned_at": None}


def count_reply(doc, reply) -> dict | None:
    """Count ``reply`` into its thread's parent (None: it is counted already).
    Worked out from the parent as it is and the one reply, so a resend that
    counts again changes nothing."""
    seqs = list(doc.get("reply_seqs", []))
    if reply["seq"] in seqs:
        return None
    participants = list(doc.get("participants", []))
    if reply["sender_id"] not in participants:
        participants.append(reply["sender_id"])
    last = doc.get("last_reply_at")
    return {"reply_seqs": sorted(seqs + [reply["seq"]]), "reply_count": len(seqs) + 1,
            "participants": participants,
            "last_reply_at": reply["created_at"] if last is None else max(last,
                                                                        reply["created_at"])}


def react(doc, actor_id: str, emoji: str, add: bool) -> dict | None:
    _alive(doc)
    keys = list(doc.get("reactions", []))
    key = storage.reaction_key(emoji, actor_id)
    if (key in keys) == add:
        return None
    if add:
        emojis = {k.rpartition(" ")[0] for k in keys}
        if emoji not in emojis and len(emojis) >= MAX_DISTINCT_REACTIONS:
            raise Conflict(f"a message holds at most {MAX_DISTINCT_REACTIONS} different emoji")
        return {"reactions": keys + [key]}
    return {"reactions": [k for k in keys if k != key]}
