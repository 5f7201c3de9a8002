"""Notifications: who hears about what. (Delivery by web push and email comes
with its own issue; this holds the preferences it will honour.)"""
from __future__ import annotations

from nameko.rpc import rpc
from nameko_sqlalchemy import Database
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.common.service_base import ParleyService
from services.common.validation import validated

from .models import Base, Preference
from .schemas import DEFAULT_LEVEL, PreferenceChange


class Service(ParleyService):
    name = "notifications"

    db = Database(Base)

    @rpc
    def get_preferences(self, user_id):
        rows = self.db.session.scalars(select(Preference).where(Preference.user_id == user_id))
        levels = {row.channel_id: row.level for row in rows}
        levels.setdefault("*", DEFAULT_LEVEL)
        return levels

    @rpc
    def set_preference(self, user_id, level, channel_id="*"):
        """Set a level for one channel or ("*") the default. Idempotent."""
        data = validated(PreferenceChange, channel_id=channel_id, level=level)
        self.db.session.execute(
            insert(Preference).values(user_id=user_id, channel_id=data.channel_id,
                                      level=data.level)
            .on_conflict_do_update(index_elements=[Preference.user_id, Preference.channel_id],
                                   set_={"level": data.level}))
        self.db.session.commit()
        return self.get_preferences(user_id)
