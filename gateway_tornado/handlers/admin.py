"""REST for workspace admins: the audit log, merged from auth, users and channels
(gateway_tornado/audit_pages.py). Each service refuses a reader who is not an
active owner or admin (``forbidden``, 403) and validates the filters
(``invalid_input``, 400)."""
from __future__ import annotations

from services.common.errors import InvalidInput

from ..audit_pages import merged_page
from .base import BaseHandler

FILTERS = ("action", "actor", "target_type", "target_id", "since", "until")
DEFAULT_LIMIT = 50


class AuditLog(BaseHandler):
    route = "admin.audit"

    async def get(self):
        reader = self.authenticate()
        filters = {name: value for name in FILTERS
                   if (value := self.get_query_argument(name, None)) not in (None, "")}
        raw_limit = self.get_query_argument("limit", str(DEFAULT_LIMIT))
        if not raw_limit.isdigit():
            raise InvalidInput("limit must be an integer from 1 to 200")
        limit = int(raw_limit)

        async def fetch(source: str, cursor: str | None) -> dict:
            return await self.rpc(source, "audit_log", reader, cursor=cursor, limit=limit,
                                  **filters)

        self.send_json(await merged_page(fetch, self.get_query_argument("cursor", None), limit))
