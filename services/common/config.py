"""Configuration: defaults from config/parley.yaml, overridden by environment.

Every key ``section.key`` can be overridden by ``PARLEY_<SECTION>_<KEY>``; the value
is parsed as YAML so numbers and lists keep their types. Secrets left empty in the
file are generated once under ``<var_dir>/secrets/`` and reused on every start.
"""
from __future__ import annotations

import functools
import os
import secrets as _secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def _config_file() -> Path:
    explicit = os.environ.get("PARLEY_CONFIG_FILE")
    if explicit:
        return Path(explicit)
    for base in (Path.cwd(), REPO_ROOT):
        candidate = base / "config" / "parley.yaml"
        if candidate.exists():
            return candidate
    raise FileNotFoundError("config/parley.yaml not found; set PARLEY_CONFIG_FILE")


class Config:
    """Read-only view of the merged configuration: ``cfg["postgres.port"]``."""

    def __init__(self, data: dict[str, dict[str, Any]], root: Path):
        self._data = data
        self.root = root

    def __getitem__(self, dotted: str) -> Any:
        section, key = dotted.split(".", 1)
        return self._data[section][key]

    def section(self, name: str) -> dict[str, Any]:
        return dict(self._data[name])

    # ---- derived values -------------------------------------------------
    @property
    def var_dir(self) -> Path:
        path = Path(self["stack.var_dir"])
        return path if path.is_absolute() else self.root / path

    def secret(self, dotted: str, generated_name: str | None = None) -> str:
        """The configured secret, or one generated on first use under var/secrets."""
        value = self[dotted]
        if value:
            return str(value)
        name = generated_name or dotted.replace(".", "_")
        path = self.var_dir / "secrets" / name
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        token = _secrets.token_hex(24)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race: use its value
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(token + "\n")
        return token

    def postgres_url(self, database: str, driver: str = "postgresql+psycopg2") -> str:
        password = quote(self.secret("postgres.password"), safe="")
        return (f"{driver}://{quote(self['postgres.user'], safe='')}:{password}@"
                f"{self['postgres.host']}:{self['postgres.port']}/{database}")

    def s3_credentials(self) -> tuple[str, str]:
        return self.secret("s3.access_key"), self.secret("s3.secret_key")

    @property
    def jwt_secret(self) -> str:
        return self.secret("jwt.secret")


def _apply_env(data: dict[str, dict[str, Any]], environ: dict[str, str]) -> None:
    for section, values in data.items():
        for key in values:
            env_name = f"PARLEY_{section}_{key}".upper()
            if env_name in environ:
                raw = environ[env_name]
                parsed = yaml.safe_load(raw) if raw.strip() else ""
                values[key] = raw if isinstance(values[key], str) else parsed


def load_config(path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    path = path or _config_file()
    data = yaml.safe_load(path.read_text())
    _apply_env(data, dict(os.environ if environ is None else environ))
    return Config(data, root=path.resolve().parent.parent)


@functools.lru_cache(maxsize=1)
def get_config() -> Config:
    """The process-wide configuration, loaded once."""
    return load_config()
