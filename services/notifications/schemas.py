"""Validated inputs of the notifications service."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Level = Literal["all", "mentions", "nothing"]
DEFAULT_LEVEL: Level = "mentions"


class PreferenceChange(BaseModel):
    channel_id: str = Field(default="*", min_length=1, max_length=32)
    level: Level
