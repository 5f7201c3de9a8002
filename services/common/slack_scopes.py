"""The OAuth scopes of Parley's Slack-compatible API (docs/slack-compat.md).

Shared by auth, which grants them to bot and app-level tokens (and refuses a
name that is not one), and the gateway, which checks them per method. Names are
Slack's own. A Parley access token used as a Slack user token has every
``USER_SCOPES`` scope: it can already do all of it through Parley's own API.
"""
from __future__ import annotations

# A conversation's kind (channels service) -> Slack's word for it in scope names.
KIND_WORD = {"public": "channels", "private": "groups", "dm": "im", "group_dm": "mpim"}

# Per-conversation-kind scopes: "<word>:read", "<word>:history", and for writing
# (create, invite, kick, leave, archive, rename, topic, purpose, mark, open)
# "channels:manage" for public channels, "<word>:write" for the others.
CONVERSATION_SCOPES = tuple(
    f"{word}:{what}" for word in KIND_WORD.values() for what in ("read", "history")
) + ("channels:manage", "channels:join", "groups:write", "im:write", "mpim:write")

OTHER_SCOPES = (
    "chat:write",
    "reactions:read", "reactions:write",
    "users:read", "users:read.email", "users:write",
    "files:read", "files:write",
    "pins:read", "pins:write",
)

BOT_SCOPES = CONVERSATION_SCOPES + OTHER_SCOPES
USER_SCOPES = BOT_SCOPES
# App-level tokens (xapp-…) open Socket Mode connections and nothing else.
APP_SCOPES = ("connections:write",)
ALL_SCOPES = frozenset(BOT_SCOPES + APP_SCOPES)


# A bot's account has the address bot-<bot id>@BOT_EMAIL_DOMAIN (auth makes it; the
# gateway recognises bot profiles by it).
BOT_EMAIL_DOMAIN = "bots.parley.invalid"


def conversation_scope(kind: str, what: str) -> str:
    """The scope to ``what`` (``read``, ``history`` or ``write``) a conversation of
    ``kind``; writing a public channel is ``channels:manage``."""
    word = KIND_WORD.get(kind, "channels")
    if what == "write" and word == "channels":
        return "channels:manage"
    return f"{word}:{what}"


def unknown(scopes: list[str] | tuple[str, ...]) -> list[str]:
    return sorted(set(scopes) - ALL_SCOPES)
