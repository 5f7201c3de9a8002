"""Where the stack keeps things. Everything it writes is under var/."""
from __future__ import annotations

import os
from pathlib import Path

from services.common.config import get_config

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / ".bootstrap"          # built artefacts (Kafka jars, FerretDB binary)
VENV_BIN = REPO / ".venv" / "bin"
KAFKA_LIB = BOOTSTRAP / "kafka-lib"
JMX_AGENT = BOOTSTRAP / "jmx-exporter" / "jmx_prometheus_javaagent.jar"   # Kafka's metrics
FERRETDB_BIN = BOOTSTRAP / "ferretdb" / "parley-ferretdb"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def var() -> Path:
    return get_config().var_dir


def data(name: str) -> Path:
    return var() / "data" / name


def etc(name: str) -> Path:
    return var() / "etc" / name


def log_dir() -> Path:
    return var() / "log"


def run_dir() -> Path:
    return var() / "run"


def is_root() -> bool:
    return os.geteuid() == 0
