"""REST: accounts and sign-in (auth service)."""
from __future__ import annotations

from .base import BaseHandler


class Register(BaseHandler):
    route = "auth.register"

    async def post(self):
        body = self.body_json()
        account = await self.rpc("auth", "register", body.get("email", ""),
                                 body.get("password", ""), body.get("display_name", ""))
        profile = await self.rpc("users", "ensure_profile", account["user_id"],
                                 account["email"], body.get("display_name", "").strip())
        self.send_json(profile, status=201 if account["created"] else 200)


class Login(BaseHandler):
    route = "auth.login"

    async def post(self):
        body = self.body_json()
        self.send_json(await self.rpc("auth", "login", body.get("email", ""),
                                      body.get("password", "")))
