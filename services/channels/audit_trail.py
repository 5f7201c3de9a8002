"""What channels writes to its audit log (docs/audit.md): the changes that take
a channel or a person's place in it out of its members' hands — someone removed
by another person, archiving and unarchiving, renaming, and the admin jobs of
`nameko shell` (actor None). Each row joins the transaction of the change; a
request that changes nothing writes none. Topics, purposes, joining, leaving and
inviting are everyday membership, not recorded."""
from __future__ import annotations

from services.common.audit import AuditWriter

from .models import Channel

CHANNEL = "channel"


def member_removed(audit: AuditWriter, db, actor_id, channel: Channel, user_id: str) -> None:
    audit.record(db, "channels.member_removed", actor_id=actor_id, target_type=CHANNEL,
                 target_id=channel.id, details={"user_id": user_id, "kind": channel.kind})


def member_added(audit: AuditWriter, db, actor_id, channel: Channel, user_id: str) -> None:
    audit.record(db, "channels.member_added", actor_id=actor_id, target_type=CHANNEL,
                 target_id=channel.id, details={"user_id": user_id, "kind": channel.kind})


def channel_changed(audit: AuditWriter, db, actor_id, channel: Channel, changes: dict) -> None:
    """Before ``changes`` are applied to ``channel`` (its old name is still there)."""
    if "archived_at" in changes:
        action = "channels.unarchived" if changes["archived_at"] is None else "channels.archived"
        audit.record(db, action, actor_id=actor_id, target_type=CHANNEL, target_id=channel.id,
                     details={"name": channel.name, "kind": channel.kind})
    if "name" in changes:
        audit.record(db, "channels.renamed", actor_id=actor_id, target_type=CHANNEL,
                     target_id=channel.id, details={"from": channel.name, "to": changes["name"]})
