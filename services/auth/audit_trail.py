"""What auth writes to its audit log (docs/audit.md): sign-ins and failed ones,
signing out everywhere, password changes and resets. Each row joins the
transaction of the action it records, except a failed sign-in, whose
transaction never commits: that one is recorded in a transaction of its own.
Details never hold a password, a token or a link."""
from __future__ import annotations

from typing import Any

from services.common.errors import ParleyError

from . import store
from .context import Ctx
from .models import Session
from .schemas import Login

ACCOUNT = "account"


def record(ctx: Ctx, action: str, actor_id: str | None, user_id: str,
           details: dict[str, Any] | None = None, ip: str | None = None) -> None:
    """One row about an account, in the caller's transaction (not committed)."""
    ctx.audit.record(ctx.db, action, actor_id=actor_id, target_type=ACCOUNT,
                     target_id=user_id, details=details, ip=ip)


def login_succeeded(ctx: Ctx, session: Session, ip: str | None) -> None:
    record(ctx, "auth.login_succeeded", session.user_id, session.user_id,
           {"session_id": session.id}, ip)


def login_failed(ctx: Ctx, data: Login, refused: ParleyError) -> None:
    """Roll back what the attempt did, then record and commit the failure alone.
    The account is named when the address is one (the caller is an admin);
    ``reason`` is the refusal's stable code (unauthenticated: wrong email or
    password, forbidden: deactivated, rate_limited: throttled)."""
    ctx.db.rollback()
    credential = store.credential_by_email(ctx.db, data.email)
    record(ctx, "auth.login_failed", None, credential.user_id if credential else None,
           {"email": data.email, "reason": refused.code}, data.ip)
    ctx.db.commit()

