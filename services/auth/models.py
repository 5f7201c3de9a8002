"""Auth's tables.

- credentials: one per account: email, password hash, whether it may sign in.
- sessions: one per sign-in; an access token names its session in the `sid` claim,
  so ending the session ends its tokens (see services/common/revocation.py).
- refresh_tokens: the refresh tokens of a session (its "family"), stored only as
  SHA-256 hashes; each is used once and replaced by the next.
- password_resets: one-time reset tokens sent by mail, stored only as hashes.

Times are stored as UTC; SQLite (unit tests) hands them back naive, so code that
compares them goes through :func:`services.common.times.as_utc`.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, func, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.audit import AuditLogColumns


class Base(DeclarativeBase):
    pass


class Credential(Base):
    __tablename__ = "credentials"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                                 nullable=True)


class Session(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("credentials.user_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # logout, logout_all, password_changed, password_reset, deactivated, refresh_reuse
    revoked_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)


class OneTimeToken:
    """Columns of a random token handed out once and stored only as its SHA-256."""

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RefreshToken(OneTimeToken, Base):
    __tablename__ = "refresh_tokens"

    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)


class PasswordReset(OneTimeToken, Base):
    __tablename__ = "password_resets"

    user_id: Mapped[str] = mapped_column(ForeignKey("credentials.user_id"), index=True)


class AuditEntry(AuditLogColumns, Base):
    """One security-relevant action (services/common/audit.py, docs/audit.md)."""


class Bot(Base):
    """A bot user (docs/slack-compat.md): an account that never signs in with a
    password (its credential's hash is not an argon2 hash, so every login fails),
    reached through its tokens. ``key`` is the creator's idempotency key."""

    __tablename__ = "bots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("credentials.user_id"), unique=True)
    app_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApiToken(Base):
    """A bot token (``xoxb-…``) or app-level token (``xapp-…``) of a bot, stored only
    as the SHA-256 of the token; ``scopes`` is a space-separated list."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8))            # "bot" or "app"
    bot_id: Mapped[str] = mapped_column(ForeignKey("bots.id"), index=True)
    scopes: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Webhook(Base):
    """An incoming webhook (docs/slack-compat.md): its bot posts what is sent to its
    secret URL into one channel. The secret is stored only as its SHA-256; ``key`` is
    the creator's idempotency key."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bot_id: Mapped[str] = mapped_column(ForeignKey("bots.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
