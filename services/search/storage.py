"""The index's queries on PostgreSQL (full text and trigrams: no SQLite here).

Writes are idempotent upserts by message id; a row only moves forward in time (a
replayed or late event older than what is stored changes nothing) and a deleted
message stays deleted. :func:`build_search` is pure (SQL text and parameters), so
that what a search asks PostgreSQL can be tested without it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from .query import NEWEST, RELEVANCE, Position, Terms, clean_text, headline_options, like_pattern
from .schemas import IndexedFields

SNIPPET_CHARS = 300           # a search without words shows the message's beginning
STATEMENT_TIMEOUT_MS = 5000   # a pathological search fails instead of holding a worker

_UPSERT = text("""
INSERT INTO messages AS m (id, channel_id, sender_id, seq, created_at, edited_at, text,
                           has_file, deleted)
VALUES (:id, :channel_id, :sender_id, :seq, :created_at, :edited_at, :text, :has_file, :deleted)
ON CONFLICT (id) DO UPDATE
   SET text = excluded.text, has_file = excluded.has_file, edited_at = excluded.edited_at,
       deleted = excluded.deleted, indexed_at = now()
 WHERE NOT m.deleted
   AND (excluded.deleted
        OR coalesce(excluded.edited_at, excluded.created_at)
           > coalesce(m.edited_at, m.created_at))
RETURNING m.id
""")


def upsert(session, message: IndexedFields, deleted: bool = False) -> bool:
    """Index a message as it is now; returns whether the index changed. A deleted
    message keeps only its identity (no text, no files)."""
    deleted = deleted or message.deleted_at is not None
    edited_at = message.deleted_at or message.edited_at if deleted else message.edited_at
    row = session.execute(_UPSERT, {
        "id": message.id, "channel_id": message.channel_id, "sender_id": message.sender_id,
        "seq": message.seq, "created_at": message.created_at, "edited_at": edited_at,
        "text": "" if deleted else clean_text(message.text),
        "has_file": bool(message.attachments) and not deleted, "deleted": deleted,
    }).first()
    return row is not None


# -- searching -------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    channel_ids: tuple[str, ...]
    from_user: str | None = None
    after: datetime | None = None
    before: datetime | None = None
    has_file: bool | None = None


# each filter given: a condition on the column, the value bound under the filter's name
_FILTERS = (("from_user", "m.sender_id = :from_user"), ("after", "m.created_at > :after"),
            ("before", "m.created_at < :before"), ("has_file", "m.has_file = :has_file"))


def _term_sql(terms: Terms, params: dict) -> tuple[list[str], str]:
    """(one condition per word or phrase, the tsquery of any of them for ranking)."""
    conditions, queries = [], []
    for i, word in enumerate(terms.words):
        params[f"w{i}"] = f"{word}:*"
        query = f"(to_tsquery('english', :w{i}) || to_tsquery('simple', :w{i}))"
        queries.append(query)
        condition = f"m.tsv @@ {query}"
        if len(word) >= 3:
            params[f"wl{i}"] = like_pattern(word)
            condition = f"({condition} OR m.text ILIKE :wl{i})"
        conditions.append(condition)
    for i, phrase in enumerate(terms.phrases):
        params[f"p{i}"] = phrase
        params[f"pl{i}"] = like_pattern(phrase)
        query = f"(phraseto_tsquery('english', :p{i}) || phraseto_tsquery('simple', :p{i}))"
        queries.append(query)
        conditions.append(f"(m.tsv @@ {query} OR m.text ILIKE :pl{i})")
    return conditions, " || ".join(queries)


def build_search(terms: Terms, filters: Filters, sort: str, after: Position | None,
                 limit: int) -> tuple[str, dict]:
    """The SQL of one page (``limit`` rows; ask for one more to know if there is a
    next page) and its parameters."""
    params: dict = {"channels": list(filters.channel_ids), "limit": limit,
                    "options": headline_options(), "snippet_chars": SNIPPET_CHARS}
    where = ["NOT m.deleted", "m.channel_id = ANY(CAST(:channels AS text[]))"]
    for name, condition in _FILTERS:
        value = getattr(filters, name)
        if value is not None:
            where.append(condition)
            params[name] = value
    conditions, any_query = _term_sql(terms, params)
    where += conditions
    if any_query:
        rank = f"round(ts_rank_cd(m.tsv, {any_query}, 32)::numeric, 6)"
        headline = f"ts_headline('english', text, {any_query}, :options)"
    else:
        rank, headline = "0::numeric", "left(text, :snippet_chars)"

    if sort == RELEVANCE:
        order = "rank DESC, created_at DESC, id DESC"
        keyset = "(rank, created_at, id) < (CAST(:k_rank AS numeric), :k_created, :k_id)"
    else:
        order = "created_at DESC, id DESC"
        keyset = "(created_at, id) < (:k_created, :k_id)"
    page_where = ""
    if after is not None:
        page_where = f"WHERE {keyset}"
        params.update(k_created=after.created_at, k_id=after.id)
        if sort == RELEVANCE:
            params["k_rank"] = after.rank
    sql = f"""
WITH hits AS (
    SELECT m.id, m.channel_id, m.sender_id, m.seq, m.created_at, m.edited_at, m.has_file,
           m.text, {rank} AS rank
      FROM messages m
     WHERE {' AND '.join(where)}
), page AS (
    SELECT * FROM hits {page_where} ORDER BY {order} LIMIT :limit
)
SELECT id, channel_id, sender_id, seq, created_at, edited_at, has_file, rank,
       {headline} AS headline
  FROM page ORDER BY {order}
"""
    return sql, params


def search(session, terms: Terms, filters: Filters, sort: str, after: Position | None,
           limit: int) -> list:
    if not filters.channel_ids:
        return []
    sql, params = build_search(terms, filters, sort, after, limit)
    session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
    rows = session.execute(text(sql), params).all()
    session.rollback()   # read only: end the transaction (and the timeout) now
    return rows


def position_of(row, sort: str) -> Position:
    return Position(sort=sort, created_at=row.created_at, id=row.id,
                    rank=str(row.rank) if sort == RELEVANCE else None)


__all__ = ["Filters", "NEWEST", "RELEVANCE", "build_search", "position_of", "search", "upsert"]
