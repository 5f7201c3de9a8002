"""docs/permissions.md, "People": who may do what to whom. Pure functions of
roles; each raises Forbidden when the matrix says no and returns otherwise."""
from __future__ import annotations

from services.common.errors import Forbidden

from .models import ADMIN, GUEST, MEMBER, OWNER, Profile

STAFF = (OWNER, ADMIN)
BELOW_ADMIN = (MEMBER, GUEST)


def check_active(actor: Profile) -> None:
    """Every service refuses a deactivated account as an actor."""
    if not actor.active:
        raise Forbidden("your account is deactivated")


def check_directory(actor: Profile, include_deactivated: bool) -> None:
    if actor.role == GUEST:
        raise Forbidden("guests cannot browse the directory")
    if include_deactivated and actor.role not in STAFF:
        raise Forbidden("only owners and admins see deactivated people")


def sees_anyone(actor: Profile) -> bool:
    """Whether the actor may see any profile; a guest only those of people
    sharing a channel with them (the caller checks that)."""
    return actor.role != GUEST


def check_set_role(actor: Profile, target: Profile, role: str) -> None:
    if actor.role == OWNER:
        return
    if actor.role == ADMIN:
        if role not in BELOW_ADMIN:
            raise Forbidden("only an owner makes someone an admin or an owner")
        if target.role not in BELOW_ADMIN:
            raise Forbidden("only an owner changes the role of an owner or an admin")
        return
    raise Forbidden("only owners and admins change roles")


def check_set_active(actor: Profile, target: Profile) -> None:
    """Deactivating and reactivating alike."""
    if actor.role == OWNER:
        return
    if actor.role == ADMIN:
        if target.role not in BELOW_ADMIN:
            raise Forbidden("admins deactivate and reactivate members and guests only")
        return
    raise Forbidden("only owners and admins deactivate or reactivate people")


def keeps_an_active_owner(target: Profile, role: str, active: bool,
                          other_active_owners: int) -> None:
    """Nobody, the system included, may leave the workspace without an active owner."""
    was_active_owner = target.role == OWNER and target.active
    stays_active_owner = role == OWNER and active
    if was_active_owner and not stays_active_owner and other_active_owners == 0:
        raise Forbidden("the workspace must keep at least one active owner")
