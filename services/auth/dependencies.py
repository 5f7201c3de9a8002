"""Auth's dependency providers: password hashing, tokens, settings and mail."""
from __future__ import annotations

import structlog
from argon2 import PasswordHasher
from nameko.extensions import DependencyProvider

from services.common.config import get_config
from services.common.mail import SmtpSettings, send_mail
from services.common.tokens import TokenCodec

from .settings import AuthSettings

log = structlog.get_logger(__name__)


class Passwords(DependencyProvider):
    """argon2id hashing (argon2-cffi's defaults are the RFC 9106 low-memory profile)."""

    def setup(self):
        self.hasher = PasswordHasher()

    def get_dependency(self, worker_ctx):
        return self.hasher


class Tokens(DependencyProvider):
    """The shared token codec: signs with the current key, verifies with every key."""

    def setup(self):
        self.codec = TokenCodec.from_config(get_config())

    def get_dependency(self, worker_ctx):
        return self.codec


class Settings(DependencyProvider):
    def setup(self):
        self.settings = AuthSettings.from_config(get_config())

    def get_dependency(self, worker_ctx):
        return self.settings


class Mailer(DependencyProvider):
    """``send(to, subject, text)`` hands the mail to a managed green thread and
    returns at once: the RPC's answer (and its timing) does not wait for SMTP,
    so a reset request takes as long for an unknown address as for a known one.
    A mail that cannot be sent is logged."""

    def setup(self):
        self.smtp = SmtpSettings.from_config(get_config())

    def get_dependency(self, worker_ctx):
        def send(to: str, subject: str, text: str) -> None:
            self.container.spawn_managed_thread(lambda: self._deliver(to, subject, text),
                                                identifier="mail")
        return send

    def _deliver(self, to: str, subject: str, text: str) -> None:
        try:
            send_mail(to, subject, text, self.smtp)
            log.info("mail_sent", subject=subject)
        except Exception:  # a managed thread that raises would kill the container
            log.error("mail_not_sent", subject=subject, exc_info=True)
