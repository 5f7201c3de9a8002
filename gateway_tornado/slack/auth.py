"""Who calls the Slack API, and what they may do.

Three kinds of token (docs/slack-compat.md):

- ``xoxb-…`` bot tokens and ``xapp-…`` app-level tokens, made by admins
  (auth.create_bot / admin_create_bot), verified by the auth service
  (``auth.verify_api_token``: stored as digests, revocable) with their scopes;
- anything else is taken as a Parley access token (a JWT), used as a Slack *user
  token*: verified locally like every Parley request (signature, expiry, ended
  session) and granted every user scope (services/common/slack_scopes.py).

The answer for a bot or app token is kept in this process for
``CACHE_SECONDS``, so a busy bot costs one RPC per few seconds, not one per call;
a revoked token stops working within that time.

``Actor`` is what every Slack method gets: reuse :func:`resolve` (RTM, Socket
Mode) rather than reading tokens again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from services.common.errors import Forbidden, ParleyError, Unauthenticated
from services.common.slack_scopes import USER_SCOPES

from .errors import SlackError

CACHE_SECONDS = 5.0
BOTS_SECONDS = 5.0   # how long the list of bot users (auth.bot_users) is kept
CACHE_SIZE = 10_000
BOT, APP, USER = "bot", "app", "user"


@dataclass(frozen=True)
class Actor:
    """The caller of a Slack method."""

    user_id: str                     # the Parley user acting (a bot's own user)
    kind: str                        # "user", "bot" or "app"
    scopes: frozenset[str]
    bot_id: str | None = None        # Parley ids of the bot and its app, if a bot
    app_id: str | None = None
    name: str | None = None          # the bot's name
    token_id: str = ""               # bot and app tokens: the token's id (rate limits)
    claims: dict[str, Any] = field(default_factory=dict, compare=False)  # user tokens

    @property
    def is_bot(self) -> bool:
        return self.kind == BOT

    @property
    def limit_key(self) -> str:
        """Whose rate limits a call counts against: the token's (Slack limits per
        app and workspace; one bot token here is one app)."""
        return f"{self.kind}:{self.token_id or self.user_id}"

    def require(self, *needed: str) -> None:
        """Raise ``missing_scope`` unless the token has every scope in ``needed``."""
        missing = [scope for scope in needed if scope not in self.scopes]
        if missing:
            raise SlackError("missing_scope", needed=",".join(missing),
                             provided=",".join(sorted(self.scopes)))


def bearer(headers: Any, params: dict[str, Any]) -> str | None:
    """The token of a request: ``Authorization: Bearer …`` (what slack_sdk sends),
    else a ``token`` argument (Slack's older style)."""
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    token = params.get("token")
    return token.strip() if isinstance(token, str) and token.strip() else None


class TokenResolver:
    """Turns a token into an :class:`Actor` (one per gateway process)."""

    def __init__(self, gateway):
        self.gateway = gateway
        self._cache: dict[str, tuple[float, Actor]] = {}
        self._bots: tuple[float, dict[str, dict[str, Any]]] = (0.0, {})

    async def bots(self, request_id: str | None = None, include: tuple[str, ...] = ()
                   ) -> dict[str, dict[str, Any]]:
        """Bot users by user id (``auth.bot_users``), kept ``BOTS_SECONDS``; asked
        again at once when a user id of ``include`` (known to be a bot's) is not in
        the kept list, so a bot made a moment ago is a bot at once."""
        expires, known = self._bots
        if expires <= time.monotonic() or any(user_id not in known for user_id in include):
            known = await self.gateway.rpc.call("auth", "bot_users",
                                                _context={"request_id": request_id})
            self._bots = (time.monotonic() + BOTS_SECONDS, known)
        return known

    async def resolve(self, token: str | None, request_id: str | None = None) -> Actor:
        """The actor of ``token``, or a SlackError: ``not_authed`` (no token),
        ``invalid_auth``, ``token_revoked``, ``account_inactive``."""
        if not token:
            raise SlackError("not_authed")
        if token.startswith(("xoxb-", "xapp-")):
            return await self._api_token(token, request_id)
        if token.startswith("xox"):
            raise SlackError("invalid_auth")  # other Slack token kinds are not issued here
        try:
            claims = self.gateway.tokens.verify(token)
            await self.gateway.sessions.ensure_live(claims["sid"])
        except Unauthenticated:
            raise SlackError("invalid_auth") from None
        except ParleyError as exc:
            raise SlackError("service_unavailable" if exc.status == 503 else "invalid_auth") \
                from None
        return Actor(user_id=claims["sub"], kind=USER, scopes=frozenset(USER_SCOPES),
                     claims=claims)

    async def _api_token(self, token: str, request_id: str | None) -> Actor:
        now = time.monotonic()
        cached = self._cache.get(token)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            found = await self.gateway.rpc.call(
                "auth", "verify_api_token", token, _context={"request_id": request_id})
        except Unauthenticated as exc:
            raise SlackError("token_revoked" if "revoked" in exc.message else "invalid_auth") \
                from None
        except Forbidden:
            raise SlackError("account_inactive") from None
        actor = Actor(user_id=found["user_id"], kind=found["kind"],
                      scopes=frozenset(found["scopes"]), bot_id=found["bot_id"],
                      app_id=found["app_id"], name=found["name"], token_id=found["token_id"])
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[token] = (now + CACHE_SECONDS, actor)
        return actor


def resolver(gateway) -> TokenResolver:
    """The gateway's one resolver (made on first use, kept on the Gateway object)."""
    found = getattr(gateway, "_slack_tokens", None)
    if found is None:
        found = TokenResolver(gateway)
        gateway._slack_tokens = found
    return found
