"""Validated inputs of the channels service (docs/permissions.md for the name rules)."""
from __future__ import annotations

import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

NAME_RULE = "1-80 lowercase letters, digits, '-' and '_'"
_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

MAX_GROUP = 8        # people in a group DM, the opener included
MAX_INVITES = 100    # people invited in one call
MAX_PAGE = 200


def normalise_name(value: str) -> str:
    """'  #Team Alpha ' -> 'team-alpha': trimmed, without a leading '#', lower case,
    runs of spaces turned into one '-'."""
    value = unicodedata.normalize("NFKC", value).strip().lstrip("#").strip().lower()
    return _SPACES.sub("-", value)


def _channel_name(value: str) -> str:
    value = normalise_name(value)
    if not _NAME.match(value):
        raise ValueError(f"a channel name is {NAME_RULE}")
    return value


def _line(value: str) -> str:
    value = value.strip()
    if _CONTROL.search(value):
        raise ValueError("must be one line of text")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewChannel(Strict):
    name: str = Field(max_length=200)
    is_private: StrictBool = False
    topic: str = Field(default="", max_length=250)
    purpose: str = Field(default="", max_length=250)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _channel_name(value)

    @field_validator("topic", "purpose")
    @classmethod
    def _text(cls, value: str) -> str:
        return _line(value)


class ChannelChanges(Strict):
    """What PATCH changes: only the fields given (None = leave as it is)."""

    name: str | None = Field(default=None, max_length=200)
    topic: str | None = Field(default=None, max_length=250)
    purpose: str | None = Field(default=None, max_length=250)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else _channel_name(value)

    @field_validator("topic", "purpose")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _line(value)

    def given(self) -> dict:
        return self.model_dump(exclude_none=True)


class People(Strict):
    """User ids, deduplicated, order kept."""

    user_ids: list[str] = Field(min_length=1, max_length=MAX_INVITES)

    @field_validator("user_ids")
    @classmethod
    def _ids(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip() for v in values]
        if any(not v or len(v) > 64 for v in cleaned):
            raise ValueError("user ids are 1-64 characters")
        return list(dict.fromkeys(cleaned))


class Cursor(Strict):
    """Where a read or delivered cursor should move: a message's seq (0: none)."""

    seq: StrictInt = Field(ge=0)


class ReceiptsQuery(Strict):
    """Who has message ``seq``: every member but ``sender_id`` (default: the asker)."""

    seq: StrictInt = Field(ge=1)
    sender_id: str | None = Field(default=None, min_length=1, max_length=64)


class NotificationSettings(Strict):
    level: Literal["all", "mentions", "nothing"] | None = None
    muted: StrictBool | None = None

    def given(self) -> dict:
        return self.model_dump(exclude_none=True)


class Page(Strict):
    cursor: str | None = None
    limit: StrictInt = Field(default=100, ge=1, le=MAX_PAGE)


class DirectoryQuery(Page):
    prefix: str = Field(default="", max_length=80)
    include_archived: StrictBool = False

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return normalise_name(value)
