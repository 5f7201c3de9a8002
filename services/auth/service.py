"""Auth: who you are. Credentials, sessions and access tokens."""
from __future__ import annotations

import uuid

from argon2.exceptions import InvalidHashError, VerifyMismatchError
from nameko.rpc import rpc
from nameko_sqlalchemy import Database
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, Unauthenticated
from services.common.service_base import ParleyService
from services.common.validation import validated

from .dependencies import Passwords, Tokens
from .models import Base, Credential, Session
from .schemas import Login, Registration


class Service(ParleyService):
    name = "auth"

    db = Database(Base)
    passwords = Passwords()
    tokens = Tokens()

    @rpc
    def register(self, email, password, display_name):
        """Create an account. Idempotent: the same email and password again
        returns the same account; another password for a taken email conflicts."""
        data = validated(Registration, email=email, password=password, display_name=display_name)
        existing = self._credential_by_email(data.email)
        if existing is not None:
            if self._password_matches(existing, data.password):
                return {"user_id": existing.user_id, "email": existing.email, "created": False}
            raise Conflict("email address is already registered")
        credential = Credential(user_id=uuid.uuid4().hex, email=data.email,
                                password_hash=self.passwords.hash(data.password))
        self.db.session.add(credential)
        try:
            self.db.session.commit()
        except IntegrityError:  # a concurrent registration of the same address won
            self.db.session.rollback()
            raise Conflict("email address is already registered") from None
        return {"user_id": credential.user_id, "email": credential.email, "created": True}

    @rpc
    def login(self, email, password):
        """Check a password and open a session; returns an access token."""
        data = validated(Login, email=email, password=password)
        credential = self._credential_by_email(data.email)
        if credential is None or not self._password_matches(credential, data.password):
            raise Unauthenticated("wrong email or password")
        if self.passwords.check_needs_rehash(credential.password_hash):
            credential.password_hash = self.passwords.hash(data.password)
        session = Session(id=uuid.uuid4().hex, user_id=credential.user_id)
        self.db.session.add(session)
        self.db.session.commit()
        token = self.tokens.issue(credential.user_id, session.id, role=credential.role)
        return {"user_id": credential.user_id, "access_token": token,
                "expires_in": self.tokens.access_ttl}

    @rpc
    def verify_token(self, token):
        """Verify an access token for callers that cannot do it locally."""
        claims = self.tokens.verify(token)
        session = self.db.session.get(Session, claims["sid"])
        if session is None or session.revoked_at is not None:
            raise Unauthenticated("session has ended")
        return claims

    # -- helpers ----------------------------------------------------------
    def _credential_by_email(self, email):
        return self.db.session.scalars(
            select(Credential).where(Credential.email == email)).one_or_none()

    def _password_matches(self, credential, password):
        try:
            return self.passwords.verify(credential.password_hash, password)
        except (VerifyMismatchError, InvalidHashError):
            return False
