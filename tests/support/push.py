"""A web push service under a test's control, on loopback, and the browser end of
a subscription: what Chrome or Firefox would do, done with the same primitives.

``PushService`` accepts pushes (RFC 8030) on ``/push/<name>``, checks each one's
VAPID authorisation (RFC 8292: an ES256 JWT whose ``aud`` is this origin, signed
by the key the request names, which must be the server's published key), keeps
the request, and answers what the test told it to (201 by default; 410, 429, …).
``Browser`` makes a subscription's P-256 key pair and auth secret and decrypts
what arrives (RFC 8291, aes128gcm) with them.
"""
from __future__ import annotations

import base64
import json
import os
import socket
import time
from dataclasses import dataclass, field

import http_ece
import jwt
import tornado.httpserver
import tornado.web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Push:
    name: str
    headers: dict
    body: bytes
    claims: dict
    key: str          # the ``k=`` of the Authorization header


@dataclass
class Browser:
    """One device's subscription keys, as ``PushManager.subscribe`` makes them."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    def keys(self) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"p256dh": b64url(public), "auth": b64url(self.auth_secret)}

    def decrypt(self, push: Push) -> dict:
        assert push.headers.get("Content-Encoding") == "aes128gcm", push.headers
        return json.loads(http_ece.decrypt(push.body, private_key=self.private_key,
                                           auth_secret=self.auth_secret, version="aes128gcm"))


class _Endpoint(tornado.web.RequestHandler):
    def initialize(self, service: "PushService") -> None:
        self.service = service

    def post(self, name: str) -> None:
        try:
            scheme, _, params = self.request.headers.get("Authorization", "").partition(" ")
            fields = dict(part.strip().split("=", 1) for part in params.split(","))
            assert scheme == "vapid", self.request.headers
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                                  unb64url(fields["k"]))
            claims = jwt.decode(fields["t"], public, algorithms=["ES256"],
                                audience=self.service.origin)  # raises unless signed, for us
        except Exception as exc:  # what a push service does with a bad authorisation
            self.service.refused.append((name, repr(exc)))
            self.set_status(401)
            return
        self.service.received.append(Push(name, dict(self.request.headers), self.request.body,
                                          claims, fields["k"]))
        answers = self.service.answers.get(name)
        self.set_status(answers.pop(0) if answers else 201)


class PushService:
    def __init__(self):
        self.received: list[Push] = []
        self.refused: list[tuple[str, str]] = []
        self.answers: dict[str, list[int]] = {}
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.origin = f"http://127.0.0.1:{self.port}"
        app = tornado.web.Application([(r"/push/([a-z0-9-]+)", _Endpoint, {"service": self})])
        self.server = tornado.httpserver.HTTPServer(app)
        self.server.listen(self.port, "127.0.0.1")

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def to(self, name: str) -> list[Push]:
        return [p for p in self.received if p.name == name]

    def stop(self) -> None:
        self.server.stop()


def fresh(claims: dict) -> bool:
    return claims["exp"] > time.time() and claims["sub"].startswith("mailto:")
