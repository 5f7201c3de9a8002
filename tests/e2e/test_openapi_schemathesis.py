"""Schemathesis against the OpenAPI spec, on the real stack through Traefik: for
every operation, property-based requests (from the spec's examples, its
boundaries, and random valid and invalid data) sent with a real signed-in person's
token. No answer is a 5xx, and every answer conforms to the spec: a documented
status, content type, headers and body schema; input the spec calls invalid is
refused with a 4xx. Schema-valid input may still be refused with 400
`invalid_input`: the rules that span fields or need the server's knowledge (one of
`before`/`after`/`around`, `after` earlier than `before`, text or an attachment, a
known emoji, a channel name once normalised) are in the spec's prose, not its
schemas, so schemathesis' "valid data is accepted" check is left out.

Bounded: a few examples per operation (and the coverage phase's boundaries only of
invalid input), so the whole run takes under a minute on a busy stack. Left out: the
WebSocket upgrades (`/ws`, whose frames tests/e2e/test_ws_fuzz.py fuzzes, and the Slack
RTM and Socket Mode sockets, which tests/integration/test_slack_*.py drive with the
SDK), `/metrics` (each gateway's own port, not Traefik's) and the two calls that would
end the test's own session (logout, logout-all)."""
from __future__ import annotations

import itertools
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.config import GenerationConfig

MAX_EXAMPLES = 3
PEOPLE = 6                 # tokens used in turn: each person's bucket is 30 requests/s
REQUESTS_PER_SECOND = 150  # under the per-person (6 × 30/s) and per-address (Traefik, 200/s) limits

SPEC = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"
schema = (schemathesis.openapi.from_path(SPEC)
          .exclude(path=["/ws", "/slack/rtm", "/slack/socket-mode", "/metrics"])
          .exclude(path_regex=r"^/api/v1/auth/logout(-all)?$"))
# the coverage phase (boundaries of every parameter) also tries a method each route
# does not have; one is enough to check the 405 and its Allow header
schema.config.phases.coverage.unexpected_methods = {"TRACE"}
# and its boundaries only of invalid input: valid input is what the fuzzing phase
# sends (a coverage phase of both modes takes more than a minute on its own)
schema.config.phases.coverage.generation = GenerationConfig(modes=[GenerationMode.NEGATIVE])


def sign_up(base_url: str) -> str:
    email = f"fuzz-{uuid.uuid4().hex[:12]}@example.com"
    password = "correct horse battery"
    registered = requests.post(f"{base_url}/api/v1/auth/register", timeout=20, json={
        "email": email, "password": password, "display_name": "Fuzz"})
    assert registered.status_code in (200, 201), registered.text
    login = requests.post(f"{base_url}/api/v1/auth/login", timeout=20,
                          json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return login.json()["access_token"]


class Pace:
    """Spaces requests so that the rate limits never answer for the server."""

    def __init__(self, per_second: float):
        self.gap = 1 / per_second
        self.next = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            delay = self.next - now
            self.next = max(now, self.next) + self.gap
        if delay > 0:
            time.sleep(delay)


@pytest.fixture(scope="session")
def tokens(base_url):
    return itertools.cycle([sign_up(base_url) for _ in range(PEOPLE)])


@pytest.fixture(scope="session")
def pace():
    return Pace(REQUESTS_PER_SECOND)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_the_spec_says_and_never_5xx(case, base_url, tokens, pace):
    pace.wait()
    # a case that leaves out the token on purpose (negative data) is sent without it
    headers = ({} if case.operation.schema.is_security_param_negated(case)
               else {"Authorization": f"Bearer {next(tokens)}"})
    case.call_and_validate(base_url=base_url, headers=headers, timeout=20,
                           excluded_checks=[schemathesis.checks.positive_data_acceptance])

