"""Changing who holds which role and who is active, under the roles lock, by a
person (checked against docs/permissions.md) or by the system (admin jobs)."""
from __future__ import annotations

from services.common.errors import Forbidden, NotFound

from . import permissions, storage
from .models import Profile

SYSTEM = None  # the actor of admin jobs run through `nameko shell`


def actor(session, actor_id) -> Profile:
    """The person acting, who must exist and be active."""
    profile = storage.get_profile(session, actor_id)
    if profile is None:
        raise Forbidden("unknown account")
    permissions.check_active(profile)
    return profile


def change(session, actor_id, user_id, role: str | None = None,
           active: bool | None = None) -> tuple[Profile, tuple[str, bool] | None]:
    """Set ``user_id``'s role and/or active flag; returns the profile and, if
    anything changed, the (role, active) it had before (for the audit log). The
    caller commits. Asking for what already holds changes nothing (and succeeds
    if the actor was allowed to ask)."""
    storage.lock_roles(session)
    acting = actor(session, actor_id) if actor_id is not SYSTEM else None
    target = storage.get_profile(session, user_id)
    if target is None:
        raise NotFound("no such user")
    if acting is not None:
        if role is not None:
            permissions.check_set_role(acting, target, role)
        if active is not None:
            permissions.check_set_active(acting, target)
    new_role = target.role if role is None else role
    new_active = target.active if active is None else active
    permissions.keeps_an_active_owner(target, new_role, new_active,
                                      storage.other_active_owners(session, target.user_id))
    before = (target.role, target.active)
    return target, before if storage.set_role_and_active(target, new_role, new_active) else None
