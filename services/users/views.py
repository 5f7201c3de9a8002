"""How profiles look to callers."""
from __future__ import annotations

from datetime import datetime, timezone

from services.common.times import as_utc

from .models import Profile


def access(profile: Profile) -> dict:
    return {"user_id": profile.user_id, "role": profile.role, "active": profile.active}


def profile(profile: Profile, avatar: dict | None = None,
            at: datetime | None = None) -> dict:
    """The public shape of a profile. A status whose expiry has passed reads as
    no status; ``avatar`` holds the presigned URLs of the avatar, if any."""
    expired = _passed(profile.status_expires_at, at or datetime.now(timezone.utc))
    return {
        "user_id": profile.user_id, "email": profile.email,
        "display_name": profile.display_name, "full_name": profile.full_name or "",
        "title": profile.title or "", "time_zone": profile.time_zone,
        "status": {"text": "" if expired else (profile.status_text or ""),
                   "emoji": "" if expired else (profile.status_emoji or ""),
                   "expires_at": None if expired else _iso(profile.status_expires_at)},
        "avatar": avatar, "role": profile.role, "active": profile.active,
        "last_active_at": _iso(profile.last_active_at),
    }


def _passed(expires_at: datetime | None, at: datetime) -> bool:
    return expires_at is not None and as_utc(expires_at) <= at


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None
