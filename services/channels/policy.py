"""Who may do what with a channel: the "Channels" table of docs/permissions.md.

Each check gets the actor (role and active flag, from ``users.access``), the
channel and whether the actor is in it; it returns nothing or raises
:class:`Forbidden`, or :class:`NotFound` where a channel must stay invisible.
Checks read nothing and change nothing, so the service runs them all before it
writes anything: a refused action changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import Forbidden, InvalidInput, NotFound

from .models import DM, PRIVATE, PUBLIC, Channel

OWNER, ADMIN, MEMBER, GUEST = "owner", "admin", "member", "guest"
STAFF = (OWNER, ADMIN)


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    @property
    def is_guest(self) -> bool:
        return self.role == GUEST


def actor_from_access(access: dict) -> Actor:
    """The actor ``users.access`` describes; a deactivated account acts on nothing."""
    if not access.get("active"):
        raise Forbidden("this account is deactivated")
    return Actor(user_id=str(access["user_id"]), role=str(access["role"]))


def check_addable(access: dict) -> None:
    """Someone being invited, added or messaged must have an active account."""
    if not access.get("active"):
        raise InvalidInput(f"user {access.get('user_id')} is deactivated")


# -- seeing ---------------------------------------------------------------------------
def may_see(actor: Actor, channel: Channel, is_member: bool) -> bool:
    """Members see their channels; others see public ones, except guests."""
    if is_member:
        return True
    return channel.kind == PUBLIC and not actor.is_guest


def check_see(actor: Actor, channel: Channel, is_member: bool) -> None:
    if not may_see(actor, channel, is_member):
        raise NotFound("no such channel")


# -- channels -------------------------------------------------------------------------
def check_create(actor: Actor) -> None:
    if actor.is_guest:
        raise Forbidden("guests cannot create channels")


def check_join(actor: Actor, channel: Channel) -> None:
    """Joining on one's own (an invitation is :func:`check_invite`)."""
    if actor.is_guest:
        raise Forbidden("guests join channels by invitation")
    if channel.is_conversation:
        raise Forbidden("a direct message has a fixed set of people")
    if channel.kind == PRIVATE:
        raise Forbidden("private channels are joined by invitation")
    _check_writable(channel)


def check_invite(actor: Actor, channel: Channel, is_member: bool) -> None:
    if actor.is_guest:
        raise Forbidden("guests cannot invite people")
    if channel.is_conversation:
        raise Forbidden("a direct message has a fixed set of people")
    if not is_member:
        raise Forbidden("only the channel's members can invite people to it")
    _check_writable(channel)


def check_remove(actor: Actor, channel: Channel, is_member: bool) -> None:
    if channel.is_conversation:
        raise Forbidden("a direct message has a fixed set of people")
    _check_manager(actor, channel, is_member, "remove people from")
    _check_writable(channel)


def check_leave(channel: Channel) -> None:
    if channel.kind == DM:
        raise Forbidden("a direct message cannot be left")


def check_update(actor: Actor, channel: Channel, is_member: bool, fields: set[str]) -> None:
    """PATCH: the topic is the members'; the name and purpose the managers'."""
    if "topic" in fields and not is_member:
        raise Forbidden("only the channel's members can set its topic")
    if fields & {"name", "purpose"}:
        if channel.is_conversation:
            raise Forbidden("a direct message has no name or purpose")
        _check_manager(actor, channel, is_member, "rename or describe")
    _check_writable(channel)


def check_archive(actor: Actor, channel: Channel, is_member: bool) -> None:
    """Archive and unarchive alike."""
    if channel.is_conversation:
        raise Forbidden("a direct message cannot be archived")
    _check_manager(actor, channel, is_member, "archive or unarchive")


def check_system_change(channel: Channel) -> None:
    """What even the system (admin RPCs) may not do: the rules for everyone."""
    if channel.is_conversation:
        raise Forbidden("a direct message has a fixed set of people and cannot be archived")


def check_system_add(channel: Channel) -> None:
    check_system_change(channel)
    _check_writable(channel)


# -- a member's own settings ------------------------------------------------------------
def check_own_settings(is_member: bool) -> None:
    """Read cursor, notification level, mute: one's own, in channels one is in."""
    if not is_member:
        raise Forbidden("you are not a member of this channel")


def check_receipts(is_member: bool) -> None:
    """Who has received and read a message: for the conversation's own people."""
    if not is_member:
        raise Forbidden("only the channel's members can see receipts")


# -- direct messages ------------------------------------------------------------------
def check_open_conversation(actor: Actor, shares_a_channel_with_everyone: bool) -> None:
    if actor.is_guest and not shares_a_channel_with_everyone:
        raise Forbidden("guests can message only people they share a channel with")


# -- shared rules ---------------------------------------------------------------------
def _check_manager(actor: Actor, channel: Channel, is_member: bool, what: str) -> None:
    """Owners and admins manage public channels, and private ones they are in; a
    member manages the channels they created; guests manage nothing."""
    if actor.is_guest:
        raise Forbidden(f"guests cannot {what} channels")
    if channel.kind == PRIVATE and not is_member:
        raise Forbidden(f"only the channel's members can {what} a private channel")
    if actor.is_staff or channel.created_by == actor.user_id:
        return
    raise Forbidden(f"only the channel's creator or an admin can {what} it")


def _check_writable(channel: Channel) -> None:
    if channel.archived:
        raise Forbidden("the channel is archived: it is read-only")
