"""Auth: who you are. Credentials, sessions, access and refresh tokens, password
changes and resets, login throttling. Entrypoints only: the logic is in
accounts.py, sessions.py and resets.py, the queries in store.py."""
from __future__ import annotations

from nameko_sqlalchemy import Database

from services.common.audit import AuditLogEntrypoints, AuditTrail
from services.common.dependencies import RealtimeBus, RedisClient, TimedRpcProxy
from services.common.errors import Forbidden, NotFound, RateLimited, Unauthenticated
from services.common.rpc_entrypoint import rpc
from services.common.service_base import ParleyService
from services.common.validation import validated

from . import accounts, audit_trail, bots, resets, sessions, store, webhooks
from .context import Ctx, utcnow
from .dependencies import Mailer, Passwords, Settings, Tokens
from .models import AuditEntry, Base
from .schemas import (ApiTokenText, BotRef, EmailOnly, Login, NewBot, PasswordChange,
                      RefreshRequest, Registration, ResetConfirmation, SessionRef, UserRef,
                      NewWebhook, WebhookRef, WebhookSecret)


class Service(ParleyService, AuditLogEntrypoints):
    name = "auth"
    audit_model = AuditEntry

    db = Database(Base)
    passwords = Passwords()
    tokens = Tokens()
    settings = Settings()
    redis = RedisClient()
    users = TimedRpcProxy("users")
    bus = RealtimeBus()
    mailer = Mailer()
    audit = AuditTrail(AuditEntry)

    def _ctx(self) -> Ctx:
        return Ctx(db=self.db.session, hasher=self.passwords, codec=self.tokens,
                   redis=self.redis, settings=self.settings, users=self.users,
                   send_mail=self.mailer, publish=self.bus, now=utcnow(),
                   audit=self.audit)

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
        data = validated(Login, email=email, password=password, ip=ip)
        try:
            credential = accounts.check_login(ctx, data)
            role = accounts.role_of(ctx, credential.user_id)
        except (Unauthenticated, Forbidden, RateLimited) as refused:
            audit_trail.login_failed(ctx, data, refused)
            raise
        session, refresh_token = sessions.open_session(ctx, credential.user_id)
        audit_trail.login_succeeded(ctx, session, data.ip)
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
        ctx = self._ctx()
        audit_trail.record(ctx, "auth.logged_out_everywhere", data.user_id, data.user_id)
        ended = sessions.end_all(ctx, data.user_id, "logout_all")
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

    # -- bots and their tokens (docs/slack-compat.md; logic in bots.py) ---------------
    @rpc
    def create_bot(self, actor_id, name, display_name=None, scopes=None, key=None):
        """An owner or admin creates a bot user with a bot token (``xoxb-``, the
        given Slack scopes, by default every bot scope) and an app-level token
        (``xapp-``). Idempotent by ``key``, else by name: a repeat answers the
        same bot and tokens with ``created: false``."""
        return self._create_bot(actor_id, name, display_name, scopes, key)

    @rpc
    def admin_create_bot(self, name, display_name=None, scopes=None, key=None):
        """For operators in `nameko shell`: :meth:`create_bot` as the system."""
        return self._create_bot(None, name, display_name, scopes, key)

    @rpc
    def list_bots(self, actor_id):
        return bots.listing(self._ctx(), actor_id)

    @rpc
    def admin_list_bots(self):
        return bots.listing(self._ctx(), None)

    @rpc
    def rotate_bot_tokens(self, actor_id, bot):
        """New tokens for a bot (by id or name); the old ones stop working."""
        return bots.rotate(self._ctx(), actor_id, validated(BotRef, bot=bot).bot)

    @rpc
    def admin_rotate_bot_tokens(self, bot):
        return bots.rotate(self._ctx(), None, validated(BotRef, bot=bot).bot)

    @rpc
    def revoke_bot(self, actor_id, bot):
        """Revoke a bot's tokens for good (its account and messages stay). Idempotent."""
        return bots.revoke(self._ctx(), actor_id, validated(BotRef, bot=bot).bot)

    @rpc
    def admin_revoke_bot(self, bot):
        return bots.revoke(self._ctx(), None, validated(BotRef, bot=bot).bot)

    @rpc
    def verify_api_token(self, token):
        """Who a bot (``xoxb-``) or app-level (``xapp-``) token is: kind, bot,
        app and user ids, name, scopes; ``unauthenticated`` if unknown or revoked."""
        return bots.verify(self._ctx(), validated(ApiTokenText, token=token).token)

    @rpc
    def user_by_email(self, email):
        """``{"user_id"}`` of the account with this address (users.lookupByEmail of
        the Slack-compatible API); not_found if there is none."""
        credential = store.credential_by_email(self.db.session,
                                               validated(EmailOnly, email=email).email)
        if credential is None:
            raise NotFound("no such user")
        return {"user_id": credential.user_id}

    @rpc
    def bot_users(self):
        """Every bot's user id -> its bot id, app id and name (for the gateway's
        Slack shapes: ``is_bot``, ``bot_id``)."""
        return bots.bot_users(self._ctx())

    def _create_bot(self, actor_id, name, display_name, scopes, key):
        data = validated(NewBot, name=name, display_name=display_name, scopes=scopes, key=key)
        answer, created = bots.create(self._ctx(), actor_id, data)
        # every attempt: a retry heals a profile an earlier attempt did not make
        self.users.ensure_profile(answer["user_id"], bots.bot_email(answer["bot_id"]),
                                  data.display_name or data.name)
        return {**answer, "created": created}

    # -- incoming webhooks (docs/slack-compat.md; logic in webhooks.py) -------------
    @rpc
    def create_webhook(self, actor_id, bot, channel_id, key=None):
        """An owner or admin makes an incoming webhook: ``bot`` (id or name) posts
        into ``channel_id`` what is sent to ``/slack/hooks/T…/B<webhook_id>/<secret>``.
        Idempotent by ``key``: a repeat answers the same webhook and secret with
        ``created: false``. (The bot must be in the channel: the admin route adds it.)"""
        return self._create_webhook(actor_id, bot, channel_id, key)

    @rpc
    def admin_create_webhook(self, bot, channel_id, key=None):
        """For operators in `nameko shell`: :meth:`create_webhook` as the system."""
        return self._create_webhook(None, bot, channel_id, key)

    def _create_webhook(self, actor_id, bot, channel_id, key):
        data = validated(NewWebhook, bot=bot, channel_id=channel_id, key=key)
        answer, created = webhooks.create(self._ctx(), actor_id, data)
        return {**answer, "created": created}

    @rpc
    def list_webhooks(self, actor_id):
        return webhooks.listing(self._ctx(), actor_id)

    @rpc
    def admin_list_webhooks(self):
        return webhooks.listing(self._ctx(), None)

    @rpc
    def revoke_webhook(self, actor_id, webhook_id):
        return webhooks.revoke(self._ctx(), actor_id,
                               validated(WebhookRef, webhook_id=webhook_id).webhook_id)

    @rpc
    def admin_revoke_webhook(self, webhook_id):
        return webhooks.revoke(self._ctx(), None,
                               validated(WebhookRef, webhook_id=webhook_id).webhook_id)

    @rpc
    def verify_webhook(self, webhook_id, secret):
        """Who posts through a webhook URL and where (``unauthenticated`` otherwise)."""
        data = validated(WebhookSecret, webhook_id=webhook_id, secret=secret)
        return webhooks.verify(self._ctx(), data.webhook_id, data.secret)

    # -- the audit log (docs/audit.md; its RPCs: AuditLogEntrypoints) ----------------
    def reader_access(self, actor_id):
        return self.users.access(str(actor_id))
