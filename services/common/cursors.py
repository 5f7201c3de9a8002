"""Opaque pagination cursors: the sort key of the last row a page showed (channels, audit)."""
from __future__ import annotations

import base64
import json

from datetime import datetime

from services.common.errors import InvalidInput
from services.common.times import as_utc


def encode_cursor(*key: str) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, parts: int) -> list[str] | None:
    """The key a cursor holds (``parts`` strings), None for no cursor; a cursor
    this service did not make is ``invalid_input``."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:
        key = None
    if not (isinstance(key, list) and len(key) == parts and all(isinstance(k, str) for k in key)):
        raise InvalidInput("cursor: not a cursor from a previous page")
    return key


def entry_cursor(at: str | datetime, entry_id: int) -> str:
    """The position just after an audit entry, in the order pages are read (newest
    first). The audit RPCs make these, and the gateway too when it merges several
    services' pages (so it lives here, free of Nameko: the gateway never imports it)."""
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    return encode_cursor(as_utc(moment).isoformat(), str(entry_id))
