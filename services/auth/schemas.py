"""Validated inputs of the auth service. Shapes and hard bounds only: the password
policy, whose limits come from config, is applied by passwords.check_policy."""
from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from services.common.slack_scopes import APP_SCOPES, unknown
from services.common.validation import normalise_email

PASSWORD_CAP = 1024   # nothing longer is even hashed; the policy's own maximum is lower
TOKEN_CAP = 256


class Registration(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=PASSWORD_CAP)
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
    password: str = Field(max_length=PASSWORD_CAP)
    ip: str | None = Field(default=None, max_length=64)

    _email = field_validator("email")(normalise_email)


class EmailOnly(BaseModel):
    email: str = Field(max_length=320)

    _email = field_validator("email")(normalise_email)


class UserRef(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)


class SessionRef(UserRef):
    session_id: str = Field(min_length=1, max_length=64)


class PasswordChange(SessionRef):
    old_password: str = Field(max_length=PASSWORD_CAP)
    new_password: str = Field(max_length=PASSWORD_CAP)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=TOKEN_CAP)


class ResetConfirmation(BaseModel):
    token: str = Field(min_length=1, max_length=TOKEN_CAP)
    new_password: str = Field(max_length=PASSWORD_CAP)


class NewBot(BaseModel):
    """A bot to create (docs/slack-compat.md). ``name`` is its Slack-style handle;
    ``scopes`` of its bot token default to every bot scope; ``key`` (any string
    the caller picks) makes a retried creation return the same bot."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$")
    display_name: str | None = Field(default=None, min_length=1, max_length=80)
    scopes: list[str] | None = Field(default=None, max_length=100)
    key: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("scopes")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        wrong = unknown(value) + sorted(set(value) & set(APP_SCOPES))
        if wrong:
            raise ValueError(f"not a bot scope: {', '.join(wrong)}")
        return sorted(set(value))


class BotRef(BaseModel):
    bot: str = Field(min_length=1, max_length=80)   # a bot id or a bot's name


class ApiTokenText(BaseModel):
    token: str = Field(min_length=1, max_length=TOKEN_CAP)


class NewWebhook(BaseModel):
    """An incoming webhook to create: its bot (id or name), its channel (a Parley
    channel id), and ``key`` making a retried creation return the same webhook."""

    bot: str = Field(min_length=1, max_length=80)
    channel_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    key: str | None = Field(default=None, min_length=1, max_length=64)


class WebhookSecret(BaseModel):
    webhook_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    secret: str = Field(min_length=1, max_length=100)


class WebhookRef(BaseModel):
    webhook_id: str = Field(pattern=r"^[0-9a-f]{32}$")
