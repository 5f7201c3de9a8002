"""services/common/rpc_entrypoint.py: a reply that cannot be published (RabbitMQ
gone) is logged and the worker ends normally, instead of ending the whole service;
the request is left unacknowledged for RabbitMQ to give again."""
from __future__ import annotations

import importlib
import inspect
from types import SimpleNamespace

import pytest
import structlog
from kombu.exceptions import OperationalError
from nameko import rpc as nameko_rpc

from services.common import rpc_entrypoint
from services.common.catalog import SERVICES


def request(routing_key="users.get"):
    return SimpleNamespace(delivery_info={"routing_key": routing_key}, acked=False)


def publishing(monkeypatch, outcome):
    """Nameko's own handle_result (publish the reply, then acknowledge), scripted."""
    def handle_result(self, message, result, exc_info):
        if isinstance(outcome, BaseException):
            raise outcome
        message.acked = True
        return result, exc_info
    monkeypatch.setattr(nameko_rpc.RpcConsumer, "handle_result", handle_result)


def test_a_reply_published_is_acknowledged_as_nameko_does(monkeypatch):
    publishing(monkeypatch, "published")
    message = request()
    assert rpc_entrypoint.RpcConsumer().handle_result(message, {"ok": 1}, None) == (
        {"ok": 1}, None)
    assert message.acked


@pytest.mark.parametrize("gone", [OperationalError("[Errno 111] ECONNREFUSED"),
                                  ConnectionRefusedError(111, "ECONNREFUSED")])
def test_a_reply_lost_with_the_broker_is_logged_and_the_request_left_unacknowledged(
        monkeypatch, gone):
    publishing(monkeypatch, gone)
    message = request("messaging.send")
    with structlog.testing.capture_logs() as logs:
        answer = rpc_entrypoint.RpcConsumer().handle_result(message, {"id": "m1"}, None)
    assert answer == ({"id": "m1"}, None) and not message.acked
    assert [(e["event"], e["routing_key"]) for e in logs] == [
        ("rpc_reply_lost", "messaging.send")]


def test_any_other_failure_of_the_reply_still_fails_the_worker(monkeypatch):
    publishing(monkeypatch, TypeError("not serialisable"))
    with pytest.raises(TypeError):
        rpc_entrypoint.RpcConsumer().handle_result(request(), object(), None)


@pytest.mark.parametrize("name", SERVICES)
def test_every_rpc_of_every_service_answers_through_this_entrypoint(name):
    service = importlib.import_module(f"services.{name}.service").Service
    rpcs = [e for _, method in inspect.getmembers(service, callable)
            for e in getattr(method, "nameko_entrypoints", ())
            if isinstance(e, nameko_rpc.Rpc)]
    assert len(rpcs) > 1 and {type(e) for e in rpcs} == {rpc_entrypoint.Rpc}
    assert isinstance(rpc_entrypoint.Rpc.rpc_consumer, rpc_entrypoint.RpcConsumer)
