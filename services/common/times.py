"""Times as Parley stores them: UTC. PostgreSQL hands ``timestamptz`` back aware;
SQLite (the unit tests) hands it back naive, though it was written as UTC."""
from __future__ import annotations

from datetime import datetime, timezone


def as_utc(moment: datetime | None) -> datetime | None:
    """``moment`` as an aware UTC time (a naive one was stored as UTC); None stays None."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)
