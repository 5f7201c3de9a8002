"""RPC on both sides (services/common/dependencies.py, rpc_client.py): a service
counts its failures by error (``parley_rpc_errors_total``) and its workers in flight
(``parley_rpc_in_flight``); a caller counts a call that got no answer in time as a
``timeout`` (``parley_rpc_client_calls_total``), never as a generic error."""
from __future__ import annotations

import aiormq
import eventlet
import pytest
from prometheus_client import REGISTRY

from services.common import dependencies
from services.common.dependencies import Instrumentation, _TimedServiceProxy
from services.common.errors import NotFound, RpcTimeout, ServiceUnavailable
from services.common.metrics import error_label, outcome_label
from services.common.rpc_client import AsyncRpcClient


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Entrypoint:
    def __init__(self, method_name):
        self.method_name = method_name


class WorkerContext:
    """What Nameko hands a dependency for one worker (hashable, like Nameko's)."""

    def __init__(self, service_name, method_name):
        self.service_name = service_name
        self.entrypoint = Entrypoint(method_name)
        self.data = {"request_id": "req-1"}


@pytest.fixture
def instrumentation() -> Instrumentation:
    provider = Instrumentation()
    provider._started = {}
    return provider


def test_a_worker_is_in_flight_from_its_setup_to_its_teardown(instrumentation):
    worker = WorkerContext("metrics-test", "slow")
    before = value("parley_rpc_in_flight", service="metrics-test")
    instrumentation.worker_setup(worker)
    assert value("parley_rpc_in_flight", service="metrics-test") == before + 1
    instrumentation.worker_result(worker, result={})
    instrumentation.worker_teardown(worker)
    assert value("parley_rpc_in_flight", service="metrics-test") == before


@pytest.mark.parametrize("error, label", [(NotFound("no such channel"), "not_found"),
                                          (KeyError("oops"), "KeyError")])
def test_a_failed_call_counts_by_its_error_code_or_class(instrumentation, error, label):
    worker = WorkerContext("metrics-test", "get")
    labels = {"service": "metrics-test", "method": "get"}
    before = value("parley_rpc_errors_total", **labels, error=label)
    instrumentation.worker_setup(worker)
    instrumentation.worker_result(worker, exc_info=(type(error), error, None))
    instrumentation.worker_teardown(worker)
    assert value("parley_rpc_errors_total", **labels, error=label) == before + 1
    outcome = "not_found" if isinstance(error, NotFound) else "error"
    assert value("parley_rpc_calls_total", **labels, outcome=outcome) >= 1


def test_a_successful_call_is_no_error(instrumentation):
    worker = WorkerContext("metrics-test", "ok_method")
    instrumentation.worker_setup(worker)
    instrumentation.worker_result(worker, result=1)
    instrumentation.worker_teardown(worker)
    assert REGISTRY.get_sample_value("parley_rpc_errors_total", {
        "service": "metrics-test", "method": "ok_method", "error": "KeyError"}) is None


def test_outcomes_and_errors_are_bounded_labels():
    assert outcome_label(None) == "ok"
    assert outcome_label(RpcTimeout("late")) == "timeout"
    assert outcome_label(ValueError("x")) == "error"
    assert error_label(RpcTimeout("late")) == "timeout"
    assert error_label(ValueError("any text")) == "ValueError"


class SilentExchange:
    """A RabbitMQ exchange that takes the request and never answers."""

    async def publish(self, message, routing_key, mandatory):
        pass


async def test_an_asyncio_callers_call_without_an_answer_counts_as_a_timeout():
    client = AsyncRpcClient("amqp://unused", timeout=0.05, name="metrics-test")
    client._exchange = SilentExchange()
    labels = {"service": "metrics-test", "method": "never_answers"}
    before = value("parley_rpc_client_calls_total", **labels, outcome="timeout")
    with pytest.raises(RpcTimeout):
        await client.call("metrics-test", "never_answers")
    assert value("parley_rpc_client_calls_total", **labels, outcome="timeout") == before + 1
    assert value("parley_rpc_client_calls_total", **labels, outcome="error") == 0


class SilentMethod:
    """Nameko's MethodProxy for a callee that never replies."""

    def __init__(self, *args, **kwargs):
        pass

    def call_async(self, *args, **kwargs):
        return self

    def result(self):
        eventlet.sleep(5)


def test_a_services_call_to_another_that_does_not_answer_counts_as_a_timeout(monkeypatch):
    monkeypatch.setattr(dependencies, "MethodProxy", SilentMethod)
    proxy = _TimedServiceProxy(WorkerContext("caller", "x"), "metrics-callee", None, 0.05, {})
    labels = {"service": "metrics-callee", "method": "stuck"}
    before = value("parley_rpc_client_calls_total", **labels, outcome="timeout")
    with pytest.raises(RpcTimeout):
        proxy.stuck()
    assert value("parley_rpc_client_calls_total", **labels, outcome="timeout") == before + 1


class UnreachableExchange:
    """The exchange while RabbitMQ restarts: publishing fails at once."""

    def __init__(self, error):
        self.error = error

    async def publish(self, message, routing_key, mandatory):
        raise self.error


@pytest.mark.parametrize("error", [
    aiormq.exceptions.ChannelInvalidStateError("No active transport in channel"),
    aiormq.exceptions.AMQPConnectionError("connection refused"),
    ConnectionResetError("reset by peer")])
async def test_a_call_while_the_bus_is_unreachable_is_service_unavailable_not_a_bug(error):
    client = AsyncRpcClient("amqp://unused", timeout=0.05, name="metrics-test")
    client._exchange = UnreachableExchange(error)
    with pytest.raises(ServiceUnavailable, match="message bus"):
        await client.call("metrics-test", "anything")
