"""Test harness. Tests under tests/e2e and tests/integration need the real local
stack: the `stack` fixture starts it when it is not running (and stops it again
at the end), or uses the one already running."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.common.config import get_config
from services.common.rpc_client import AsyncRpcClient

REPO = Path(__file__).resolve().parents[1]
STACK_DIRS = ("e2e", "integration")


def pytest_collection_modifyitems(items):
    for item in items:
        if any(f"tests/{d}/" in str(item.fspath) for d in STACK_DIRS):
            item.add_marker(pytest.mark.integration)


def _stack(command: str) -> int:
    return subprocess.run([sys.executable, "-m", "ops.stack", command], cwd=REPO,
                          stdout=subprocess.DEVNULL if command == "status" else None).returncode


@pytest.fixture(scope="session")
def stack():
    """The running stack's config; starts the stack for this run if needed."""
    started_here = False
    if _stack("status") != 0:
        assert _stack("up") == 0, "the stack did not come up: see var/log/"
        started_here = True
    yield get_config()
    if started_here:
        _stack("down")


@pytest.fixture(scope="session")
def base_url(stack) -> str:
    return f"http://{stack['stack.host']}:{stack['traefik.port']}"


@pytest.fixture(scope="session")
async def system(stack):
    """Nameko RPC as the system (what an admin's `nameko shell` does), for setting
    up people with roles that registration alone cannot give."""
    client = await AsyncRpcClient(stack["amqp.uri"], name="tests").connect()
    yield client
    await client.close()
