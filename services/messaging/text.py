"""What a message's text says beyond its words: mentions and links.

Syntax clients send (docs/api/websocket.md, "Mentions and links"):
- ``<@USER_ID>`` names a person by id (clients render it as ``@display name``);
  it counts only if that person is a member of the channel;
- ``@channel`` and ``@here`` as words notify everyone in the channel;
- ``http://`` and ``https://`` URLs are links (trailing punctuation is not part
  of the link).
"""
from __future__ import annotations

import re

MAX_LINKS = 100
_USER = re.compile(r"<@([A-Za-z0-9_-]{1,64})>")
_EVERYONE = re.compile(r"(?<![\w@<])@(channel|here)\b")
_LINK = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def mentioned_ids(text: str) -> list[str]:
    """User ids named with ``<@id>``, in order, without repeats."""
    return list(dict.fromkeys(_USER.findall(text)))


def mentions(text: str, members) -> list[str]:
    """The mentions of a message: named members, then ``channel`` / ``here``.
    ``members`` is a callable giving the channel's member ids, called only when
    the text names someone."""
    named = mentioned_ids(text)
    found = []
    if named:
        member_ids = set(members())
        found = [user_id for user_id in named if user_id in member_ids]
    return found + list(dict.fromkeys(_EVERYONE.findall(text)))


def links(text: str) -> list[str]:
    """http(s) URLs in the text, in order, without repeats."""
    found = (match.rstrip(_TRAILING) for match in _LINK.findall(text))
    return list(dict.fromkeys(url for url in found if "://" in url and
                              len(url.split("://", 1)[1]) > 0))[:MAX_LINKS]
