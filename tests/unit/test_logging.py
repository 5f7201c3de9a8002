"""services/common/logging.py: every line JSON; refusals are not logged as failures."""
from __future__ import annotations

import io
import json
import logging

import pytest

from services.common.errors import Forbidden, RemoteError
from services.common.logging import configure_logging


@pytest.fixture
def lines(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure_logging("tests", "tests-1")
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().handlers[:] = []


def fail_in_a_worker(exc: Exception) -> None:
    try:
        raise exc
    except Exception:
        logging.getLogger("nameko.containers").exception("error handling worker %s: %s",
                                                         "<ctx>", exc)


def test_a_refusal_in_a_worker_is_one_info_line_without_a_traceback(lines):
    fail_in_a_worker(Forbidden("not yours"))
    (line,) = lines()
    assert line["level"] == "info"
    assert line["event"] == "worker refused: forbidden (not yours)"
    assert "exception" not in line and line["service"] == "tests"


def test_a_real_failure_in_a_worker_keeps_its_error_level_and_traceback(lines):
    fail_in_a_worker(RemoteError("KeyError", "'x'"))
    (line,) = lines()
    assert line["level"] == "error"
    assert "Traceback" in line["exception"]
