"""Validated inputs of the auth service."""
from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from services.common.validation import normalise_email


class Registration(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(min_length=8, max_length=1024)
    display_name: str = Field(min_length=1, max_length=80)

    _email = field_validator("email")(normalise_email)

    @field_validator("display_name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("display name is empty")
        return value


class Login(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)

    _email = field_validator("email")(normalise_email)
