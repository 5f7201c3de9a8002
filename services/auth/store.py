"""Auth's queries, apart from the logic that uses them. Each takes the worker's
SQLAlchemy session; none commits."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from .models import Credential, OneTimeToken, PasswordReset, RefreshToken, Session


def credential_by_email(db, email: str) -> Credential | None:
    return db.scalars(select(Credential).where(Credential.email == email)).one_or_none()


def credential(db, user_id: str) -> Credential | None:
    return db.get(Credential, user_id)


def session(db, session_id: str) -> Session | None:
    return db.get(Session, session_id)


def sessions_to_end(db, user_id: str, revoked_since: datetime,
                    keep: str | None = None) -> list[Session]:
    """The user's live sessions, and those revoked since ``revoked_since`` (their
    revocation is announced again, which makes ending them safely repeatable);
    ``keep`` names one session to leave out."""
    query = select(Session).where(
        Session.user_id == user_id,
        or_(Session.revoked_at.is_(None), Session.revoked_at >= revoked_since))
    if keep is not None:
        query = query.where(Session.id != keep)
    return list(db.scalars(query.order_by(Session.created_at)))


def refresh_token(db, token_hash: str) -> RefreshToken | None:
    return db.get(RefreshToken, token_hash)


def spend(db, model: type[OneTimeToken], token_hash: str, now: datetime) -> bool:
    """Mark a refresh or reset token used, atomically: False if it already was."""
    result = db.execute(update(model)
                        .where(model.token_hash == token_hash, model.used_at.is_(None))
                        .values(used_at=now))
    return result.rowcount == 1


def password_reset(db, token_hash: str) -> PasswordReset | None:
    return db.get(PasswordReset, token_hash)


def spend_password_resets(db, user_id: str, now: datetime) -> None:
    """Use up every outstanding reset token of a user (one was used: the rest go too)."""
    db.execute(update(PasswordReset)
               .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
               .values(used_at=now))
