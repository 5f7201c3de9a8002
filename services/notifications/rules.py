"""Who hears about a new message, and why: pure rules, no I/O (docs/notifications.md).

A person is a candidate for a *reason*, strongest first:

- ``dm``: a member of the direct message or group DM the message is in;
- ``mention``: named with ``<@id>``;
- ``keyword``: the text has one of the words the person chose (whole words, any case);
- ``thread``: took part in the thread the message replies to;
- ``channel``: ``@channel``;
- ``here``: ``@here``, and only for people whose status is ``online``;
- ``all``: any other member whose level for the channel is ``all``.

Then what each person chose decides: never the sender, never a muted channel,
nothing at level ``nothing``, only the reasons above ``all`` at ``mentions``. The
level is the stricter of the member's level in the channel (the channels service)
and their account-wide default here (``*``, ``mentions`` unless changed). Nobody
viewing the channel right now on an active device is told at all; the rest get a
push (not during their quiet hours), and an email later if it is a DM or a mention
they have not read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

STRICTNESS = {"all": 0, "mentions": 1, "nothing": 2}
REASONS = ("dm", "mention", "keyword", "thread", "channel", "here", "all")
EMAIL_REASONS = ("dm", "mention")
CONVERSATION_KINDS = ("dm", "group_dm")


@dataclass(frozen=True)
class Member:
    user_id: str
    level: str = "all"        # the member's level in the channel (channels service)
    muted: bool = False


@dataclass(frozen=True)
class Decision:
    user_id: str
    reason: str
    push: bool                # False: viewing the channel, or pushes turned off
    email: bool               # worth an email digest if still unread later


def stricter(a: str, b: str) -> str:
    return a if STRICTNESS.get(a, 1) >= STRICTNESS.get(b, 1) else b


def has_keyword(text: str, keywords: list[str]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE)
               for word in keywords)


def quiet(now: datetime, time_zone: str | None, start: str | None, end: str | None) -> bool:
    """Whether ``now`` (aware) falls in the quiet hours ``start``–``end`` ("HH:MM",
    in ``time_zone``, UTC if unknown); they may run past midnight."""
    if not (start and end) or start == end:
        return False
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone).time()
    begin, finish = time.fromisoformat(start), time.fromisoformat(end)
    if begin < finish:
        return begin <= local < finish
    return local >= begin or local < finish


def reason_for(message: dict, kind: str, user_id: str, status: str,
               thread_participants: frozenset[str], keywords: list[str] = ()) -> str:
    mentions = set(message.get("mentions") or ())
    if kind in CONVERSATION_KINDS:
        return "dm"
    if user_id in mentions:
        return "mention"
    if keywords and has_keyword(message.get("text") or "", keywords):
        return "keyword"
    if message.get("thread_parent_id") and user_id in thread_participants:
        return "thread"
    if "channel" in mentions:
        return "channel"
    if "here" in mentions and status == "online":
        return "here"
    return "all"


def decide(message: dict, kind: str, members: list[Member], defaults: dict[str, str],
           statuses: dict[str, str], viewers: set[str], push_off: set[str] = frozenset(),
           thread_participants: frozenset[str] = frozenset(),
           keywords: dict[str, list[str]] | None = None) -> list[Decision]:
    """The people to notify about ``message`` (a ``message.created`` payload) in a
    channel of ``kind``. ``defaults``: each person's level for this channel from
    their notification preferences; ``statuses``: presence; ``viewers``: people
    looking at the channel now."""
    decisions = []
    for member in members:
        if member.user_id == message.get("sender_id") or member.muted:
            continue
        level = stricter(member.level, defaults.get(member.user_id, "mentions"))
        reason = reason_for(message, kind, member.user_id,
                            statuses.get(member.user_id, "offline"), thread_participants,
                            (keywords or {}).get(member.user_id, []))
        if level == "nothing" or (level == "mentions" and reason == "all"):
            continue
        if member.user_id in viewers:
            continue
        decisions.append(Decision(member.user_id, reason,
                                  push=member.user_id not in push_off,
                                  email=reason in EMAIL_REASONS))
    return decisions
