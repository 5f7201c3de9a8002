"""Email digests: one mail summarising a person's unread DMs and mentions, and
the signed token of its unsubscribe link.

The subject never carries message content or channel names (it is what lock
screens and mail lists show); the body shows each message's text only when the
person allows previews, and otherwise only who wrote where (a private channel's
name included only with previews on).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from html import escape

MAX_LISTED = 20
PREVIEW_CHARS = 280


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsubscribe_token(secret: str, user_id: str) -> str:
    """``<user id, base64url>.<HMAC-SHA256>``: turns email off for that person only."""
    mac = hmac.new(secret.encode(), f"unsubscribe:{user_id}".encode(), hashlib.sha256).digest()
    return f"{_b64(user_id.encode())}.{_b64(mac)}"


def check_unsubscribe_token(secret: str, token: str) -> str | None:
    """The person the token was made for, or None if it is not one of ours."""
    encoded, _, _mac = (token or "").partition(".")
    try:
        user_id = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    expected = unsubscribe_token(secret, user_id).encode() if user_id else b""
    return user_id if user_id and hmac.compare_digest(expected, token.encode()) else None


def line(content: dict, previews: bool) -> tuple[str, str | None]:
    """(who wrote where, the text or None) for one message."""
    where = content.get("where", "")
    if content.get("private") and not previews:
        where = content.get("where_private", "a private conversation")
    head = f"{content.get('sender_name', 'Someone')} {content.get('verb', 'wrote')} {where}".strip()
    return head, (content.get("text", "")[:PREVIEW_CHARS] if previews else None)


def subject(count: int) -> str:
    return (f"You have {count} unread message{'s' if count != 1 else ''} in Parley"
            if count else "Parley")


def compose(contents: list[dict], previews: bool, unsubscribe_url: str,
            app_url: str) -> tuple[str, str, str]:
    """(subject, text, html) of a digest of ``contents`` (oldest first)."""
    listed = contents[:MAX_LISTED]
    lines = [line(c, previews) for c in listed]
    more = len(contents) - len(listed)
    text = [f"You have {len(contents)} unread message{'s' if len(contents) != 1 else ''} "
            "that mention you or were sent to you:", ""]
    html = [f"<p>You have {len(contents)} unread message{'s' if len(contents) != 1 else ''} "
            "that mention you or were sent to you:</p>", "<ul>"]
    for content, (head, body) in zip(listed, lines):
        text.append(f"- {head}" + (f":\n    {body}" if body else ""))
        text.append(f"  {content.get('url', app_url)}")
        html.append(f'<li><a href="{escape(content.get("url", app_url))}">{escape(head)}</a>'
                    + (f"<br><q>{escape(body)}</q>" if body else "") + "</li>")
    if more:
        text.append(f"… and {more} more.")
        html.append(f"<li>… and {more} more.</li>")
    html.append("</ul>")
    text += ["", f"Open Parley: {app_url}", "",
             f"Stop these emails: {unsubscribe_url}"]
    html += [f'<p><a href="{escape(app_url)}">Open Parley</a></p>',
             f'<p style="color:#666;font-size:small"><a href="{escape(unsubscribe_url)}">'
             "Stop these emails</a></p>"]
    return subject(len(contents)), "\n".join(text) + "\n", \
        "<!doctype html><html><body>" + "\n".join(html) + "</body></html>\n"
