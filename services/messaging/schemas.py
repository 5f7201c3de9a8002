"""Validated inputs of the messaging service."""
from __future__ import annotations

from pydantic import BaseModel, Field

MAX_TEXT = 40_000  # Slack's limit


class NewMessage(BaseModel):
    channel_id: str = Field(min_length=1, max_length=64)
    client_msg_id: str = Field(min_length=1, max_length=64)
    text: str = Field(default="", max_length=MAX_TEXT)
    attachments: list[str] = Field(default_factory=list, max_length=10)

    def is_empty(self) -> bool:
        return not self.text.strip() and not self.attachments


class HistoryQuery(BaseModel):
    channel_id: str = Field(min_length=1, max_length=64)
    before: int | None = Field(default=None, ge=1)
    after: int | None = Field(default=None, ge=0)
    limit: int = Field(default=50, ge=1, le=200)


class NewUpload(BaseModel):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    size: int = Field(ge=0, le=100 * 1024 * 1024)
