"""Slack's error answers, and Parley's typed errors translated into them.

Slack answers a failed call with HTTP 200 and ``{"ok": false, "error": "<code>"}``
(some codes carry more fields, e.g. ``missing_scope`` its ``needed`` and
``provided``); only ``ratelimited`` comes with HTTP 429 and an integer
``Retry-After`` header. A method module raises :class:`SlackError` for what it
decides itself (a missing argument, a ``ts`` that names nothing); what a service
refuses arrives as a Parley error (services/common/errors.py) and
:func:`translate` gives its Slack code: the service's error class, refined by
the words of its message where one class covers several Slack codes, else the
method family's own default (``not_found`` in ``chat.update`` is
``message_not_found``, in ``conversations.info`` ``channel_not_found``).
"""
from __future__ import annotations

from typing import Any

from services.common.errors import (Conflict, Forbidden, InvalidInput, NotFound, ParleyError,
                                    RateLimited, RpcTimeout, ServiceUnavailable, TooLarge,
                                    Unauthenticated)


class SlackError(Exception):
    """A Slack error answer: ``code`` and any extra fields of the answer."""

    def __init__(self, code: str, status: int = 200, retry_after: int | None = None,
                 **extra: Any):
        super().__init__(code)
        self.code = code
        self.status = status
        self.retry_after = retry_after
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, **self.extra}


def ratelimited(retry_after: int) -> SlackError:
    return SlackError("ratelimited", status=429, retry_after=max(1, int(retry_after)))


def invalid_arguments(detail: str) -> SlackError:
    """Slack's answer to arguments of the wrong form; ``detail`` says which, as the
    ``response_metadata.messages`` Slack sends with it."""
    return SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {detail}"]})


# Words of a service's message that name a more precise Slack code than its class.
_BY_WORDS: tuple[tuple[type[ParleyError], str, str], ...] = (
    (NotFound, "no such channel", "channel_not_found"),
    (NotFound, "no such message", "message_not_found"),
    (NotFound, "no such user", "user_not_found"),
    (NotFound, "no such file", "file_not_found"),
    (Forbidden, "deactivated", "account_inactive"),
    # messaging's "only members post, and not in an archived channel" is either:
    # methods that write ask the channel which (Call.refusal); this is the fallback
    (Forbidden, "only members post", "not_in_channel"),
    (Forbidden, "archived", "is_archived"),
    (Forbidden, "not a member", "not_in_channel"),
    (Forbidden, "only the channel's members", "not_in_channel"),
    (Forbidden, "only its author edits", "cant_update_message"),
    (Forbidden, "only its author, owners and admins delete a message", "cant_delete_message"),
    (Forbidden, "only its uploader", "cant_delete_file"),
    (Forbidden, "guests", "user_is_restricted"),
    (Conflict, "already exists", "name_taken"),
    (Conflict, "was deleted", "message_not_found"),
    (InvalidInput, "needs text or an attachment", "no_text"),
    (InvalidInput, "at most 40000 characters", "msg_too_long"),
    (InvalidInput, "has at most", "too_many_users"),
)

# What each class means when its words say nothing more precise.
_BY_CLASS: dict[type[ParleyError], str] = {
    Unauthenticated: "invalid_auth",
    Forbidden: "restricted_action",
    InvalidInput: "invalid_arguments",
    Conflict: "invalid_arguments",
    TooLarge: "file_too_large",
    ServiceUnavailable: "service_unavailable",
    RpcTimeout: "request_timeout",
}


def translate(exc: ParleyError, not_found: str = "channel_not_found") -> SlackError:
    """The Slack error for a Parley error; ``not_found`` is what ``not_found`` means
    in the calling method's family when the message does not say."""
    if isinstance(exc, RateLimited):
        return ratelimited(exc.retry_after)
    text = exc.message.lower()
    for cls, words, code in _BY_WORDS:
        if isinstance(exc, cls) and words in text:
            return SlackError(code)
    if isinstance(exc, NotFound):
        return SlackError(not_found)
    if isinstance(exc, InvalidInput):
        return invalid_arguments(exc.message)
    for cls, code in _BY_CLASS.items():
        if isinstance(exc, cls):
            return SlackError(code)
    return SlackError("internal_error")
