"""What the search service accepts: the search request and the message events."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .query import SORTS

MAX_QUERY = 500
ID = Field(min_length=1, max_length=64)
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _aware(value: datetime | None) -> datetime | None:
    """Times without a zone are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor_id: str = ID
    query: str = Field(default="", max_length=MAX_QUERY)
    channel_id: str | None = Field(default=None, min_length=1, max_length=64)
    from_user: str | None = Field(default=None, min_length=1, max_length=64)
    after: datetime | None = None       # created strictly after
    before: datetime | None = None      # created strictly before
    has_file: bool | None = None
    sort: str = "relevance"
    cursor: str | None = Field(default=None, max_length=1000)
    limit: int = Field(default=20, ge=1, le=100)

    @field_validator("after", "before", mode="before")
    @classmethod
    def _iso_8601(cls, value):
        """An ISO 8601 date or time, not a number: pydantic would take ``0.5`` or
        ``"1700000000"`` as seconds since 1970."""
        if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.match(value)):
            raise ValueError("must be an ISO 8601 date or time, e.g. 2026-11-23T14:00:00Z")
        return value

    @field_validator("after", "before")
    @classmethod
    def _utc(cls, value):
        return _aware(value)

    @field_validator("sort")
    @classmethod
    def _known_sort(cls, value: str) -> str:
        if value not in SORTS:
            raise ValueError(f"must be one of: {', '.join(SORTS)}")
        return value

    @model_validator(mode="after")
    def _range(self):
        if self.after and self.before and self.after >= self.before:
            raise ValueError("after must be earlier than before")
        return self


class IndexedFields(BaseModel):
    """The part of a message event the index keeps (``data`` of message.created,
    message.updated and message.deleted: the message as it is after the event)."""

    model_config = ConfigDict(extra="ignore")

    id: str = ID
    channel_id: str = ID
    sender_id: str = ID
    seq: int
    text: str = ""
    created_at: datetime
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    attachments: list[Any] = Field(default_factory=list)

    @field_validator("created_at", "edited_at", "deleted_at")
    @classmethod
    def _utc(cls, value):
        return _aware(value)


class MessageEvent(BaseModel):
    """The envelope, as much of it as the index needs."""

    model_config = ConfigDict(extra="ignore")

    type: str = ""
    occurred_at: datetime | None = None
    data: IndexedFields
