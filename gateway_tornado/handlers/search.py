"""REST: message search (search service).

GET /api/v1/search?q=&channel_id=&from=&after=&before=&has_file=&sort=&cursor=&limit=
The search service validates every argument and decides which channels the
actor may search; this handler only translates query arguments. The next page's
cursor is in the body and in ``X-Next-Cursor`` (absent on the last page)."""
from __future__ import annotations

from typing import Any

from services.common.errors import InvalidInput

from .base import BaseHandler

TRUE, FALSE = ("true", "1"), ("false", "0")


class Search(BaseHandler):
    route = "search"

    def optional(self, name: str) -> str | None:
        value = self.get_query_argument(name, None)
        return value if value not in (None, "") else None

    async def get(self):
        actor = self.authenticate()
        query: dict[str, Any] = {
            "query": self.get_query_argument("q", ""),
            "channel_id": self.optional("channel_id"),
            "from_user": self.optional("from"),
            "after": self.optional("after"),
            "before": self.optional("before"),
            "cursor": self.optional("cursor"),
        }
        sort = self.optional("sort")
        if sort is not None:
            query["sort"] = sort
        has_file = self.optional("has_file")
        if has_file is not None:
            if has_file.lower() not in TRUE + FALSE:
                raise InvalidInput("has_file must be true or false")
            query["has_file"] = has_file.lower() in TRUE
        limit = self.optional("limit")
        if limit is not None:
            if not limit.isdigit():
                raise InvalidInput("limit must be a positive integer")
            query["limit"] = int(limit)
        page = await self.rpc("search", "search", actor, **query)
        if page.get("next_cursor"):
            self.set_header("X-Next-Cursor", page["next_cursor"])
        self.send_json(page)
