"""What auth writes to its audit log (docs/audit.md): sign-ins and failed ones,
signing out everywhere, password changes (and attempts with a wrong current
password) and resets. Each row joins the transaction of the action it records,
except a failure, whose transaction never commits: that one is recorded in a
transaction of its own.
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


def record_alone(ctx: Ctx, action: str, actor_id: str | None, user_id: str | None,
                 details: dict[str, Any] | None = None, ip: str | None = None) -> None:
    """Roll back what the failing request did, then record and commit the row alone."""
    ctx.db.rollback()
    record(ctx, action, actor_id, user_id, details, ip)
    ctx.db.commit()


def login_succeeded(ctx: Ctx, session: Session, ip: str | None) -> None:
    record(ctx, "auth.login_succeeded", session.user_id, session.user_id,
           {"session_id": session.id}, ip)


def login_failed(ctx: Ctx, data: Login, refused: ParleyError) -> None:
    """Recorded alone (:func:`record_alone`). The account is named when the address
    is one (the reader is an admin); ``reason`` is the refusal's stable code
    (unauthenticated: wrong email or password, forbidden: deactivated,
    rate_limited: throttled)."""
    ctx.db.rollback()
    credential = store.credential_by_email(ctx.db, data.email)
    record_alone(ctx, "auth.login_failed", None, credential.user_id if credential else None,
                 {"email": data.email, "reason": refused.code}, data.ip)

