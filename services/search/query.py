"""What a search asks for, as plain data: the words and "quoted phrases" of the
query, the opaque page cursor, and the highlighting of snippets. No I/O here;
storage.py turns a :class:`Terms` into SQL.

Matching, per word: the English stem or the word as written, both as a prefix
(``deploy`` finds "deploy", "deploys", "deployment"; ``deployments`` finds
"deploying"), or, for words of three characters or more, the word anywhere inside
another (``ploym`` finds "deployment", through the trigram index). A phrase
matches its words in order (``phraseto_tsquery``) or its exact text. Every word
and phrase must match (AND).

Snippets are HTML: every character of the message is escaped and the matches are
wrapped in ``<mark>`` … ``</mark>``, the only markup a snippet ever contains.
"""
from __future__ import annotations

import base64
import binascii
import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from services.common.errors import InvalidInput

RELEVANCE, NEWEST = "relevance", "newest"
SORTS = (RELEVANCE, NEWEST)

MAX_TERMS = 16
MIN_PARTIAL = 3          # shorter words match only as prefixes (trigrams need three)

# Private-use characters that ts_headline puts around matches; removed from indexed
# text so that a message cannot forge them. Turned into <mark> after escaping.
START, STOP = "\ue000", "\ue001"
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"

_PHRASE = re.compile(r'"([^"]*)"')
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Terms:
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def needles(self) -> tuple[str, ...]:
        """What to highlight literally when the full-text match did not mark it."""
        return tuple(w for w in self.words if len(w) >= MIN_PARTIAL) + self.phrases


def parse(query: str) -> Terms:
    """Split a query into lower-cased words and "quoted phrases" (an unclosed quote
    counts as a plain character). Punctuation separates words."""
    phrases: list[str] = []

    def take(match: re.Match) -> str:
        words = _WORD.findall(match.group(1).lower())
        if len(words) > 1:
            phrases.append(" ".join(words))
            return " "
        return " " + " ".join(words) + " "   # a one-word "phrase" is a word

    rest = _PHRASE.sub(take, query)
    words: list[str] = []
    for word in _WORD.findall(rest.lower()):
        if word not in words:
            words.append(word)
    phrases = list(dict.fromkeys(phrases))
    if len(words) + len(phrases) > MAX_TERMS:
        raise InvalidInput(f"a search has at most {MAX_TERMS} words and phrases")
    return Terms(tuple(words), tuple(phrases))


def like_pattern(text: str) -> str:
    """``%text%`` for ILIKE, with LIKE's wildcards escaped (escape character ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def clean_text(text: str) -> str:
    """Indexed text: without the highlight markers (nobody may forge a highlight) and
    without NUL, which PostgreSQL text cannot hold: a message carrying one would be
    refused by the database and retried forever, stopping the search consumer."""
    return text.replace(START, "").replace(STOP, "").replace("\x00", "")


# -- cursors ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Position:
    """Where a page ended: the sort key of its last row."""
    sort: str
    created_at: datetime
    id: str
    rank: str | None = None      # decimal text, exact (relevance is rounded in SQL)


def encode_cursor(position: Position) -> str:
    payload = {"s": position.sort, "c": position.created_at.isoformat(), "i": position.id}
    if position.rank is not None:
        payload["r"] = position.rank
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        position = Position(sort=payload["s"], created_at=datetime.fromisoformat(payload["c"]),
                            id=str(payload["i"]), rank=payload.get("r"))
        if position.rank is not None:
            float(position.rank)
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise InvalidInput("cursor: not a cursor from a previous page") from None
    if position.sort != sort or (sort == RELEVANCE) != (position.rank is not None):
        raise InvalidInput("cursor: it belongs to a search with another sort order")
    return position


# -- snippets ----------------------------------------------------------------------------
def headline_options(max_words: int = 35, min_words: int = 15, fragments: int = 2) -> str:
    return (f"StartSel={START}, StopSel={STOP}, MaxWords={max_words}, MinWords={min_words}, "
            f"MaxFragments={fragments}, FragmentDelimiter=\" … \"")


def _mark_needles(segment: str, needles: tuple[str, ...]) -> str:
    if not needles:
        return segment
    pattern = "|".join(re.escape(n).replace(r"\ ", r"\W+") for n in
                       sorted(needles, key=len, reverse=True))
    return re.sub(f"({pattern})", lambda m: f"{START}{m.group(1)}{STOP}", segment,
                  flags=re.IGNORECASE)


def snippet_html(headline: str, terms: Terms) -> str:
    """ts_headline's output (matches between START and STOP) as safe HTML: partial
    words and phrases PostgreSQL did not mark are marked too, everything is escaped,
    then the markers become <mark> … </mark>."""
    parts = re.split(f"({START}.*?{STOP})", headline, flags=re.DOTALL)
    marked = "".join(part if part.startswith(START) else _mark_needles(part, terms.needles)
                     for part in parts)
    # stray markers (an unbalanced cut) are dropped rather than left open
    out, depth = [], 0
    for piece in re.split(f"([{START}{STOP}])", marked):
        if piece == START:
            if depth == 0:
                out.append(MARK_OPEN)
            depth += 1
        elif piece == STOP:
            if depth == 1:
                out.append(MARK_CLOSE)
            depth = max(0, depth - 1)
        else:
            out.append(html.escape(piece, quote=True))
    if depth:
        out.append(MARK_CLOSE)
    return "".join(out)
