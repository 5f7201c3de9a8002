"""REST for workspace owners and admins: bots and their tokens
(docs/slack-compat.md). The auth service checks the role (``forbidden``, 403) and
the input (``invalid_input``, 400), and audits each change.

- ``POST /api/v1/admin/bots`` ``{"name", "display_name"?, "scopes"?, "key"?}``:
  201 with the bot and its ``bot_token`` and ``app_token``; a repeat (same ``key``,
  or same name) answers 200 with the same bot and tokens;
- ``GET /api/v1/admin/bots``: every bot (no tokens);
- ``POST /api/v1/admin/bots/{bot}/tokens``: new tokens, the old ones revoked;
- ``DELETE /api/v1/admin/bots/{bot}``: the bot's tokens revoked for good.
"""
from __future__ import annotations

from ..handlers.channels import ChannelsHandler

FIELDS = ("name", "display_name", "scopes", "key")


class Bots(ChannelsHandler):
    route = "admin.bots"

    async def get(self):
        self.send_json({"bots": await self.rpc("auth", "list_bots", self.authenticate())})

    async def post(self):
        actor = self.authenticate()
        body = self.only(self.body_json(required=True), FIELDS)
        bot = await self.rpc("auth", "create_bot", actor, body.get("name", ""),
                             display_name=body.get("display_name"), scopes=body.get("scopes"),
                             key=body.get("key"))
        self.send_json(bot, status=201 if bot["created"] else 200)


class Bot(ChannelsHandler):
    route = "admin.bot"

    async def delete(self, bot):
        self.send_json(await self.rpc("auth", "revoke_bot", self.authenticate(), bot))


class BotTokens(ChannelsHandler):
    route = "admin.bot.tokens"

    async def post(self, bot):
        self.send_json(await self.rpc("auth", "rotate_bot_tokens", self.authenticate(), bot))
