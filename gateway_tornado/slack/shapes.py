"""Parley's objects in Slack's JSON shapes: messages, conversations, users,
files, reactions. Pure functions of what the services return, plus a
:class:`View` saying what the caller needs that the object does not hold (the
team id, bots by user id, the public base URL, thread parents' ``ts``).

What Parley does not have is given Slack's neutral value (``is_shared: false``,
``unlinked: 0``, a topic's ``last_set: 0``); docs/slack-compat.md lists these.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.common.slack_scopes import BOT_EMAIL_DOMAIN

from . import ids

DELETED_TEXT = "This message was deleted."


@dataclass
class View:
    """What shaping needs besides the object itself."""

    team_id: str                                    # ids.team_id(workspace.id)
    base_url: str = ""                              # "http://host:port", for file URLs
    bots: dict[str, dict[str, Any]] = field(default_factory=dict)   # user id -> bot
    parents: dict[str, dict] = field(default_factory=dict)    # message id -> its message,
    #                                     for the replies to it (their thread_ts)
    latest_reply: dict[str, str] = field(default_factory=dict)  # parent id -> latest reply ts
    show_email: bool = False                        # users:read.email granted


def _epoch(value: str | None) -> int:
    return int(ids.epoch(value)) if value else 0


def _edit_ts(value: str) -> str:
    return f"{ids.epoch(value):.6f}"


# -- messages -------------------------------------------------------------------------
def reactions(parley_reactions: list[dict]) -> list[dict]:
    """``[{"emoji", "count", "user_ids"}]`` as Slack's ``[{"name", "users", "count"}]``."""
    return [{"name": r["emoji"], "users": [ids.user_id(u) for u in r["user_ids"]],
             "count": r["count"]} for r in parley_reactions]


def message(msg: dict, view: View) -> dict:
    """A Parley message as a Slack message object (``conversations.history``,
    ``chat.postMessage``'s ``message``). A tombstone is ``subtype: tombstone``."""
    ts = ids.message_ts(msg)
    out: dict[str, Any] = {"type": "message", "user": ids.user_id(msg["sender_id"]),
                           "text": msg.get("text", ""), "ts": ts, "team": view.team_id}
    bot = view.bots.get(msg["sender_id"])
    if bot is not None:
        out["bot_id"] = ids.bot_id(bot["bot_id"])
        out["app_id"] = ids.app_id(bot["app_id"])
        out["bot_profile"] = {"id": out["bot_id"], "app_id": out["app_id"], "name": bot["name"],
                              "deleted": bool(bot.get("revoked")), "team_id": view.team_id}
    else:
        out["client_msg_id"] = msg.get("client_msg_id")
    if msg.get("blocks"):
        out["blocks"] = msg["blocks"]
    if msg.get("deleted_at"):
        out.update(subtype="tombstone", text=DELETED_TEXT, hidden=True)
    if msg.get("edited_at") and not msg.get("deleted_at"):
        out["edited"] = {"user": ids.user_id(msg["sender_id"]), "ts": _edit_ts(msg["edited_at"])}
    parent_id = msg.get("thread_parent_id")
    if parent_id:
        parent = view.parents.get(parent_id)
        if parent is not None:
            out["thread_ts"] = ids.message_ts(parent)
            out["parent_user_id"] = ids.user_id(parent["sender_id"])
        if msg.get("also_to_channel"):
            out["subtype"] = "thread_broadcast"
    elif msg.get("reply_count"):
        out["thread_ts"] = ts
        out["reply_count"] = msg["reply_count"]
        users = [ids.user_id(u) for u in msg.get("participants", []) if u != msg["sender_id"]] \
            or [ids.user_id(u) for u in msg.get("participants", [])]
        out["reply_users"] = users
        out["reply_users_count"] = len(users)
        latest = view.latest_reply.get(msg["id"])
        if latest:
            out["latest_reply"] = latest
        out["is_locked"] = False
        out["subscribed"] = False
    if msg.get("reactions"):
        out["reactions"] = reactions(msg["reactions"])
    if msg.get("attachments"):
        out["files"] = [file(f, view) for f in msg["attachments"]]
        out["upload"] = False
    if msg.get("pinned"):
        out["pinned_to"] = [ids.channel_id_of(msg["channel_id"])]
    return out


# -- conversations --------------------------------------------------------------------
def _text_field(value: str) -> dict:
    return {"value": value or "", "creator": "", "last_set": 0}


def conversation(channel: dict, view: View, other_user: str | None = None,
                 members: list[str] | None = None, last_read: str | None = None) -> dict:
    """A Parley channel (channels service shape) as a Slack conversation object.
    ``other_user``: the other person of a DM; ``members``: a group DM's people;
    ``last_read``: the ts of the member's last read message (conversations.info)."""
    kind = channel.get("kind", "public")
    created = _epoch(channel.get("created_at"))
    archived = bool(channel.get("archived_at"))
    is_member = channel.get("membership") is not None
    common = {"id": ids.channel_id(channel), "created": created, "is_archived": archived,
              "is_org_shared": False, "context_team_id": view.team_id,
              "updated": created * 1000, "is_member": is_member}
    if kind == "dm":
        return {**common, "is_im": True, "is_channel": False, "is_group": False,
                "is_mpim": False, "is_private": True, "is_open": True, "priority": 0,
                "user": ids.user_id(other_user) if other_user else None,
                "is_user_deleted": False}
    name = channel.get("name") or ""
    if kind == "group_dm":
        handles = "--".join(ids.user_id(u).lower() for u in sorted(members or []))
        name = f"mpdm-{handles}-1"
    out = {**common, "name": name, "name_normalized": name,
           "is_channel": kind in ("public", "private"), "is_group": False,
           "is_im": False, "is_mpim": kind == "group_dm", "is_private": kind != "public",
           "is_general": False, "unlinked": 0, "is_shared": False, "is_ext_shared": False,
           "is_pending_ext_shared": False, "pending_shared": [], "parent_conversation": None,
           "creator": ids.user_id(channel["created_by"]) if channel.get("created_by") else "",
           "shared_team_ids": [view.team_id], "pending_connected_team_ids": [],
           "topic": _text_field(channel.get("topic", "")),
           "purpose": _text_field(channel.get("purpose", "")),
           "previous_names": [], "num_members": channel.get("member_count", 0)}
    if last_read is not None:
        out["last_read"] = last_read
    return out


