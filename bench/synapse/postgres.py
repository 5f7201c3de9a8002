"""Synapse's own PostgreSQL cluster, apart from the Parley stack's.

The Parley stack's PostgreSQL (port 5432, var/data/postgres) is never touched: this
cluster lives under var/bench/synapse/pg, listens on its own port (5442) on loopback
only, and is started and stopped by the benchmark around each Synapse run.

It uses Debian's PostgreSQL binaries (the same version and the same default
postgresql.conf as Parley's cluster, so neither side gets a tuned database), with the
encoding and collation Synapse insists on: UTF8 and the C locale.
"""
from __future__ import annotations

import os
import pwd
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from ops.stack.paths import PG_BIN

USER = "synapse"        # the cluster's superuser, which Synapse connects as
DATABASE = "synapse"


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; the stack runs it as `postgres` too."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _chown_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


@dataclass
class Cluster:
    root: Path              # var/bench/synapse/pg
    port: int = 5442
    host: str = "127.0.0.1"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def init(self) -> None:
        """initdb once (idempotent): UTF8, C collation and ctype, trust on loopback."""
        for path in (self.root, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            _chown_postgres(path)
        if (self.data / "PG_VERSION").exists():
            return
        self.data.mkdir(parents=True, exist_ok=True)
        _chown_postgres(self.data)
        subprocess.run(_as_postgres([
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", USER,
            "-E", "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=trust"]),
            check=True, stdout=subprocess.DEVNULL)

    def running(self) -> bool:
        status = subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "status",
                                              "-D", str(self.data)]),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return status.returncode == 0

    def start(self) -> None:
        """Start the cluster (waits until it accepts connections)."""
        self.init()
        if self.running():
            return
        if not self.log.exists():
            self.log.touch()
        _chown_postgres(self.log)
        options = f"-p {self.port} -h {self.host} -k {self.socket_dir}"
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "start", "-w", "-t", "60",
                                     "-D", str(self.data), "-l", str(self.log),
                                     "-o", options]),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.running():
            subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "stop", "-w", "-m", "fast",
                                         "-D", str(self.data)]),
                           check=True, stdout=subprocess.DEVNULL)

    def connect(self, dbname: str = DATABASE, wait: float = 30):
        """A psycopg2 connection (autocommit), waiting for the server to accept."""
        deadline = time.monotonic() + wait
        while True:
            try:
                conn = psycopg2.connect(host=self.host, port=self.port, user=USER,
                                        dbname=dbname)
                conn.autocommit = True
                return conn
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def pending_background_updates(self) -> int:
        """Synapse's background updates not yet done (its `background_updates` table)."""
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM background_updates")
                return cur.fetchone()[0]
        finally:
            conn.close()

    def fresh_database(self) -> None:
        """Drop and recreate Synapse's database, so every run starts from empty tables
        (a run's people and rooms are its own, and results do not depend on history)."""
        conn = self.connect("postgres")
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
                cur.execute(f"CREATE DATABASE {DATABASE} OWNER {USER} ENCODING 'UTF8' "
                            "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
        finally:
            conn.close()
