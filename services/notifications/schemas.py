"""Validated inputs of the notifications service."""
from __future__ import annotations

from typing import Literal

from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

Level = Literal["all", "mentions", "nothing"]
DEFAULT_LEVEL: Level = "mentions"


class PreferenceChange(BaseModel):
    channel_id: str = Field(default="*", min_length=1, max_length=32)
    level: Level


class SubscriptionKeys(BaseModel):
    # the browser's P-256 public key (65 bytes) and auth secret (16 bytes), base64url
    p256dh: str = Field(min_length=80, max_length=100, pattern=r"^[A-Za-z0-9_-]+=*$")
    auth: str = Field(min_length=16, max_length=32, pattern=r"^[A-Za-z0-9_-]+=*$")


class NewSubscription(BaseModel):
    """A PushSubscription as the browser's ``subscription.toJSON()`` gives it."""

    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(min_length=10, max_length=2048)
    keys: SubscriptionKeys
    user_agent: str = Field(default="", max_length=256)

    @field_validator("endpoint")
    @classmethod
    def _url(cls, value: str) -> str:
        url = urlparse(value)
        if url.scheme not in ("https", "http") or not url.hostname:
            raise ValueError("endpoint must be an http(s) URL")
        return value


class SettingsChange(BaseModel):
    """A person's delivery settings; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    push_enabled: StrictBool | None = None
    email_enabled: StrictBool | None = None
    previews: StrictBool | None = None
    level: Level | None = None          # the default for channels ("*")

    def given(self) -> dict:
        return {k: v for k, v in self.model_dump().items() if v is not None}
