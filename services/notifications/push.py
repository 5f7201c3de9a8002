"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payloads (RFC 8291),
through pywebpush.

The application server's key pair is ``notifications.vapid_private_key`` (the
32-byte private value, base64url: every instance of a deployment must share it),
or else generated on first use and kept in ``var/secrets/vapid_private.pem``
(``notifications.vapid_key_file`` elsewhere);
browsers subscribe with its public half (``GET /api/v1/push/vapid-public-key``).
One push goes to one device; a 404 or 410 means the subscription is gone, 429 and
5xx are retried a bounded number of times with backoff; anything else fails.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from services.common.config import get_config

PREVIEW_CHARS = 140
TTL = 24 * 3600            # seconds a push service keeps an undelivered push


def server_key(cfg=None) -> Vapid:
    """The configured key, or the one in (or generated into) the key file."""
    cfg = cfg or get_config()
    raw = str(cfg.section("notifications").get("vapid_private_key") or "").strip()
    return Vapid.from_raw(raw.encode()) if raw else ensure_key(key_file(cfg))


def key_file(cfg=None) -> Path:
    cfg = cfg or get_config()
    configured = cfg.section("notifications").get("vapid_key_file") or ""
    return Path(configured) if configured else cfg.var_dir / "secrets" / "vapid_private.pem"


def ensure_key(path: Path) -> Vapid:
    """The VAPID key pair in ``path``, generated there (mode 0600) if missing;
    when two processes race, both use the one that was written first."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        try:
            os.link(tmp, path)           # fails if another process got there first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return Vapid.from_pem(path.read_bytes())


def public_key(vapid: Vapid) -> str:
    """The application server key as browsers want it: the uncompressed P-256
    point, base64url without padding."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def topic(message_id: str) -> str:
    """The ``Topic`` header (RFC 8030 §5.4): a push service replaces an undelivered
    push with the same topic, so a resend after a crash shows once."""
    return base64.urlsafe_b64encode(hashlib.sha256(message_id.encode()).digest()[:24]).decode()


def payload(content: dict, previews: bool) -> bytes:
    """What the service worker needs to show the notification and open the channel
    (web/sw.js): with previews off, who wrote, not what nor in which private channel."""
    body = content.get("preview", "") if previews else content.get("summary", "")
    title = content.get("title", "Parley")
    if content.get("private") and not previews:   # a private channel's name is content too
        title = content.get("sender_name", "Parley")
    return json.dumps({"title": title, "body": body[:PREVIEW_CHARS],
                       "channel_id": content["channel_id"], "message_id": content["message_id"],
                       "url": content["url"], "tag": content["message_id"]},
                      separators=(",", ":")).encode()


@dataclass(frozen=True)
class Outcome:
    outcome: str               # sent | gone | failed
    status_code: int | None
    error: str
    tries: list[tuple[int | None, str]]   # (status, error) of each try before the last


def retryable(status: int | None) -> bool:
    return status is None or status == 429 or status >= 500


def send(subscription: dict, data: bytes, vapid: Vapid, subject: str, message_id: str,
         retries: int = 3, backoff: float = 0.5, timeout: float = 10.0,
         sleep=time.sleep) -> Outcome:
    """Push ``data`` to one device, retrying 429/5xx/network errors ``retries``
    times with doubling waits (a ``Retry-After`` in seconds is honoured up to 8×
    ``backoff``)."""
    tries: list[tuple[int | None, str]] = []
    delay = backoff
    for attempt in range(retries + 1):
        status, error, retry_after = None, "", None
        try:
            response = webpush(subscription, data=data, vapid_private_key=vapid,
                               vapid_claims={"sub": subject}, ttl=TTL, timeout=timeout,
                               headers={"Topic": topic(message_id), "Urgency": "high"})
            return Outcome("sent", response.status_code, "", tries)
        except WebPushException as exc:
            response = exc.response
            status = response.status_code if response is not None else None
            error = str(exc).splitlines()[0][:300]
            if response is not None and (response.headers.get("Retry-After") or "").isdigit():
                retry_after = min(float(response.headers["Retry-After"]), backoff * 8)
        except Exception as exc:  # network: refused, reset, timed out
            error = f"{type(exc).__name__}: {exc}"[:300]
        if status in (404, 410):
            return Outcome("gone", status, error, tries)
        if not retryable(status) or attempt == retries:
            return Outcome("failed", status, error, tries)
        tries.append((status, error))
        sleep(retry_after if retry_after is not None else delay)
        delay *= 2
    raise AssertionError("unreachable")
