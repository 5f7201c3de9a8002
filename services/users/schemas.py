"""Validated inputs of the users service."""
from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common.validation import normalise_email

from .models import ROLES

ID = Field(min_length=1, max_length=64)
MAX_PAGE = 200


@functools.lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class ProfileChanges(BaseModel):
    """What a person may change in their own profile; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(default=None, min_length=1, max_length=80)
    full_name: str = Field(default=None, max_length=120)
    title: str = Field(default=None, max_length=120)
    time_zone: str | None = None
    status_text: str = Field(default=None, max_length=100)
    status_emoji: str = Field(default=None, max_length=64)
    status_expires_at: datetime | None = None

    _strip = field_validator("display_name", "full_name", "title", "status_text",
                             "status_emoji", mode="before")(_stripped)

    @field_validator("time_zone")
    @classmethod
    def _iana(cls, value):
        if value in (None, ""):
            return None
        if value not in _time_zones():
            raise ValueError("not an IANA time zone name (e.g. Europe/Paris)")
        return value

    @field_validator("status_expires_at")
    @classmethod
    def _aware_future(cls, value):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("needs a time zone offset (e.g. 2026-01-01T12:00:00Z)")
        if value <= datetime.now(timezone.utc):
            raise ValueError("must be in the future")
        return value

    def values(self) -> dict:
        """The fields the caller sent, ready to store. A new status without an
        expiry does not inherit the old status's expiry."""
        values = {name: getattr(self, name) for name in self.model_fields_set}
        if {"status_text", "status_emoji"} & values.keys():
            values.setdefault("status_expires_at", None)
        return values


class DirectoryQuery(BaseModel):
    prefix: str = Field(default="", max_length=80)
    cursor: str | None = Field(default=None, max_length=400)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    include_deactivated: bool = False

    _strip = field_validator("prefix", mode="before")(_stripped)


class RoleName(BaseModel):
    role: str

    @field_validator("role")
    @classmethod
    def _known(cls, value):
        if value is not None and value not in ROLES:   # None: only where a role is optional
            raise ValueError(f"one of {', '.join(ROLES)}")
        return value


class NewUser(RoleName):
    role: str | None = None   # None: the workspace's default (the first account owns it)
    email: str = Field(max_length=320)
    display_name: str = Field(min_length=1, max_length=80)

    _strip = field_validator("display_name", mode="before")(_stripped)
    _email = field_validator("email")(lambda cls, value: normalise_email(value))


class ReadCursor(BaseModel):
    user_id: str = ID
    channel_id: str = ID
    seq: int = Field(ge=0, strict=True)


class Ids(BaseModel):
    user_id: str = ID


MAX_TOUCHED = 1000   # people per users.touch_many call (a gateway's heartbeat chunks)


class ManyIds(BaseModel):
    user_ids: list[str] = Field(max_length=MAX_TOUCHED)

    @field_validator("user_ids")
    @classmethod
    def _each_an_id(cls, value: list[str]) -> list[str]:
        if any(not 1 <= len(user_id) <= 64 for user_id in value):
            raise ValueError("each user id is 1 to 64 characters")
        return value
