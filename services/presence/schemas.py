"""Validated inputs of the presence service."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Session(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    session_id: str = Field(min_length=1, max_length=64)
    state: Literal["active", "idle"] = "active"


class Renewal(BaseModel):
    """A gateway's heartbeat: every live socket session it holds (in chunks)."""
    sessions: list[Session] = Field(max_length=1000)


class Manual(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    presence: Literal["auto", "away"]


class Lookup(BaseModel):
    user_ids: list[str] = Field(max_length=200)


class TypingNotice(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    channel_id: str = Field(min_length=1, max_length=64)
    thread_parent_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{24}$")
    state: Literal["started", "stopped"] = "started"


class Viewing(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    session_id: str = Field(min_length=1, max_length=64)
    channel_id: str | None = Field(default=None, min_length=1, max_length=64)
