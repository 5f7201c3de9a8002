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
    """The running stack's config. Starts whatever is not running; stops the stack
    at the end only if no stack was running when the session began."""
    from ops.stack import supervisor

    started_here = not supervisor.running()  # stop at the end only what this run started
    if _stack("status") != 0:  # not running, or some program is not healthy
        assert _stack("up") == 0, "the stack did not come up: see var/log/"
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
