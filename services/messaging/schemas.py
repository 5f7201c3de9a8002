"""Validated inputs of the messaging service."""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from services.common.validation import plain_text

MAX_TEXT = 40_000  # Slack's limit
MAX_BLOCKS = 50    # Slack's limit of Block Kit blocks per message
# Block Kit blocks (the Slack-compatible API): kept and returned as given, not rendered
Blocks = Annotated[list[dict[str, Any]], Field(max_length=MAX_BLOCKS)]
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(plain_text)]


class NewMessage(BaseModel):
    channel_id: str = Field(min_length=1, max_length=64)
    client_msg_id: str = Field(min_length=1, max_length=64)
    text: Text = ""
    attachments: list[str] = Field(default_factory=list, max_length=10)
    thread_parent_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{24}$")
    also_to_channel: bool = False   # a thread reply shown in the channel too
    blocks: Blocks = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.text.strip() and not self.attachments and not self.blocks


class HistoryQuery(BaseModel):
    channel_id: str = Field(min_length=1, max_length=64)
    before: int | None = Field(default=None, ge=1)
    after: int | None = Field(default=None, ge=0)
    around: int | None = Field(default=None, ge=1)
    limit: int = Field(default=50, ge=1, le=200)
    order: Literal["oldest", "newest"] = "oldest"

    @model_validator(mode="after")
    def _one_anchor(self):
        if sum(x is not None for x in (self.before, self.after, self.around)) > 1:
            raise ValueError("give at most one of before, after, around")
        return self


class CatchUp(BaseModel):
    """Where a reconnecting client was in each of its channels: ``{channel_id: seq}``."""
    positions: dict[Annotated[str, Field(min_length=1, max_length=64)],
                    Annotated[int, Field(ge=0)]] = Field(max_length=1000)
    limit: int = Field(default=50, ge=1, le=200)


class ChannelRef(BaseModel):
    channel_id: str = Field(min_length=1, max_length=64)


class MessageRef(BaseModel):
    channel_id: str = Field(min_length=1, max_length=64)
    message_id: str = Field(pattern=r"^[0-9a-f]{24}$")


class ThreadQuery(MessageRef):
    after: int | None = Field(default=None, ge=0)
    limit: int = Field(default=50, ge=1, le=200)


class Edit(MessageRef):
    text: Text
    blocks: Blocks | None = None   # None: the blocks stay as they are


MAX_EMOJI = 64            # characters of a short name; a unicode emoji is at most 16
MAX_DISTINCT_REACTIONS = 50
_SHORT_NAME = re.compile(r"^[a-z0-9_+-]{1,64}$")
_EMOJI_CATEGORIES = {"So", "Sk", "Mn", "Me", "Cf"}


class Reaction(MessageRef):
    """An emoji: a short name (``thumbsup``, ``+1``; colons around it are
    dropped) or one unicode emoji (with its modifiers and joiners)."""

    emoji: str = Field(min_length=1, max_length=MAX_EMOJI + 2)

    @field_validator("emoji")
    @classmethod
    def _an_emoji(cls, value: str) -> str:
        if value.isascii():
            name = value[1:-1] if len(value) > 2 and value[0] == value[-1] == ":" else value
            if not _SHORT_NAME.match(name):
                raise ValueError("an emoji is a short name of a-z, 0-9, _, + and -")
            return name
        if len(value) > 16 or not all(
                unicodedata.category(c) in _EMOJI_CATEGORIES or c in "0123456789#*"
                for c in value) or not any(unicodedata.category(c) == "So" or c == "\u20e3"
                                                 for c in value):
            raise ValueError("not an emoji")
        return value


class NewUpload(BaseModel):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    size: int = Field(ge=0)  # the upper limit is files.max_upload_bytes
