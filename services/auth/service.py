"""Auth: who you are. Credentials, sessions, access and refresh tokens, password
changes and resets, login throttling. Entrypoints only: the logic is in
accounts.py, sessions.py and resets.py, the queries in store.py."""
from __future__ import annotations

from nameko.rpc import rpc
from nameko_sqlalchemy import Database

from services.common.dependencies import RealtimeBus, RedisClient, TimedRpcProxy
from services.common.service_base import ParleyService
from services.common.validation import validated

from . import accounts, resets, sessions
from .context import Ctx, utcnow
from .dependencies import Mailer, Passwords, Settings, Tokens
from .models import Base
from .schemas import (EmailOnly, Login, PasswordChange, RefreshRequest, Registration,
                      ResetConfirmation, SessionRef, UserRef)


class Service(ParleyService):
    name = "auth"

    db = Database(Base)
    passwords = Passwords()
    tokens = Tokens()
    settings = Settings()
    redis = RedisClient()
    users = TimedRpcProxy("users")
    bus = RealtimeBus()
    mailer = Mailer()

    def _ctx(self) -> Ctx:
        return Ctx(db=self.db.session, hasher=self.passwords, codec=self.tokens,
                   redis=self.redis, settings=self.settings, users=self.users,
                   send_mail=self.mailer, publish=self.bus, now=utcnow())

    # -- accounts and sign-in ---------------------------------------------------
    @rpc
    def register(self, email, password, display_name):
        """Create an account. Idempotent: the same email and password again
        returns the same account; another password for a taken email conflicts."""
        data = validated(Registration, email=email, password=password,
                         display_name=display_name)
        return accounts.register(self._ctx(), data)

    @rpc
    def login(self, email, password, ip=None):
        """Check a password (throttled per account and per client ``ip``) and open a
        session: an access token and the session's first refresh token."""
        ctx = self._ctx()
        credential = accounts.check_login(ctx, validated(Login, email=email,
                                                         password=password, ip=ip))
        role = accounts.role_of(ctx, credential.user_id)
        session, refresh_token = sessions.open_session(ctx, credential.user_id)
        ctx.db.commit()
        return sessions.token_pair(ctx, session, role, refresh_token)

    @rpc
    def refresh(self, refresh_token):
        """Spend a refresh token for a new pair; a spent one ends its whole session."""
        ctx = self._ctx()
        data = validated(RefreshRequest, refresh_token=refresh_token)
        stored, session = sessions.refreshable(ctx, data.refresh_token)
        role = accounts.role_of(ctx, session.user_id)
        new_refresh_token = sessions.rotate(ctx, stored, session)
        ctx.db.commit()
        return sessions.token_pair(ctx, session, role, new_refresh_token)

    @rpc
    def verify_token(self, token):
        """Verify an access token for callers that cannot do it locally."""
        return sessions.verify(self._ctx(), token)

    @rpc
    def logout(self, user_id, session_id):
        """End one session. Idempotent."""
        data = validated(SessionRef, user_id=user_id, session_id=session_id)
        sessions.end_one(self._ctx(), data.user_id, data.session_id, "logout")
        return {"session_id": data.session_id, "ended": True}

    @rpc
    def logout_all(self, user_id):
        """End every session of a user ("log out everywhere"). Idempotent."""
        data = validated(UserRef, user_id=user_id)
        ended = sessions.end_all(self._ctx(), data.user_id, "logout_all")
        return {"user_id": data.user_id, "ended_sessions": len(ended)}

    # -- passwords -----------------------------------------------------------------
    @rpc
    def change_password(self, user_id, session_id, old_password, new_password):
        """Change a password (the current one required); ends the user's other sessions."""
        data = validated(PasswordChange, user_id=user_id, session_id=session_id,
                         old_password=old_password, new_password=new_password)
        return accounts.change_password(self._ctx(), data)

    @rpc
    def request_password_reset(self, email):
        """Mail a one-time reset link if the address is an account's. The answer
        is the same whether or not it is."""
        resets.request(self._ctx(), validated(EmailOnly, email=email).email)
        return {"accepted": True}

    @rpc
    def confirm_password_reset(self, token, new_password):
        """Set a new password with a reset token; ends every session of the account."""
        data = validated(ResetConfirmation, token=token, new_password=new_password)
        return resets.confirm(self._ctx(), data)

    # -- called by the users service, and by admins in `nameko shell` ---------------
    @rpc
    def deactivate(self, user_id):
        """Refuse sign-in from now on and end every session. Idempotent."""
        return accounts.set_active(self._ctx(), validated(UserRef, user_id=user_id).user_id,
                                   False)

    @rpc
    def reactivate(self, user_id):
        """Allow sign-in again (ended sessions stay ended). Idempotent."""
        return accounts.set_active(self._ctx(), validated(UserRef, user_id=user_id).user_id,
                                   True)

    @rpc
    def admin_issue_password_reset(self, email):
        """For operators: mail a reset link to an account and return it too."""
        return resets.admin_link(self._ctx(), validated(EmailOnly, email=email).email)
