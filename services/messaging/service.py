"""Messaging: messages and files. Stores in MongoDB, tells the gateways at once
over the real-time bus, and leaves the Kafka event to the outbox relay."""
from __future__ import annotations

from urllib.parse import quote

from botocore.exceptions import ClientError
from nameko.extensions import DependencyProvider

from services.common.channel_memory import channel_notices
from services.common.config import get_config
from services.common.dependencies import (MongoDatabase, RealtimeBus, RequestId, S3Storage,
                                         TimedRpcProxy)
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from services.common.events import (MESSAGE_DELETED, MESSAGE_UPDATED, REACTION_ADDED,
                                    REACTION_REMOVED, Event, Message, MessageChanged,
                                    MessageCreated, ReactionChanged, channel_key)
from services.common.metrics import MESSAGES_SENT
from services.common.rpc_entrypoint import rpc
from services.common.service_base import ParleyService
from services.common.stores import mongo_database
from services.common.validation import validated

from . import changes, file_content, file_storage, storage, text as parse
from .posting_rights import PostingRights
from .schemas import (CatchUp, ChannelRef, Edit, HistoryQuery, MessageRef, NewMessage,
                      NewUpload, Reaction, ThreadQuery)

MAX_CHANGE_ATTEMPTS = 20  # optimistic retries when writers race on one message
ADMIN_ROLES = ("owner", "admin")


class Indexes(DependencyProvider):
    """Creates the collections' indexes once per process start."""

    def setup(self):
        storage.ensure_indexes(mongo_database())