# -- people ---------------------------------------------------------------------------
def is_bot_profile(profile: dict) -> bool:
    """A bot's profile, by its account's address (services/auth/bots.py)."""
    return str(profile.get("email", "")).endswith("@" + BOT_EMAIL_DOMAIN)


def handle(profile: dict, bot: dict | None = None) -> str:
    """A Slack username: a bot's name, else the local part of the email address."""
    if bot is not None:
        return bot["name"]
    return (profile.get("email") or profile["user_id"]).split("@")[0].lower()


def _tz_offset(name: str | None) -> int:
    try:
        offset = datetime.now(ZoneInfo(name or "UTC")).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset else 0


def user(profile: dict, view: View) -> dict:
    """A Parley profile (users service shape) as a Slack user object. The email
    address is there only with ``users:read.email`` (``view.show_email``)."""
    bot = view.bots.get(profile["user_id"])
    role = profile.get("role", "member")
    real_name = profile.get("full_name") or profile.get("display_name") or ""
    status = profile.get("status") or {}
    avatar = profile.get("avatar") or {}
    images = {f"image_{size}": avatar.get("256") if int(size) > 64 else avatar.get("64", "")
              for size in ("24", "32", "48", "72", "192", "512")} if avatar else {}
    details = {"title": profile.get("title", ""), "phone": "", "skype": "",
               "real_name": real_name, "real_name_normalized": real_name,
               "display_name": profile.get("display_name", ""),
               "display_name_normalized": profile.get("display_name", ""),
               "fields": {}, "status_text": status.get("text", ""),
               "status_emoji": status.get("emoji", ""),
               "status_expiration": _epoch(status.get("expires_at")),
               "avatar_hash": "", "team": view.team_id, **images}
    if view.show_email and bot is None:
        details["email"] = profile.get("email", "")
    if bot is not None:
        details.update(bot_id=ids.bot_id(bot["bot_id"]), api_app_id=ids.app_id(bot["app_id"]),
                       always_active=True)
    return {"id": ids.user_id(profile["user_id"]), "team_id": view.team_id,
            "name": handle(profile, bot), "deleted": not profile.get("active", True),
            "color": "9f69e7", "real_name": real_name, "tz": profile.get("time_zone") or "UTC",
            "tz_label": profile.get("time_zone") or "UTC",
            "tz_offset": _tz_offset(profile.get("time_zone")), "profile": details,
            "is_admin": role in ("owner", "admin"), "is_owner": role == "owner",
            "is_primary_owner": False, "is_restricted": role == "guest",
            "is_ultra_restricted": False, "is_bot": bot is not None, "is_app_user": False,
            "updated": _epoch(profile.get("last_active_at")), "is_email_confirmed": bot is None,
            "who_can_share_contact_card": "EVERYONE"}


# -- files ----------------------------------------------------------------------------
def file_url(view: View, parley_file_id: str, filename: str) -> str:
    """``url_private``: the gateway serves the bytes to a bearer of a token that may
    read the file (``GET /slack/files/<F id>/<name>``)."""
    return f"{view.base_url}/slack/files/{ids.file_id(parley_file_id)}/{filename}"


def file(doc: dict, view: View, title: str | None = None) -> dict:
    """A Parley file (messaging's shape) as a Slack file object."""
    created = _epoch(doc.get("created_at"))
    name = doc.get("filename", "")
    extension = posixpath.splitext(name)[1].lstrip(".").lower()
    content_type = doc.get("content_type", "application/octet-stream")
    url = file_url(view, doc["id"], name)
    channel = doc.get("channel_id")
    out = {"id": ids.file_id(doc["id"]), "created": created, "timestamp": created,
           "name": name, "title": title or name, "mimetype": content_type,
           "filetype": extension or "binary", "pretty_type": (extension or "binary").upper(),
           "user": ids.user_id(doc["uploader_id"]), "user_team": view.team_id,
           "editable": False, "size": doc.get("size", 0), "mode": "hosted",
           "is_external": False, "external_type": "", "is_public": False,
           "public_url_shared": False, "display_as_bot": False, "username": "",
           "url_private": url, "url_private_download": url + "?download=1",
           "permalink": url, "has_rich_preview": False, "file_access": "visible",
           "channels": [ids.channel_id_of(channel)] if channel else [], "groups": [],
           "ims": [], "comments_count": 0}
    if doc.get("width") and doc.get("height"):
        out.update(original_w=doc["width"], original_h=doc["height"])
    return out


def now_epoch() -> int:
    return int(datetime.now(timezone.utc).timestamp())
