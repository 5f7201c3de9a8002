"""Revoked sessions, as the gateways see them without an RPC per request.

An access token names its session in the ``sid`` claim. When auth ends a session
(logout, log out everywhere, password change or reset, deactivation, a reused
refresh token) it writes ``parley:auth:revoked-session:<sid>`` in Redis; a gateway
verifies a token's signature and expiry itself and then asks Redis whether its
session is revoked (one EXISTS). A revoked session never gets a new access token,
so the key only has to outlive the last one issued: it expires after
``jwt.access_ttl`` + ``auth.revocation_margin`` seconds.
"""
from __future__ import annotations

PREFIX = "parley:auth:revoked-session:"


def revoked_session_key(session_id: str) -> str:
    return f"{PREFIX}{session_id}"


def revocation_ttl(access_ttl: int, margin: int) -> int:
    """Seconds a revocation must be remembered: every token of the session has expired by then."""
    return int(access_ttl) + int(margin)


# The real-time event auth publishes on ``user.<id>`` when it ends sessions, so that
# gateways close those sessions' open sockets at once: data {"user_id", "session_ids"}.
SESSION_REVOKED = "session.revoked"