class Service(ParleyService):
    name = "messaging"

    db = MongoDatabase()
    indexes = Indexes()
    files = S3Storage()
    realtime = RealtimeBus()
    channels = TimedRpcProxy("channels")
    posting_rights = PostingRights()   # who may post in a channel, remembered
    users = TimedRpcProxy("users")
    request_id = RequestId()

    @rpc
    def send(self, actor_id, channel_id, client_msg_id, text="", attachments=None,
             thread_parent_id=None, also_to_channel=False, blocks=None):
        """Store a message once per client id and announce it. A retry with the
        same client id returns the original and announces it again (clients
        dedupe by id), so a crash between store and announce loses nothing.
        With ``thread_parent_id`` it is a reply in that message's thread;
        ``blocks`` (Block Kit, from the Slack-compatible API) are kept as given."""
        data = validated(NewMessage, channel_id=channel_id, client_msg_id=client_msg_id,
                         text=text, attachments=attachments or [],
                         thread_parent_id=thread_parent_id, also_to_channel=also_to_channel,
                         blocks=blocks or [])
        if data.is_empty():
            raise InvalidInput("a message needs text or an attachment")
        self._require_poster(data.channel_id, actor_id)
        if data.thread_parent_id or data.attachments:  # checked below: reserve after that
            reserved = storage.reserved_id(self.db, data.channel_id, data.client_msg_id)
            first = False
        else:   # nothing left to refuse: reserving first saves a lookup
            reserved, first = storage.reserve(self.db, data.channel_id, data.client_msg_id)
        doc = storage.find_message(self.db, reserved) if reserved and not first else None
        if doc is None:  # a first attempt, or one whose earlier attempt stored nothing
            if data.thread_parent_id:
                self._thread_parent(data.channel_id, data.thread_parent_id)
            attached = self._attachable_files(actor_id, data.attachments, data.channel_id,
                                              data.client_msg_id)
            parsed = self._parsed(data.channel_id, data.text)
            message_id = reserved or storage.reserve(self.db, data.channel_id,
                                                     data.client_msg_id)[0]
            doc, created = storage.insert_message(
                self.db, message_id, data.channel_id, actor_id, data.client_msg_id, data.text,
                attached, request_id=self.request_id, thread_parent_id=data.thread_parent_id,
                also_to_channel=data.also_to_channel and bool(data.thread_parent_id),
                blocks=data.blocks, **parsed)
            if created:
                MESSAGES_SENT.inc()
        else:
            created = False
        if not created:  # a message just stored has no changes yet: no lookup for them
            doc = storage.with_changes(self.db, [doc])[0]
        message = Message.model_validate(storage.to_message(doc))
        self.realtime(channel_key(message.channel_id), MessageCreated.of(message))
        if doc.get("thread_parent_id"):  # on every attempt: a resend heals a missed count
            ref = MessageRef(channel_id=doc["channel_id"], message_id=doc["thread_parent_id"])
            self._change(ref, MESSAGE_UPDATED, lambda parent: changes.count_reply(parent, doc))
        return {**message.model_dump(mode="json"), "duplicate": not created}

    @rpc
    def history(self, actor_id, channel_id, before=None, after=None, limit=50, around=None,
                order="oldest"):
        """A page of messages; ``order="newest"`` lists the same page newest first."""
        query = validated(HistoryQuery, channel_id=channel_id, before=before, after=after,
                          limit=limit, around=around, order=order)
        self.channels.get(actor_id, query.channel_id)  # not_found unless the actor may see it
        if query.around is not None:
            docs = storage.around(self.db, query.channel_id, query.around, query.limit)
        else:
            docs = storage.history(self.db, query.channel_id, query.before, query.after,
                                   query.limit)
        page = [_public(doc) for doc in docs]
        return page[::-1] if query.order == "newest" else page

    @rpc
    def catch_up(self, actor_id, positions, limit=50):
        """What a reconnecting client missed, for all its channels in one call:
        ``positions`` is ``{channel_id: the last seq it has}``; the answer is
        ``{channel_id: {"messages": [the first limit after it]}}`` for each channel
        the actor is a member of, ``{"error": …}`` (not_found) for any other."""
        query = validated(CatchUp, positions=positions, limit=limit)
        mine = {c["id"] for c in self.channels.list_for_user(actor_id)}
        pages = storage.catch_up(self.db, {c: seq for c, seq in query.positions.items()
                                           if c in mine}, query.limit)
        refused = NotFound("no such channel").to_dict()
        return {channel_id: {"messages": [_public(doc) for doc in pages[channel_id]]}
                if channel_id in pages else {"error": refused}
                for channel_id in query.positions}

    @rpc
    def thread(self, actor_id, channel_id, message_id, after=None, limit=50):
        """A page of a thread's replies, oldest first, for whoever may see the channel."""
        query = validated(ThreadQuery, channel_id=channel_id, message_id=message_id,
                          after=after, limit=limit)
        self.channels.get(actor_id, query.channel_id)
        docs = storage.thread(self.db, self._message(query), query.after, query.limit)
        return [_public(doc) for doc in docs]

    @rpc
    def get(self, actor_id, channel_id, message_id):
        """One message, for whoever may see its channel."""
        ref = validated(MessageRef, channel_id=channel_id, message_id=message_id)
        self.channels.get(actor_id, ref.channel_id)
        return _public(self._message(ref))

    @rpc
    def edit(self, actor_id, channel_id, message_id, text, blocks=None):
        """The author changes the text (mentions and links parsed again) and, if
        given, the blocks; the same text and blocks again change nothing."""
        data = validated(Edit, channel_id=channel_id, message_id=message_id, text=text,
                         blocks=blocks)
        self._require_poster(data.channel_id, actor_id)
        doc = self._message(data)
        if doc["sender_id"] != actor_id:
            raise Forbidden("only its author edits a message")
        parsed = self._parsed(data.channel_id, data.text)
        return self._change(data, MESSAGE_UPDATED, lambda d: changes.edit(
            d, data.text, parsed["mentions"], parsed["links"], storage._now(), data.blocks))

    @rpc
    def delete(self, actor_id, channel_id, message_id):
        """Leave a tombstone: text, files, reactions and pin gone, ``deleted_at``
        set. The author, or an owner or admin who can see the channel."""
        ref = validated(MessageRef, channel_id=channel_id, message_id=message_id)
        channel = self.channels.get(actor_id, ref.channel_id)  # not_found if invisible
        doc = self._message(ref)
        if doc["sender_id"] != actor_id and \
                self.users.access(actor_id).get("role") not in ADMIN_ROLES:
            raise Forbidden("only its author, owners and admins delete a message")
        if channel.get("archived_at") and doc.get("deleted_at") is None:
            raise Forbidden("an archived channel is read-only")
        # Files first: a retry after a crash in between still sees them attached.
        self._remove_files(f["id"] for f in doc.get("attachments", []))
        return self._change(ref, MESSAGE_DELETED, lambda d: changes.delete(d, storage._now()))

    @rpc
    def pin(self, actor_id, channel_id, message_id, pinned=True):
        """Members pin and unpin (``pinned=False``); a repeat changes nothing. A
        message goes on its channel's pin index before its first pin is written
        (storage.index_pin), so the pinned list never misses it."""
        ref = validated(MessageRef, channel_id=channel_id, message_id=message_id)
        self._require_poster(ref.channel_id, actor_id)
        if pinned and self._message(ref).get("deleted_at") is None:  # else: refused below
            storage.index_pin(self.db, ref.channel_id, ref.message_id)
        return self._change(ref, MESSAGE_UPDATED, lambda d: changes.pin(
            d, actor_id, bool(pinned), storage._now()))

    @rpc
    def pins(self, actor_id, channel_id):
        """The channel's pinned messages, the newest pin first, for whoever may
        read its history. Deleted messages are not pinned."""
        query = validated(ChannelRef, channel_id=channel_id)
        self.channels.get(actor_id, query.channel_id)  # not_found unless the actor may see it
        return [_public(doc) for doc in storage.pinned(self.db, query.channel_id)]

    @rpc
    def admin_index_pins(self):
        """Put every message pinned now on its channel's pin index (pins made
        before the index existed). Scans every change once; idempotent."""
        found = storage.pinned_by_scan(self.db)
        for channel_id, message_id in found:
            storage.index_pin(self.db, channel_id, message_id)
        return {"indexed": len(found)}

    @rpc
    def react(self, actor_id, channel_id, message_id, emoji, add=True):
        """Add (or with ``add=False`` remove) the actor's reaction; one per person
        per emoji, so a repeat changes nothing."""
        data = validated(Reaction, channel_id=channel_id, message_id=message_id, emoji=emoji)
        self._require_poster(data.channel_id, actor_id)
        kind = REACTION_ADDED if add else REACTION_REMOVED

        def event_data(message):
            return {"channel_id": data.channel_id, "message_id": data.message_id,
                    "user_id": actor_id, "emoji": data.emoji, "message": message}
        return self._change(data, kind, lambda d: changes.react(d, actor_id, data.emoji,
                                                                bool(add)), event_data)

    @rpc
    def begin_upload(self, actor_id, filename, content_type, size):
        """Reserve a file of ``size`` bytes and return where the gateway PUTs them.
        ``content_type`` is the client's claim, kept only as a hint: the type
        clients see is sniffed from the bytes by :meth:`complete_upload`."""
        data = validated(NewUpload, filename=filename, content_type=content_type, size=size)
        cfg = get_config()
        if data.size > int(cfg["files.max_upload_bytes"]):
            raise TooLarge(f"a file is at most {cfg['files.max_upload_bytes']} bytes")
        doc = file_storage.new_file(self.db, actor_id, data.filename, data.content_type,
                                    data.size)
        url = self.files.client.generate_presigned_url(
            "put_object", ExpiresIn=int(cfg["files.upload_timeout"]),
            Params={"Bucket": self.files.bucket, "Key": doc["key"]})
        return {"file_id": str(doc["_id"]), "upload_url": url}

    @rpc
    def complete_upload(self, actor_id, file_id):
        """Check that exactly the declared bytes arrived, sniff their type, make a
        thumbnail of an image, and mark the file ready. Idempotent. An upload whose
        length differs from the declared one is removed and refused."""
        doc = self._own_file(actor_id, file_id)
        if doc["status"] == "ready":
            return file_storage.to_file(doc, self._file_channel(file_id))
        try:
            size = self.files.client.head_object(Bucket=self.files.bucket,
                                                 Key=doc["key"])["ContentLength"]
        except ClientError:
            raise InvalidInput("the file's bytes have not been uploaded") from None
        if size != doc["declared_size"]:
            self._remove_file(doc)
            raise InvalidInput(f"{size} bytes arrived, not the {doc['declared_size']} declared")
        cfg = get_config()
        head = file_content.head_bytes(self.files, doc["key"]) if size else b""
        content_type = file_content.sniff(head)
        width = height = thumbnail_key = None
        if content_type in file_content.THUMBNAILED and \
                size <= int(cfg["files.thumbnail_max_bytes"]):
            made = file_content.thumbnail(file_content.whole(self.files, doc["key"]),
                                          int(cfg["files.thumbnail_size"]),
                                          int(cfg["files.thumbnail_max_pixels"]))
            if made is not None:
                width, height, png = made
                thumbnail_key = file_storage.thumbnail_key(doc)
                self.files.client.put_object(Bucket=self.files.bucket, Key=thumbnail_key,
                                             Body=png, ContentType="image/png")
        ready = file_storage.mark_file_ready(self.db, file_id, size, content_type, width,
                                             height, thumbnail_key)
        return file_storage.to_file(ready)

    @rpc
    def download_url(self, actor_id, file_id, expires_in=None):
        """Presigned GET URLs (the file and its thumbnail) that expire after
        ``expires_in`` seconds (at most ``s3.presign_seconds``), for the uploader
        or a member of the channel the file was shared in; not_found for others."""
        doc = file_storage.get_file(self.db, file_id)
        if doc is None or doc["status"] != "ready" or not self._may_read_file(actor_id, doc):
            raise NotFound("no such file")
        longest = int(get_config()["s3.presign_seconds"])
        if expires_in is not None and (type(expires_in) is not int
                                       or not 1 <= expires_in <= longest):
            raise InvalidInput(f"expires_in: 1 to {longest} seconds")
        ttl = expires_in or longest
        url = self._presigned(doc["key"], ttl, doc["content_type"],
                              _disposition(doc["filename"]))
        thumbnail = self._presigned(doc["thumbnail_key"], ttl, "image/png", "inline") \
            if doc.get("thumbnail_key") else None
        return {**file_storage.to_file(doc, self._file_channel(file_id)), "url": url,
                "thumbnail_url": thumbnail, "expires_in": ttl}

    @rpc
    def delete_file(self, actor_id, file_id):
        """Remove a file's objects and record: its uploader, an owner or an admin
        (and the gateway, for the uploader, when an upload is abandoned). A file
        already deleted is not_found, like one that never was."""
        doc = file_storage.get_file(self.db, file_id)
        if doc is None:
            raise NotFound("no such file")
        if doc["uploader_id"] != actor_id and \
                self.users.access(actor_id).get("role") not in ADMIN_ROLES:
            if doc["status"] == "ready" and self._may_read_file(actor_id, doc):
                raise Forbidden("only its uploader, owners and admins delete a file")
            raise NotFound("no such file")
        self._remove_file(doc)
        return {"id": file_id, "deleted": True}

    @channel_notices
    def forget_posting_rights(self, changed):
        """Someone left, was removed, joined or changed their settings, or a channel
        changed (archived, unarchived): every instance forgets what it remembered of
        that person, or of the channel, or of every channel after a reconnection
        (posting_rights.py)."""
        self.posting_rights.forget(changed.get("channel_id"), changed.get("user_id"))

    # -- helpers ----------------------------------------------------------
    def _message(self, ref):
        doc = storage.get_message(self.db, ref.message_id)
        if doc is None or doc["channel_id"] != ref.channel_id:
            raise NotFound("no such message")
        return doc

    def _thread_parent(self, channel_id, parent_id) -> None:
        parent = storage.get_message(self.db, parent_id)
        if parent is None or parent["channel_id"] != channel_id:
            raise NotFound("no such message to reply to")
        if parent.get("thread_parent_id"):
            raise InvalidInput("reply to the thread's first message, not to a reply")
        if parent.get("deleted_at") is not None:
            raise Conflict("the message was deleted")

    def _parsed(self, channel_id, text) -> dict:
        return {"mentions": parse.mentions(text, lambda: self.channels.member_ids(channel_id)),
                "links": parse.links(text)}

    def _change(self, ref, kind, decide, event_data=None) -> dict:
        """Read, decide, write the change and its event atomically (retrying when
        another writer changed the message in between), then announce it. A
        change that is already there returns the message as it is."""
        for _ in range(MAX_CHANGE_ATTEMPTS):
            doc = self._message(ref)
            fields = decide(doc)
            if fields is None:
                return _public(doc)
            after = {**doc, **fields}
            message = _public(after)
            event = _EVENTS[kind](type=kind, request_id=self.request_id,
                                  data=event_data(message) if event_data else message)
            if storage.claim_change(self.db, doc, fields, event.model_dump_json(),
                                    event.event_id) is not None:
                self.realtime(channel_key(ref.channel_id), event)
                return message
        raise Conflict("the message is changing too fast; try again")

    def _require_poster(self, channel_id, actor_id):
        """Members post in channels that are not archived (docs/permissions.md). No
        RPC while the channel's posters are remembered (posting_rights.py); a refusal
        says not_found for a channel the actor may not see, so that its existence
        leaks nowhere."""
        if not self.posting_rights.may_post(
                channel_id, actor_id, lambda: self.channels.posters(channel_id),
                lambda: self.channels.can_post(channel_id, actor_id)):
            self.channels.get(actor_id, channel_id)
            raise Forbidden("only members post, and not in an archived channel")

    def _own_file(self, actor_id, file_id):
        doc = file_storage.get_file(self.db, file_id)
        if doc is None or doc["uploader_id"] != actor_id:
            raise NotFound("no such file")
        return doc

    def _attachable_files(self, actor_id, file_ids, channel_id, client_msg_id):
        """The files as the message carries them, each now attached to this
        message (``channel_id``, ``client_msg_id``): one's own, uploaded, and not
        attached to another message (Conflict). A retry of the same send finds its
        own attachments and goes on. Everything is checked before anything is
        claimed, so a refusal leaves no file half attached (barring a race)."""
        docs = []
        for file_id in file_ids:
            doc = self._own_file(actor_id, file_id)
            if doc["status"] != "ready":
                raise InvalidInput(f"file {file_id} has not finished uploading")
            docs.append(doc)
        mine = {"channel_id": channel_id, "client_msg_id": client_msg_id}

        def taken(record):
            return record is not None and \
                {k: record[k] for k in mine} != mine
        for file_id in file_ids:
            if taken(file_storage.attachment(self.db, file_id)):
                raise Conflict(f"file {file_id} is attached to another message")
        for file_id in file_ids:
            if taken(file_storage.claim_attachment(self.db, file_id, channel_id,
                                                   client_msg_id)):
                raise Conflict(f"file {file_id} is attached to another message")
        return [file_storage.to_file(doc, channel_id) for doc in docs]

    def _file_channel(self, file_id):
        record = file_storage.attachment(self.db, file_id)
        return record["channel_id"] if record else None

    def _may_read_file(self, actor_id, doc) -> bool:
        """The uploader, or a member of the channel the file was shared in."""
        if doc["uploader_id"] == actor_id:
            return True
        channel_id = self._file_channel(str(doc["_id"]))
        return channel_id is not None and self.channels.is_member(channel_id, actor_id)

    def _presigned(self, key, ttl, content_type, disposition):
        return self.files.presigner.generate_presigned_url(
            "get_object", ExpiresIn=ttl,
            Params={"Bucket": self.files.bucket, "Key": key,
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": disposition})

    def _remove_file(self, doc) -> None:
        """Objects first, then the record: a crash in between leaves a record
        whose removal a retry finishes."""
        file_content.remove_objects(self.files, doc)
        file_storage.forget_file(self.db, str(doc["_id"]))

    def _remove_files(self, file_ids) -> None:
        for file_id in file_ids:
            doc = file_storage.get_file(self.db, file_id)
            if doc is not None:
                self._remove_file(doc)

def _disposition(filename: str) -> str:
    """``attachment`` with the name, ASCII-safe and RFC 5987-encoded."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                       for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _public(doc) -> dict:
    """A stored message as clients see it (the same shape as in events)."""
    return Message.model_validate(storage.to_message(doc)).model_dump(mode="json")


_EVENTS: dict[str, type[Event]] = {MESSAGE_UPDATED: MessageChanged,
                                   MESSAGE_DELETED: MessageChanged,
                                   REACTION_ADDED: ReactionChanged,
                                   REACTION_REMOVED: ReactionChanged}
