"""Synapse for the benchmark: installed on demand, configured from homeserver.yaml,
run as one process beside its own PostgreSQL, and stopped again.

Everything it writes lives under var/bench/synapse/: the rendered config, its log,
its PostgreSQL cluster (pg/). Each start begins from an empty database, so a run's
numbers do not depend on what earlier runs left behind.
"""
from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from ops.stack.paths import REPO, var

from .postgres import Cluster

HERE = Path(__file__).resolve().parent
VENV = REPO / ".bootstrap" / "synapse-venv"
INSTALL = HERE / "install.sh"
SERVER_NAME = "bench.local"


def install() -> None:
    """Idempotent and offline once done (install.sh keeps a stamp)."""
    subprocess.run(["bash", str(INSTALL)], check=True)


def _signing_key() -> str:
    """An ed25519 signing key in Synapse's file format ("ed25519 <version> <seed>",
    the 32-byte seed in unpadded base64). Nothing is federated, but Synapse signs
    every event it creates, as it does in production."""
    seed = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    return f"ed25519 a_bench {seed}\n"


@dataclass
class Synapse:
    host: str = "127.0.0.1"
    port: int = 8448
    pg_port: int = 5442
    state: Path = field(default_factory=lambda: var() / "bench" / "synapse")
    registration_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.state = Path(self.state).resolve()
        self.postgres = Cluster(self.state / "pg", port=self.pg_port, host=self.host)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.state / "homeserver.yaml"

    @property
    def log_path(self) -> Path:
        return self.state / "synapse.log"

    def render(self) -> None:
        """Write homeserver.yaml, log.yaml and a signing key under the state dir."""
        self.state.mkdir(parents=True, exist_ok=True)
        (self.state / "media_store").mkdir(exist_ok=True)
        values = dict(host=self.host, port=self.port, state=self.state,
                      pg_host=self.host, pg_port=self.pg_port,
                      registration_secret=self.registration_secret,
                      macaroon_secret=secrets.token_hex(32), form_secret=secrets.token_hex(32))
        self.config_path.write_text(
            Template((HERE / "homeserver.yaml").read_text()).substitute(values))
        (self.state / "log.yaml").write_text((HERE / "log.yaml").read_text())
        key = self.state / "signing.key"
        if not key.exists():
            key.write_text(_signing_key())

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/health", timeout=2) as answer:
                return answer.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start(self, timeout: float = 180) -> None:
        """Install if needed, start PostgreSQL with an empty database, start Synapse,
        wait until /health answers (it creates the schema first) and its background
        updates are done (indexes that the fresh schema still builds)."""
        install()
        self._stop_leftover()
        if self.healthy():
            raise RuntimeError(f"something already answers on {self.base_url}")
        self.render()
        self.postgres.start()
        self.postgres.fresh_database()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(VENV / "bin" / "python"), "-m", "synapse.app.homeserver",
             "--config-path", str(self.config_path)],
            cwd=self.state, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        (self.state / "synapse.pid").write_text(f"{self.process.pid}\n")
        deadline = time.monotonic() + timeout
        self._wait_for(self.healthy, "healthy", deadline)
        # /health answers before the fresh database's background updates are done.
        self._wait_for(lambda: self.postgres.pending_background_updates() == 0,
                       "done with its background updates", deadline)

    def _wait_for(self, ready, what: str, deadline: float) -> None:
        while not ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited with {self.process.returncode}: "
                                   f"see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"Synapse not {what} in time: see {self.log_path}")
            time.sleep(0.25)

    def _stop_leftover(self, wait: float = 30) -> None:
        """A Synapse that an earlier, killed benchmark left running from this state dir
        (synapse.pid, written at start, names it; its command line names our config) is
        stopped first. Synapse writes its own pid_file only when it daemonizes."""
        pid_file = self.state / "synapse.pid"
        try:
            pid = int(pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return
        if "synapse.app.homeserver" not in cmdline or str(self.config_path) not in cmdline:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM Synapse (SIGKILL after 30 s), then stop its PostgreSQL."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.postgres.stop()
