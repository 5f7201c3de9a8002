"""Messaging's queries on MongoDB (FerretDB locally). The service holds the logic.

Two facts of FerretDB v1 (SQLite backend) shape every query here; both are
measured and explained in docs/architecture.md ("Messages on FerretDB"):

- It pushes down to SQLite only a filter that is exactly ``{"_id": <value>}``
  or, with Parley's patches (ops/ferretdb/patches/), ``{"_id": {"$in": [...]}}``
  and the same two on a field with an index of its own (``messages.id``). Any
  other filter or sort decodes and tests every document of the collection in Go:
  about 0.2 ms per document, so 0.4 s per history page at 2,000 stored messages,
  and growing. So every hot read here is a lookup by ``_id`` or ``id``, the keys
  are built to be known in advance, and a page of them is read in one ``$in``
  (``by_ids``) instead of a round trip each.
- Its updates are not isolated (read, modify, write): concurrent updates of one
  document lose each other's changes. The only atomic step is an insert under a
  unique index. So nothing that matters is ever updated in place.

The documents:

- ``messages``: ``_id`` = the message's *slot* ``"<channel>:<seq, 12 digits>"``.
  A message takes the channel's next sequence number by inserting into its
  slot; a writer that loses the race tries the next slot. Nothing is counted
  before the insert, so a crash or a retry never leaves a gap. The public id
  (``id``, a time-ordered ObjectId) is unique too, so one message never holds
  two slots, and its index answers a fetch by id. Reading a page is reading its
  slots. (A ``message_ids`` collection, id → slot, did that before FerretDB was
  patched to read through such an index; nothing reads or writes it any more.)
- ``client_ids``: ``_id`` = ``"<channel>:<client msg id>"`` → the message id
  reserved for it, by insert, before the message is stored: every attempt with
  that client id stores that one message id, so a retry finds the original.
- ``channel_heads``: ``_id`` = channel → a seq written. Only a hint, moved by
  every ``HEAD_EVERY``-th message of a channel (updates may lose each other, and
  each update is a write through SQLite's one writer): readers and writers read
  the ``HEAD_EVERY`` slots past it at once, and on until a slot is free. A
  writer first tries the last seq it stored in the channel itself (``_stored``,
  per process): read together with the slots past it, it saves reading the hint
  on most sends, and it is used only while that slot is still taken.
- ``message_changes``: later changes (edit, delete, pin, reactions, thread
  counts); ``_id`` = ``"<message id>:<rev, 6 digits>"``, claimed like a slot, so
  revisions have no gaps and a writer that lost the race reads again. Each
  holds the message's changeable fields after the change (``state``) and its
  event; reads lay the latest state over the message.
- ``outbox``: one entry per event the relay still has to produce to Kafka,
  written *before* the message or change it names, deleted once produced. The
  relay reads only this small collection instead of searching every message.
- ``pin_index``: ``_id`` = ``"<channel>:<n, 6 digits>"`` → a message id: every
  message ever pinned in the channel, claimed like a revision (no gaps), so a
  channel's list is read slot by slot. Written *before* the pin's change, so a
  pinned message is always on it; whether it is pinned now is its latest
  change's ``pinned`` (an unpin or a delete needs no write here).
- ``pins``: ``_id`` = ``"<channel>:<message id>"``: the message is on the
  channel's ``pin_index`` already, so pinning it again adds no slot.

Reactions are stored as strings ``"<emoji> <user id>"``.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

MAX_SEQ_ATTEMPTS = 50
HEAD_EVERY = 16  # the head hint moves with every 16th message; slots past it are read at once
ID_BATCH = 200   # _ids per $in lookup (FerretDB's patch pushes down up to 1000)
ORPHAN_AFTER = timedelta(seconds=30)  # an outbox entry whose write never happened


def ensure_indexes(db) -> None:
    db.messages.create_index([("id", 1)], unique=True, name="message_id")


# -- keys --------------------------------------------------------------------
def slot(channel_id: str, seq: int) -> str:
    return f"{channel_id}:{seq:012d}"


def client_key(channel_id: str, client_msg_id: str) -> str:
    return f"{channel_id}:{client_msg_id}"


def change_key(message_id: str, rev: int) -> str:
    return f"{message_id}:{rev:06d}"


def pin_slot(channel_id: str, n: int) -> str:
    return f"{channel_id}:{n:06d}"


def pin_key(channel_id: str, message_id: str) -> str:
    return f"{channel_id}:{message_id}"


# -- shapes --------------------------------------------------------------------
def to_message(doc) -> dict:
    return {"id": doc["id"], "channel_id": doc["channel_id"], "seq": doc["seq"],
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
            "participants": doc.get("participants", []),
            "blocks": doc.get("blocks", [])}


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


# -- sending -------------------------------------------------------------------
def reserved_id(db, channel_id, client_msg_id) -> str | None:
    """The message id an earlier attempt with this client id reserved, if any."""
    found = db.client_ids.find_one({"_id": client_key(channel_id, client_msg_id)})
    return found["message_id"] if found else None


def reserve(db, channel_id, client_msg_id) -> tuple[str, bool]:
    """(the one message id of this client id, whether this call reserved it): a new
    one, or the one that another attempt reserved first. One insert for a first
    attempt, which needs no lookup before it."""
    key = client_key(channel_id, client_msg_id)
    try:
        message_id = str(ObjectId())
        db.client_ids.insert_one({"_id": key, "message_id": message_id, "created_at": _now()})
        return message_id, True
    except DuplicateKeyError:
        return db.client_ids.find_one({"_id": key})["message_id"], False


def find_message(db, message_id: str):
    """The stored message with this id (without its changes), or None."""
    return db.messages.find_one({"id": message_id})


def insert_message(db, message_id, channel_id, sender_id, client_msg_id, text, attachments,
                   request_id=None, mentions=(), links=(), thread_parent_id=None,
                   also_to_channel=False, blocks=()):
    """Store the message in the channel's next free slot; returns (doc, created).
    ``created`` is False when another attempt of the same message stored it
    first. Its ``message.created`` event is queued first, so that a crash right
    after the insert still gets it published. The request id travels with the
    message to its Kafka event, for tracing."""
    enqueue(db, "message", message_id, channel_id)
    seq = next_free(db, channel_id)
    for _ in range(MAX_SEQ_ATTEMPTS):
        doc = {"_id": slot(channel_id, seq), "id": message_id, "channel_id": channel_id,
               "seq": seq, "sender_id": sender_id, "client_msg_id": client_msg_id,
               "text": text, "attachments": attachments, "created_at": _now(),
               "request_id": request_id, "mentions": list(mentions), "links": list(links),
               "thread_parent_id": thread_parent_id, "also_to_channel": also_to_channel,
               "blocks": list(blocks)}
        try:
            db.messages.insert_one(doc)
        except DuplicateKeyError:
            holder = db.messages.find_one({"_id": doc["_id"]}, projection={"id": 1})
            if holder is None or holder["id"] == message_id:
                # not the slot but the message id is taken: another attempt stored it
                return find_message(db, message_id), False
            seq = first_free(db, channel_id, seq)  # another message took the slot
            continue
        if seq % HEAD_EVERY == 0:
            move_head(db, channel_id, seq)
        _remember_stored(channel_id, seq)
        return doc, True
    raise RuntimeError(f"could not claim a sequence number in channel {channel_id}")


def move_head(db, channel_id, seq) -> None:
    try:
        db.channel_heads.update_one({"_id": channel_id}, {"$max": {"seq": seq}}, upsert=True)
    except DuplicateKeyError:
        pass  # two first moves upserted at once; the hint is only a hint


def head(db, channel_id) -> int:
    """A sequence number the channel's hint knows to be taken (maybe far behind)."""
    found = db.channel_heads.find_one({"_id": channel_id})
    return found["seq"] if found else 0


