"""Health checks: each returns None when healthy or a short reason when not."""
from __future__ import annotations

import socket
import urllib.error
import urllib.request
from typing import Callable, Optional

Check = Callable[[], Optional[str]]


def tcp(host: str, port: int) -> Check:
    def check() -> str | None:
        try:
            with socket.create_connection((host, port), timeout=1):
                return None
        except OSError as exc:
            return f"tcp {port}: {exc.strerror or exc}"
    return check


def http(url: str, expect: int = 200) -> Check:
    def check() -> str | None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return None if response.status == expect else f"{url}: HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            return f"{url}: HTTP {exc.code}"
        except OSError as exc:
            return f"{url}: {getattr(exc, 'reason', exc)}"
    return check


def sample_is(url: str, sample: str, value: str = "1") -> Check:
    """A Prometheus exporter answers at ``url`` and reports ``sample`` (unlabelled)
    as ``value``: e.g. ``pg_up 1``, the exporter is up and reaches its server."""
    def check() -> str | None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                lines = response.read().decode("utf-8", "replace").splitlines()
        except (urllib.error.HTTPError, OSError) as exc:
            return f"{url}: {getattr(exc, 'reason', exc)}"
        found = [line.split()[-1] for line in lines if line.startswith(f"{sample} ")]
        if found != [value]:
            return f"{url}: {sample} is {found[0] if found else 'missing'}"
        return None
    return check


def smtp(host: str, port: int) -> Check:
    def check() -> str | None:
        import smtplib
        try:
            with smtplib.SMTP(host, port, timeout=2) as client:
                code, _ = client.noop()
            return None if code == 250 else f"smtp {port}: NOOP answered {code}"
        except (OSError, smtplib.SMTPException) as exc:
            return f"smtp {port}: {exc}"
    return check


def all_of(*checks: Check) -> Check:
    def check() -> str | None:
        for one in checks:
            problem = one()
            if problem:
                return problem
        return None
    return check


def postgres(cfg) -> Check:
    def check() -> str | None:
        import psycopg2
        try:
            conn = psycopg2.connect(host=cfg["postgres.host"], port=cfg["postgres.port"],
                                    user=cfg["postgres.user"], dbname="postgres",
                                    password=cfg.secret("postgres.password"), connect_timeout=2)
            conn.close()
            return None
        except psycopg2.Error as exc:
            return f"postgres: {str(exc).strip().splitlines()[0]}"
    return check


def redis_ping(cfg) -> Check:
    def check() -> str | None:
        import redis
        try:
            redis.Redis.from_url(cfg["redis.url"], socket_timeout=2).ping()
            return None
        except redis.RedisError as exc:
            return f"redis: {exc}"
    return check


def mongo_ping(cfg) -> Check:
    def check() -> str | None:
        import pymongo
        try:
            client = pymongo.MongoClient(cfg["mongo.uri"], serverSelectionTimeoutMS=1500)
            client.admin.command("ping")
            client.close()
            return None
        except pymongo.errors.PyMongoError as exc:
            return f"mongo: {type(exc).__name__}"
    return check


def s3_ready(cfg) -> Check:
    def check() -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError

        from services.common.stores import s3_client
        try:
            s3_client().list_buckets()
            return None
        except (BotoCoreError, ClientError) as exc:
            return f"s3: {exc}"
    return check
