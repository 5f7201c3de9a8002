"""Validated inputs of the notifications service."""
from __future__ import annotations

from typing import Annotated, Literal

from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, field_validator

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


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class QuietHours(BaseModel):
    start: str = Field(pattern=HHMM)
    end: str = Field(pattern=HHMM)


class SettingsChange(BaseModel):
    """A person's delivery settings; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    push_enabled: StrictBool | None = None
    email_enabled: StrictBool | None = None
    previews: StrictBool | None = None
    level: Level | None = None          # the default for channels ("*")
    keywords: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                                    max_length=40)]] | None = \
        Field(default=None, max_length=20)
    quiet_hours: QuietHours | None = None
    no_quiet_hours: StrictBool | None = None   # true: remove them

    def given(self) -> dict:
        values = {k: v for k, v in self.model_dump().items()
                  if v is not None and k not in ("quiet_hours", "no_quiet_hours")}
        if "keywords" in values:
            values["keywords"] = list(dict.fromkeys(k.lower() for k in values["keywords"]))
        if self.quiet_hours is not None:
            values.update(dnd_start=self.quiet_hours.start, dnd_end=self.quiet_hours.end)
        elif self.no_quiet_hours:
            values.update(dnd_start=None, dnd_end=None)
        return values