_stored: dict[str, int] = {}   # channel → the last seq this process stored in it
STORED_CHANNELS = 100_000      # forgotten all at once past this many (only a hint)


def _remember_stored(channel_id: str, seq: int) -> None:
    if len(_stored) >= STORED_CHANNELS:
        _stored.clear()
    _stored[channel_id] = seq   # not the highest: a memory found wrong must heal


def next_free(db, channel_id) -> int:
    """The channel's first free slot: past the last seq this process stored there
    when that slot is still taken (one read: it and the slots past it), else past
    the channel's head hint (two)."""
    stored = _stored.get(channel_id)
    if stored:
        seq = first_free(db, channel_id, stored, taken_first=True)
        if seq is not None:
            return seq
    return first_free(db, channel_id, head(db, channel_id))


def first_free(db, channel_id, after: int, taken_first: bool = False) -> int | None:
    """The first free slot past ``after`` (a seq taken, or 0): the ``HEAD_EVERY``
    slots past it read at once, then the next ones. Slots are claimed without gaps,
    so every slot before it is taken. ``taken_first``: ``after`` is only believed
    taken; its slot is read with the first window, and None returned if it is free
    (another database, or the channel's messages removed)."""
    check = [slot(channel_id, after)] if taken_first else []
    while True:
        window = range(after + 1, after + HEAD_EVERY + 1)
        taken = by_ids(db.messages, check + [slot(channel_id, n) for n in window],
                       projection={"_id": 1})
        if check and check[0] not in taken:
            return None
        check = []
        free = [n for n in window if slot(channel_id, n) not in taken]
        if free:
            return free[0]
        after = window[-1]


