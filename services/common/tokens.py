"""Access tokens: JWTs signed by auth, verified locally by every gateway.

HS256 with a shared secret for now; the ``kid`` header names the key so that
keys can rotate without invalidating tokens signed with the previous one.
"""
from __future__ import annotations

import time
import uuid

import jwt

from .errors import Unauthenticated

KEY_ID = "k1"


class TokenCodec:
    def __init__(self, secret: str, access_ttl: int = 900):
        self.secret = secret
        self.access_ttl = access_ttl

    def issue(self, user_id: str, session_id: str, role: str = "member",
              workspace: str = "default") -> str:
        now = int(time.time())
        claims = {"sub": user_id, "sid": session_id, "role": role, "workspace": workspace,
                  "iat": now, "exp": now + self.access_ttl, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self.secret, algorithm="HS256", headers={"kid": KEY_ID})

    def verify(self, token: str) -> dict:
        try:
            return jwt.decode(token, self.secret, algorithms=["HS256"],
                              options={"require": ["sub", "sid", "exp", "iat"]})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("access token has expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("access token is not valid") from None
