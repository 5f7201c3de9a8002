"""Password reset by a one-time token sent by mail.

A request names an address; if it belongs to an active account, a random token is
stored as a hash (valid ``reset_ttl`` seconds) and its link mailed. The answer is
the same either way. Using a token sets the password, uses up every outstanding
token of the account and ends all its sessions. At most ``reset_mails_per_hour``
mails go to one address per hour; further requests are answered the same.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from services.common.errors import Forbidden, NotFound, Unauthenticated
from services.common.times import as_utc

from . import accounts, audit_trail, opaque, passwords, sessions, store
from .context import Ctx
from .models import Credential, PasswordReset
from .schemas import ResetConfirmation
from .throttle import account_id

NOT_VALID = "this password-reset link is not valid or has expired"
MAILS_KEY = "parley:auth:reset-mails:"


def request(ctx: Ctx, email: str) -> None:
    """Mail a reset link if ``email`` is an active account's (and under the hourly cap)."""
    credential = store.credential_by_email(ctx.db, email)
    if credential is None or not credential.active or not _may_mail(ctx, email):
        return
    link, expires_at = issue(ctx, credential)
    mail(ctx, credential.email, link, expires_at)


def issue(ctx: Ctx, credential: Credential) -> tuple[str, datetime]:
    """Store a new reset token (committed); returns its link and expiry."""
    token, token_hash = opaque.new_token()
    expires_at = ctx.now + timedelta(seconds=ctx.settings.reset_ttl)
    ctx.db.add(PasswordReset(token_hash=token_hash, user_id=credential.user_id,
                             created_at=ctx.now, expires_at=expires_at))
    ctx.db.commit()
    return ctx.settings.reset_url.format(token=token), expires_at


def mail(ctx: Ctx, email: str, link: str, expires_at: datetime) -> None:
    minutes = max(1, ctx.settings.reset_ttl // 60)
    ctx.send_mail(email, "Reset your Parley password", "\n".join([
        "Someone asked to reset the password of your Parley account.",
        "",
        f"To choose a new password, open this link within {minutes} minutes:",
        "",
        link,
        "",
        "It works once. If you did not ask for this, ignore this mail: your password",
        "stays as it is.",
    ]))


def confirm(ctx: Ctx, data: ResetConfirmation) -> dict:
    """Set a new password with a reset token; ends every session of the account."""
    reset = store.password_reset(ctx.db, opaque.digest(data.token))
    if reset is None or reset.used_at is not None or as_utc(reset.expires_at) <= ctx.now:
        raise Unauthenticated(NOT_VALID)
    credential = store.credential(ctx.db, reset.user_id)
    if credential is None or not credential.active:
        raise Unauthenticated(NOT_VALID)
    passwords.check_policy(data.new_password, ctx.settings, credential.email,
                           field="new_password")
    if not store.spend(ctx.db, PasswordReset, reset.token_hash, ctx.now):
        ctx.db.rollback()
        raise Unauthenticated(NOT_VALID)  # used concurrently
    store.spend_password_resets(ctx.db, credential.user_id, ctx.now)
    accounts.set_password(ctx, credential, data.new_password)
    audit_trail.record(ctx, "auth.password_reset", credential.user_id, credential.user_id)
    ended = sessions.end_all(ctx, credential.user_id, "password_reset")
    ctx.throttle.succeeded(credential.email)
    return {"user_id": credential.user_id, "ended_sessions": len(ended)}


def admin_link(ctx: Ctx, email: str) -> dict:
    """For operators: a reset link for an account, returned and mailed."""
    credential = store.credential_by_email(ctx.db, email)
    if credential is None:
        raise NotFound("no account has this email address")
    if not credential.active:
        raise Forbidden("this account is deactivated: reactivate it first")
    audit_trail.record(ctx, "auth.password_reset_issued", None, credential.user_id)
    link, expires_at = issue(ctx, credential)  # commits the token and its audit row
    mail(ctx, credential.email, link, expires_at)
    return {"user_id": credential.user_id, "email": credential.email, "link": link,
            "expires_at": expires_at.isoformat()}


def _may_mail(ctx: Ctx, email: str) -> bool:
    key = MAILS_KEY + account_id(email)
    pipe = ctx.redis.pipeline()
    pipe.incr(key)
    pipe.expire(key, 3600, nx=True)
    count, _ = pipe.execute()
    return count <= ctx.settings.reset_mails_per_hour