def last_seq(db, channel_id) -> int:
    """The channel's highest sequence number: the slots past the hint read at once
    (moving the hint up when it was a window or more behind, as after a crash
    between a message and its move)."""
    hint = head(db, channel_id)
    seq = first_free(db, channel_id, hint) - 1
    if seq - hint >= HEAD_EVERY:
        move_head(db, channel_id, seq)
    return seq


# -- reading -------------------------------------------------------------------
# The fields a change may set; a change stores all of them as they are after it.
MUTABLE = {"text": "", "attachments": [], "mentions": [], "links": [], "edited_at": None,
           "deleted_at": None, "pinned": False, "pinned_by": None, "pinned_at": None,
           "reactions": [], "reply_count": 0, "last_reply_at": None, "participants": [],
           "reply_seqs": [], "blocks": []}


def get_message(db, message_id):
    """A message as it is now (its latest change laid over it), or None."""
    if not ObjectId.is_valid(message_id):
        return None
    doc = find_message(db, message_id)
    return with_changes(db, [doc])[0] if doc is not None else None


def latest_changes(db, message_ids: list[str]) -> dict[str, dict]:
    """Each message's change with the highest revision, by message id (a message
    never changed is not there), for all of them at once: a few ``$in`` lookups,
    however many messages (last_claimed_many)."""
    def probe(asks: dict[str, int]) -> dict[str, dict]:
        keys = {change_key(message_id, rev): message_id for message_id, rev in asks.items()}
        found = by_ids(db.message_changes, list(keys), projection={"rev": 1, "state": 1})
        return {keys[key]: doc for key, doc in found.items()}
    claimed = last_claimed_many(list(dict.fromkeys(message_ids)), probe)
    return {message_id: doc for message_id, (_, doc) in claimed.items() if doc is not None}


def last_claimed(probe) -> tuple[int, dict | None]:
    """The highest ``n`` (and its document) for which ``probe(n)`` finds one, in
    a series claimed from 1 with no gaps (last_claimed_many, for one series).
    (0, None) when there is none."""
    return last_claimed_many([0], lambda asks: {0: probe(asks[0])})[0]


