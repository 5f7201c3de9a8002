"""Fixtures for the unit tests of services/common: a configuration that lives
entirely under tmp_path, so no test reads the real var/ or its secrets."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from services.common.config import REPO_ROOT, load_config

DEFAULTS_FILE = REPO_ROOT / "config" / "parley.yaml"


@pytest.fixture
def defaults() -> dict:
    """config/parley.yaml as plain data, read independently of the code under test."""
    return yaml.safe_load(DEFAULTS_FILE.read_text())


@pytest.fixture
def config_file(tmp_path) -> Path:
    """A copy of config/parley.yaml in <tmp_path>/config/, so that the derived
    repository root (and with it the relative var dir) is tmp_path."""
    path = tmp_path / "config" / "parley.yaml"
    path.parent.mkdir()
    shutil.copy(DEFAULTS_FILE, path)
    return path


@pytest.fixture
def make_config(config_file):
    """Load the configuration from the temporary copy with the given environment."""
    def make(**environ: str):
        return load_config(config_file, environ=environ)
    return make
