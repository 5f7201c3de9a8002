"""Validated inputs of the channels service."""
from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


class NewChannel(BaseModel):
    name: str = Field(max_length=80)
    is_private: bool = False

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        value = value.strip().lower()
        if not _NAME.match(value):
            raise ValueError("use lowercase letters, digits, '-' and '_' (at most 80)")
        return value