def last_claimed_many(keys: list, probe) -> dict:
    """For each of ``keys``, the highest ``n`` (and its document) for which the
    series of that key has one, each series claimed from 1 with no gaps: double
    until one is missing, then bisect (2·log₂ n lookups per series). All series take
    their steps together: each round asks ``probe({key: n})`` once for every series
    still searching and gets ``{key: document}`` for those found, so a page of
    changed messages costs the rounds of its most changed message, not the sum of
    all their lookups (which, one after another, made opening a channel take over
    half a second under load). ``{key: (0, None)}`` for a series with none."""
    found: dict = {key: None for key in keys}
    low = {key: 0 for key in keys}
    high = {key: 1 for key in keys}
    doubling = set(keys)
    while asks := {key: high[key] if key in doubling else (low[key] + high[key]) // 2
                   for key in keys if key in doubling or high[key] - low[key] > 1}:
        docs = probe(asks)
        for key, n in asks.items():
            if docs.get(key) is not None:
                found[key], low[key] = docs[key], n
                if key in doubling:
                    high[key] = n * 2
            else:
                doubling.discard(key)
                high[key] = n
    return {key: (low[key], found[key]) for key in keys}


def by_ids(collection, ids: list[str], projection=None, key="_id") -> dict[str, dict]:
    """The documents whose ``key`` (``_id``, or another indexed field) is one of
    these, by it, read ``ID_BATCH`` at a time (one round trip each, answered from
    the index)."""
    found = {}
    for first in range(0, len(ids), ID_BATCH):
        for doc in collection.find({key: {"$in": ids[first:first + ID_BATCH]}},
                                   projection=projection):
            found[doc[key]] = doc
    return found


def with_changes(db, docs) -> list[dict]:
    """Lay each message's latest change over it. The first round of lookups tells
    which messages were ever changed (their first revision exists); only those are
    read further, all together."""
    latest = latest_changes(db, [doc["id"] for doc in docs])
    return [{**doc, **change["state"], "rev": change["rev"]}
            if (change := latest.get(doc["id"])) else doc for doc in docs]


def page(db, channel_id, seqs) -> list[dict]:
    """The messages in these slots, in this order, as they are now."""
    slots = [slot(channel_id, seq) for seq in seqs]
    found = by_ids(db.messages, slots)
    return with_changes(db, [found[key] for key in slots if key in found])


def history(db, channel_id, before=None, after=None, limit=50):
    """A page of a channel's messages, oldest first: the ``limit`` right after
    ``after``, else the ``limit`` right before ``before``, else the latest."""
    last = last_seq(db, channel_id)
    if after is not None:
        return page(db, channel_id, range(after + 1, min(after + limit, last) + 1))
    top = last if before is None else min(before - 1, last)
    return page(db, channel_id, range(max(1, top - limit + 1), top + 1))


def catch_up(db, positions: dict[str, int], limit=50) -> dict[str, list[dict]]:
    """For each channel, the first ``limit`` messages after its seq in ``positions``,
    oldest first, in a few round trips however many channels: their head hints at
    once, then every slot from the seq to one past the hint at once (most channels
    of a reconnecting client have nothing new: one slot each, found empty). The
    channels whose slots were all taken (the hint moves every ``HEAD_EVERY``
    messages, so it is often behind) read on, ``HEAD_EVERY`` slots more each, all of
    them in one lookup per round."""
    hints = by_ids(db.channel_heads, list(positions))
    runs: dict[str, list[dict]] = {channel_id: [] for channel_id in positions}
    pending = {channel_id: range(after + 1, min(after + limit,
                                                max(hints.get(channel_id, {}).get("seq", 0),
                                                    after) + 1) + 1)
               for channel_id, after in positions.items()}
    while pending:
        found = by_ids(db.messages, [slot(c, seq) for c, seqs in pending.items() for seq in seqs])
        further = {}
        for channel_id, seqs in pending.items():
            run = runs[channel_id]
            for seq in seqs:
                doc = found.get(slot(channel_id, seq))
                if doc is None:
                    break
                run.append(doc)
            else:   # every slot taken: there may be more
                start, last = positions[channel_id] + len(run), positions[channel_id] + limit
                if start < last:
                    further[channel_id] = range(start + 1, min(last, start + HEAD_EVERY) + 1)
        pending = further
    changed = iter(with_changes(db, [doc for run in runs.values() for doc in run]))
    return {channel_id: [next(changed) for _ in run] for channel_id, run in runs.items()}


