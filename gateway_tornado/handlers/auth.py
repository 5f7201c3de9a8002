"""REST: accounts, sign-in, sessions and passwords (auth service)."""
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
    """An access token and a refresh token; throttled per account and client IP."""

    route = "auth.login"

    async def post(self):
        body = self.body_json()
        self.send_json(await self.rpc("auth", "login", body.get("email", ""),
                                      body.get("password", ""), self.client_ip()))


class Refresh(BaseHandler):
    """A new pair for a refresh token, which is spent."""

    route = "auth.refresh"

    async def post(self):
        body = self.body_json()
        self.send_json(await self.rpc("auth", "refresh", body.get("refresh_token", "")))


class Logout(BaseHandler):
    """Ends the session of the access token used."""

    route = "auth.logout"

    async def post(self):
        user_id = self.authenticate()
        self.send_json(await self.rpc("auth", "logout", user_id, self.claims["sid"]))


class LogoutAll(BaseHandler):
    """Ends every session of the signed-in user, this one included."""

    route = "auth.logout_all"

    async def post(self):
        self.send_json(await self.rpc("auth", "logout_all", self.authenticate()))


class Password(BaseHandler):
    """Changes the password (the current one required); ends the other sessions."""

    route = "auth.password"

    async def post(self):
        user_id = self.authenticate()
        body = self.body_json()
        self.send_json(await self.rpc("auth", "change_password", user_id, self.claims["sid"],
                                      body.get("old_password", ""),
                                      body.get("new_password", "")))


class PasswordReset(BaseHandler):
    """Mails a reset link if the address is an account's; answers the same if not."""

    route = "auth.password_reset"

    async def post(self):
        body = self.body_json()
        self.send_json(await self.rpc("auth", "request_password_reset", body.get("email", "")),
                       status=202)


class PasswordResetConfirm(BaseHandler):
    """Sets a new password with the token from the mail; ends every session."""

    route = "auth.password_reset_confirm"

    async def post(self):
        body = self.body_json()
        self.send_json(await self.rpc("auth", "confirm_password_reset", body.get("token", ""),
                                      body.get("new_password", "")))
