"""Access tokens: JWTs signed by auth, verified locally by every gateway.

HS256 with shared secrets. The ``kid`` header names the key a token was signed
with: auth signs with the current key (``jwt.key_id``, ``jwt.secret``) and every
verifier also accepts the previous keys listed in ``jwt.previous_keys`` (kid ->
secret), so a key can rotate without ending the sessions it signed: add the new
key, keep the old one under ``previous_keys`` for one ``jwt.access_ttl``, then drop it.

Claims: ``sub`` (user id), ``sid`` (session id, see services/common/revocation.py),
``role``, ``workspace``, ``iat``, ``exp``, ``jti``.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Mapping

import jwt

from .errors import Unauthenticated

KEY_ID = "k1"
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "sid", "exp", "iat"]


class TokenCodec:
    def __init__(self, secret: str, access_ttl: int = 900, *, key_id: str = KEY_ID,
                 previous_keys: Mapping[str, str] | None = None,
                 workspace: str = "default"):
        self.secret = secret
        self.key_id = key_id
        self.access_ttl = access_ttl
        self.workspace = workspace
        self.keys = {str(kid): str(key) for kid, key in (previous_keys or {}).items() if key}
        self.keys[key_id] = secret

    @classmethod
    def from_config(cls, cfg) -> "TokenCodec":
        """The codec every process builds from config/parley.yaml (`jwt.*`, `workspace.id`)."""
        return cls(cfg.jwt_secret, int(cfg["jwt.access_ttl"]), key_id=str(cfg["jwt.key_id"]),
                   previous_keys=cfg["jwt.previous_keys"] or {},
                   workspace=str(cfg["workspace.id"]))

    def issue(self, user_id: str, session_id: str, role: str = "member",
              workspace: str | None = None) -> str:
        now = int(time.time())
        claims = {"sub": user_id, "sid": session_id, "role": role,
                  "workspace": workspace or self.workspace,
                  "iat": now, "exp": now + self.access_ttl, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM,
                          headers={"kid": self.key_id})

    def verify(self, token: str) -> dict:
        try:
            key = self.keys.get(jwt.get_unverified_header(token).get("kid"))
            if key is None:
                raise Unauthenticated("access token is not valid")
            return jwt.decode(token, key, algorithms=[ALGORITHM],
                              options={"require": REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("access token has expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("access token is not valid") from None
