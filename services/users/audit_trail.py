"""What users writes to its audit log (docs/audit.md): role changes,
deactivations and reactivations, by a person or by the system (an admin job,
actor None). The row joins the transaction of the change; a request that changes
nothing (the role already held) writes none."""
from __future__ import annotations

from services.common.audit import AuditWriter

from .models import Profile

PERSON = "user"


def changed(audit: AuditWriter, db, actor_id: str | None, profile: Profile,
            role_before: str, active_before: bool) -> None:
    """One row per kind of change: the role, the active flag."""
    if profile.role != role_before:
        audit.record(db, "users.role_changed", actor_id=actor_id, target_type=PERSON,
                     target_id=profile.user_id,
                     details={"from": role_before, "to": profile.role})
    if profile.active != active_before:
        audit.record(db, "users.reactivated" if profile.active else "users.deactivated",
                     actor_id=actor_id, target_type=PERSON, target_id=profile.user_id)
