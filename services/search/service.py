"""Search: messages found by words, partial words and phrases, in the channels the
actor may read. Owns the index (PostgreSQL, full text plus trigrams), which the
`parley-consumer search` process feeds from the message events. Entrypoints only:
the query language and snippets are in query.py, the SQL in storage.py."""
from __future__ import annotations

from nameko_sqlalchemy import Database

from services.common.dependencies import TimedRpcProxy
from services.common.event_batches import EventBatchEntrypoints
from services.common.rpc_entrypoint import rpc
from services.common.service_base import ParleyService
from services.common.validation import validated, validated_object

from . import query as q
from . import storage
from .models import Base
from .schemas import MessageEvent, SearchQuery

DELETED = "message.deleted"


class Service(ParleyService, EventBatchEntrypoints):
    name = "search"

    db = Database(Base)
    channels = TimedRpcProxy("channels")

    @rpc
    def search(self, actor_id, query="", channel_id=None, from_user=None, after=None,
               before=None, has_file=None, sort=q.RELEVANCE, cursor=None, limit=20):
        """Messages matching ``query`` (see query.py) and the filters, most relevant
        or newest first, ``limit`` at a time: ``{"results": [...], "next_cursor"}``.

        Searched: the channels and conversations the actor is a member of; with
        ``channel_id``, only that channel, which may also be a public channel the
        actor is not in but may read (the channels service decides: a channel it
        will not show them is not found). Each result has an HTML ``snippet`` in
        which only ``<mark>`` … ``</mark>`` is markup."""
        request = validated(SearchQuery, actor_id=actor_id, query=query, channel_id=channel_id,
                            from_user=from_user, after=after, before=before,
                            has_file=has_file, sort=sort, cursor=cursor, limit=limit)
        terms = q.parse(request.query)
        position = q.decode_cursor(request.cursor, request.sort) if request.cursor else None
        filters = storage.Filters(self._readable(request.actor_id, request.channel_id),
                                  request.from_user, request.after, request.before,
                                  request.has_file)
        rows = storage.search(self.db.session, terms, filters, request.sort, position,
                              request.limit + 1)
        page, more = rows[:request.limit], len(rows) > request.limit
        return {"results": [self._result(row, terms) for row in page],
                "next_cursor": (q.encode_cursor(storage.position_of(page[-1], request.sort))
                                if more else None)}

    # -- the index (Kafka consumer hooks, idempotent by message id) -----------------------
    @rpc
    def on_message_created(self, event):
        return self._index(event)

    @rpc
    def on_message_updated(self, event):
        """An edit (pins and reactions change nothing here); older than what is
        indexed: ignored."""
        return self._index(event)

    @rpc
    def on_message_deleted(self, event):
        return self._index(event, deleted=True)

    # -- helpers --------------------------------------------------------------------------
    def _index(self, event, deleted=False):
        parsed = validated_object(MessageEvent, event)
        deleted = deleted or parsed.type == DELETED
        changed = storage.upsert(self.db.session, parsed.data, deleted=deleted)
        self.commit_event()
        return {"message_id": parsed.data.id, "changed": changed}

    def _readable(self, actor_id, channel_id) -> tuple[str, ...]:
        mine = [c["id"] for c in self.channels.list_for_user(actor_id)]
        if channel_id is None:
            return tuple(mine)
        if channel_id not in mine:
            self.channels.get(actor_id, channel_id)   # raises NotFound if they may not see it
        return (channel_id,)

    @staticmethod
    def _result(row, terms) -> dict:
        return {"id": row.id, "channel_id": row.channel_id, "sender_id": row.sender_id,
                "seq": row.seq, "created_at": row.created_at.isoformat(),
                "edited_at": row.edited_at.isoformat() if row.edited_at else None,
                "has_file": row.has_file, "snippet": q.snippet_html(row.headline or "", terms)}
