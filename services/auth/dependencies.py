"""Auth's dependency providers: password hashing and token issuing."""
from __future__ import annotations

from argon2 import PasswordHasher
from nameko.extensions import DependencyProvider

from services.common.config import get_config
from services.common.tokens import TokenCodec


class Passwords(DependencyProvider):
    """argon2id hashing (argon2-cffi's defaults are the RFC 9106 low-memory profile)."""

    def setup(self):
        self.hasher = PasswordHasher()

    def get_dependency(self, worker_ctx):
        return self.hasher


class Tokens(DependencyProvider):
    def setup(self):
        cfg = get_config()
        self.codec = TokenCodec(cfg.jwt_secret, access_ttl=int(cfg["jwt.access_ttl"]))

    def get_dependency(self, worker_ctx):
        return self.codec
