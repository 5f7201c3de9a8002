"""Auth's settings, read once from config/parley.yaml (`jwt`, `auth`, `workspace`)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ThrottleSettings:
    account_failures: int = 5     # failures of one address before backoff
    ip_failures: int = 100        # failures from one client IP before backoff
    base_delay: int = 1           # seconds locked at the first failure past the limit
    max_delay: int = 900
    window: int = 900             # failures are forgotten this long after the last one


@dataclass(frozen=True)
class AuthSettings:
    access_ttl: int = 900
    refresh_ttl: int = 30 * 24 * 3600
    password_min_length: int = 10
    password_max_length: int = 256
    reset_ttl: int = 1800
    reset_url: str = "http://127.0.0.1:8000/reset-password?token={token}"
    reset_mails_per_hour: int = 5
    revocation_margin: int = 60
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)

    @property
    def revocation_ttl(self) -> int:
        return self.access_ttl + self.revocation_margin

    @classmethod
    def from_config(cls, cfg) -> "AuthSettings":
        auth = cfg.section("auth")
        return cls(
            access_ttl=int(cfg["jwt.access_ttl"]),
            refresh_ttl=int(auth["refresh_ttl"]),
            password_min_length=int(auth["password_min_length"]),
            password_max_length=int(auth["password_max_length"]),
            reset_ttl=int(auth["reset_ttl"]),
            reset_url=str(auth["reset_url"]),
            reset_mails_per_hour=int(auth["reset_mails_per_hour"]),
            revocation_margin=int(auth["revocation_margin"]),
            throttle=ThrottleSettings(
                account_failures=int(auth["throttle_account_failures"]),
                ip_failures=int(auth["throttle_ip_failures"]),
                base_delay=int(auth["throttle_base_delay"]),
                max_delay=int(auth["throttle_max_delay"]),
                window=int(auth["throttle_window"])),
        )
