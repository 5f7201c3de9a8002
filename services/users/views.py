"""How profiles look to callers."""
from __future__ import annotations

from .models import Profile


def access(profile: Profile) -> dict:
    return {"user_id": profile.user_id, "role": profile.role, "active": profile.active}


def profile(profile: Profile) -> dict:
    return {"user_id": profile.user_id, "email": profile.email,
            "display_name": profile.display_name, "role": profile.role,
            "active": profile.active}
