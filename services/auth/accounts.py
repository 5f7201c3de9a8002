"""Accounts: registering, checking a login, changing a password, deactivation."""
from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, Forbidden, NotFound, Unauthenticated

from . import audit_trail, passwords, sessions, store
from .context import Ctx
from .models import Credential
from .schemas import Login, PasswordChange, Registration

WRONG_LOGIN = "wrong email or password"
DEACTIVATED = "this account has been deactivated"


def register(ctx: Ctx, data: Registration) -> dict:
    """Create credentials. The same email and password again: the same account."""
    existing = store.credential_by_email(ctx.db, data.email)
    if existing is not None:
        if passwords.matches(ctx.hasher, existing.password_hash, data.password):
            return {"user_id": existing.user_id, "email": existing.email, "created": False}
        raise Conflict("email address is already registered")
    passwords.check_policy(data.password, ctx.settings, data.email)
    credential = Credential(user_id=uuid.uuid4().hex, email=data.email,
                            password_hash=ctx.hasher.hash(data.password), active=True)
    ctx.db.add(credential)
    try:
        ctx.db.commit()
    except IntegrityError:  # a concurrent registration of the same address won
        ctx.db.rollback()
        raise Conflict("email address is already registered") from None
    return {"user_id": credential.user_id, "email": credential.email, "created": True}


def check_login(ctx: Ctx, data: Login) -> Credential:
    """The credential whose email and password these are, throttled per account and IP.
    A wrong password and an unknown address are refused alike, in the same time."""
    throttle = ctx.throttle
    throttle.check(data.email, data.ip)
    credential = store.credential_by_email(ctx.db, data.email)
    if credential is None:
        passwords.spend_equal_time(ctx.hasher, data.password)
    if credential is None or not passwords.matches(ctx.hasher, credential.password_hash,
                                                   data.password):
        throttle.failed(data.email, data.ip)
        raise Unauthenticated(WRONG_LOGIN)
    throttle.succeeded(data.email)
    if ctx.hasher.check_needs_rehash(credential.password_hash):
        credential.password_hash = ctx.hasher.hash(data.password)
    return credential


def role_of(ctx: Ctx, user_id: str) -> str:
    """The role of an account that may sign in: active in auth and in the users
    service, which owns roles (``users.access``)."""
    credential = store.credential(ctx.db, user_id)
    if credential is None or not credential.active:
        raise Forbidden(DEACTIVATED)
    access = ctx.users.access(user_id)
    if not access.get("active", False):
        raise Forbidden(DEACTIVATED)
    return access["role"]


def change_password(ctx: Ctx, data: PasswordChange) -> dict:
    """Needs the current password; ends every other session of the user. Repeating
    a change that was made (the new password is already the current one) changes
    nothing more. Wrong current passwords count towards the account's throttle."""
    credential = store.credential(ctx.db, data.user_id)
    if credential is None:
        raise NotFound("no such account")
    throttle = ctx.throttle
    throttle.check(credential.email, None)
    changed = not passwords.matches(ctx.hasher, credential.password_hash, data.new_password)
    if changed:
        if not passwords.matches(ctx.hasher, credential.password_hash, data.old_password):
            throttle.failed(credential.email, None)
            audit_trail.record_alone(ctx, "auth.password_change_failed", data.user_id,
                                     data.user_id)
            raise Forbidden("the current password is not right")
        passwords.check_policy(data.new_password, ctx.settings, credential.email,
                               field="new_password")
        set_password(ctx, credential, data.new_password)
        audit_trail.record(ctx, "auth.password_changed", credential.user_id, credential.user_id)
    ended = sessions.end_all(ctx, credential.user_id, "password_changed", keep=data.session_id)
    return {"user_id": credential.user_id, "changed": changed, "ended_sessions": len(ended)}


def set_password(ctx: Ctx, credential: Credential, password: str) -> None:
    credential.password_hash = ctx.hasher.hash(password)
    credential.password_changed_at = ctx.now


def set_active(ctx: Ctx, user_id: str, active: bool) -> dict:
    """Deactivate (ending every session) or reactivate an account. Idempotent."""
    credential = store.credential(ctx.db, user_id)
    if credential is None:
        raise NotFound("no such account")
    credential.active = active
    ctx.db.commit()
    ended = [] if active else sessions.end_all(ctx, user_id, "deactivated")
    return {"user_id": user_id, "active": active, "ended_sessions": len(ended)}
