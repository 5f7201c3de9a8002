"""Opaque one-time secrets (refresh tokens, password-reset tokens): random, handed
out once, stored only as their SHA-256 hex digest."""
from __future__ import annotations

import hashlib
import secrets


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token (256 random bits, URL-safe) and the digest to store."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)
