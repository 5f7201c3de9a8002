"""Passwords: the policy a new password must meet, and checking one against its
argon2id hash (argon2-cffi's PasswordHasher)."""
from __future__ import annotations

import functools
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.errors import InvalidInput

from .settings import AuthSettings

COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


def _canonical(password: str) -> str:
    return "".join(password.lower().split())


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(_canonical(line) for line in lines
                     if line.strip() and not line.lstrip().startswith("#"))


def policy_problem(password: str, settings: AuthSettings, email: str = "") -> str | None:
    """Why ``password`` may not be used, or None when it may."""
    if len(password) < settings.password_min_length:
        return f"use at least {settings.password_min_length} characters"
    if len(password) > settings.password_max_length:
        return f"use at most {settings.password_max_length} characters"
    canonical = _canonical(password)
    if canonical in common_passwords():
        return "this password is too common; choose another"
    if email and canonical in (_canonical(email), _canonical(email.split("@")[0])):
        return "do not use your email address as your password"
    return None


def check_policy(password: str, settings: AuthSettings, email: str = "",
                 field: str = "password") -> None:
    problem = policy_problem(password, settings, email)
    if problem:
        raise InvalidInput(f"{field}: {problem}")


def matches(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``stored_hash`` was made from (a corrupt hash: no)."""
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def spend_equal_time(hasher: PasswordHasher, password: str) -> None:
    """Verify against a throw-away hash, so that an unknown address costs as much
    time as a wrong password and timing does not tell which addresses exist."""
    profile = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if profile not in _DUMMY_HASHES:
        _DUMMY_HASHES[profile] = hasher.hash("parley: no such account")
    matches(hasher, _DUMMY_HASHES[profile], password)