def around(db, channel_id, seq, limit=50):
    """About half the page before ``seq``, the rest from ``seq`` on, oldest first."""
    last = last_seq(db, channel_id)
    first = max(1, min(seq, last + 1) - limit // 2)
    return page(db, channel_id, range(first, min(first + limit - 1, last) + 1))


def thread(db, parent, after=None, limit=50):
    """A page of a thread's replies, oldest first (``after``: a reply's seq)."""
    seqs = [s for s in parent.get("reply_seqs", []) if after is None or s > after]
    return page(db, parent["channel_id"], seqs[:limit])


# -- changes -------------------------------------------------------------------
def claim_change(db, doc, changes: dict, event_json: str, event_id: str) -> dict | None:
    """Record ``changes`` to the message ``doc`` (as read, with its ``rev``) and
    its event in one insert. Returns the message as it is now, or None when
    another writer claimed the next revision first (read again, decide again)."""
    after = {**doc, **changes, "rev": doc.get("rev", 0) + 1}
    key = change_key(doc["id"], after["rev"])
    entry = enqueue(db, "change", key, doc["channel_id"], event_id)
    try:
        db.message_changes.insert_one({
            "_id": key, "message_id": doc["id"], "channel_id": doc["channel_id"],
            "rev": after["rev"], "state": {k: after.get(k, default) for k, default in MUTABLE.items()},
            "event": event_json, "event_id": event_id, "created_at": _now()})
    except DuplicateKeyError:
        db.outbox.delete_one({"_id": entry})
        return None
    return after


# -- pins ------------------------------------------------------------------------
def index_pin(db, channel_id: str, message_id: str) -> None:
    """Put the message on its channel's pin index (before it is pinned). Once
    is enough: a message already there gets no second slot. Two first pins
    racing, or a crash between the slot and the ``pins`` mark, may give it two
    slots; readers take each message once."""
    if db.pins.find_one({"_id": pin_key(channel_id, message_id)}, projection={"_id": 1}):
        return
    n = last_pin_slot(db, channel_id) + 1
    for _ in range(MAX_SEQ_ATTEMPTS):
        try:
            db.pin_index.insert_one({"_id": pin_slot(channel_id, n), "channel_id": channel_id,
                                     "n": n, "message_id": message_id, "created_at": _now()})
            break
        except DuplicateKeyError:
            holder = db.pin_index.find_one({"_id": pin_slot(channel_id, n)})
            if holder is not None and holder["message_id"] == message_id:
                break  # a racing pin of the same message took it
            n += 1
    else:
        raise RuntimeError(f"could not claim a pin slot in channel {channel_id}")
    try:
        db.pins.insert_one({"_id": pin_key(channel_id, message_id), "slot": n,
                            "created_at": _now()})
    except DuplicateKeyError:
        pass


def last_pin_slot(db, channel_id: str) -> int:
    return last_claimed(lambda n: db.pin_index.find_one({"_id": pin_slot(channel_id, n)},
                                                        projection={"_id": 1}))[0]


def ever_pinned(db, channel_id: str) -> list[str]:
    """The ids of the messages on the channel's pin index, each once, oldest
    first pin first."""
    ids: dict[str, None] = {}
    for n in range(1, last_pin_slot(db, channel_id) + 1):
        entry = db.pin_index.find_one({"_id": pin_slot(channel_id, n)},
                                      projection={"message_id": 1})
        if entry is not None:
            ids.setdefault(entry["message_id"], None)
    return list(ids)


def pinned(db, channel_id: str) -> list[dict]:
    """The channel's pinned messages as they are now, the newest pin first:
    each message ever pinned, kept if its latest change says it is pinned (an
    unpinned or deleted one is not)."""
    found = []
    for message_id in ever_pinned(db, channel_id):
        doc = get_message(db, message_id)
        if doc is not None and doc["channel_id"] == channel_id and doc.get("pinned") \
                and doc.get("deleted_at") is None:
            found.append(doc)
    # newest pin first; pins within one tick of the clock: the later first pin first
    # (a stable sort keeps the reversed index order among equal times)
    return sorted(reversed(found), key=lambda d: d.get("pinned_at") or d["created_at"],
                  reverse=True)


def pinned_by_scan(db) -> list[tuple[str, str]]:
    """(channel, message id) of every message pinned now, from every change: a
    scan of the whole collection, for the admin job that indexes pins made
    before the index existed. Never on a normal path."""
    latest: dict[str, dict] = {}
    for change in db.message_changes.find(projection={"message_id": 1, "channel_id": 1,
                                                      "rev": 1, "state.pinned": 1}):
        known = latest.get(change["message_id"])
        if known is None or change["rev"] > known["rev"]:
            latest[change["message_id"]] = change
    return sorted((c["channel_id"], c["message_id"]) for c in latest.values()
                  if c.get("state", {}).get("pinned"))


# -- outbox (written here, read by the relay) --------------------------------------
def enqueue(db, kind: str, ref: str, channel_id: str, event_id: str | None = None):
    """Queue the event of the message (``kind="message"``, ``ref``: its id) or
    change (``"change"``, ``ref``: its key) about to be written."""
    entry_id = ObjectId()
    db.outbox.insert_one({"_id": entry_id, "kind": kind, "ref": ref, "channel_id": channel_id,
                          "event_id": event_id, "created_at": _now()})
    return entry_id


def outbox_entries(db, limit=500) -> list[dict]:
    """The oldest entries still to produce (the outbox stays small: entries
    leave it once produced)."""
    return sorted(db.outbox.find(), key=lambda e: e["_id"])[:limit]


def written(db, entries) -> dict[str, dict]:
    """What outbox entries name and is stored, by their ``ref``: the messages (by
    their id) and changes, read in two ``$in`` lookups for the whole batch instead
    of a round trip per entry."""
    return (by_ids(db.messages, [e["ref"] for e in entries if e["kind"] == "message"],
                   key="id")
            | by_ids(db.message_changes, [e["ref"] for e in entries if e["kind"] != "message"]))


def resolve(db, entry, now=None, known=None):
    """What an outbox entry stands for: ("message", doc), ("change", doc),
    ("wait", None) while its write may still be under way, or ("drop", None)
    when it never happened (or lost its race) and the entry can go. ``known``:
    ``written(db, entries)`` of a batch that holds this entry."""
    known = written(db, [entry]) if known is None else known
    orphaned = (now or _now()) - entry["created_at"] > ORPHAN_AFTER
    if entry["kind"] == "message":
        doc = known.get(entry["ref"])
        if doc is not None:
            return "message", doc
    else:
        doc = known.get(entry["ref"])
        if doc is not None:
            return ("change", doc) if doc.get("event_id") == entry["event_id"] else ("drop", None)
    return ("drop", None) if orphaned else ("wait", None)


def dequeue(db, entry_ids) -> None:
    ids = list(entry_ids)
    for first in range(0, len(ids), ID_BATCH):
        db.outbox.delete_many({"_id": {"$in": ids[first:first + ID_BATCH]}})


def outbox_backlog(db, now=None) -> tuple[int, float]:
    """How many events wait, and the age in seconds of the oldest."""
    entries = list(db.outbox.find(projection={"created_at": 1}))
    oldest = min((e["created_at"] for e in entries), default=None)
    return len(entries), ((now or _now()) - oldest).total_seconds() if oldest else 0.0


def _now():
    """Now, at the millisecond precision that BSON dates keep."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
