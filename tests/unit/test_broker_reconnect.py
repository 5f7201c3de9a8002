"""A lost RabbitMQ is tried again every ``amqp.reconnect_seconds``: by the services'
Nameko consumers (services/common/runner.py, where kombu's default waits 2, 4, 6, 8…
up to 30 s between tries) and by the gateways' aio-pika connections (5 s by default).
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from services.common.config import get_config
from services.common.rpc_client import reconnect_seconds


def test_the_gateways_try_again_every_configured_second():
    assert reconnect_seconds() == float(get_config()["amqp.reconnect_seconds"]) == 1.0


def test_a_services_consumer_tries_a_lost_broker_again_at_the_same_short_interval():
    # in a process of its own: runner.py monkey-patches everything for eventlet
    probe = textwrap.dedent("""
        import json
        from kombu import Connection
        from services.common import runner

        runner.reconnect_quickly(0.05)
        waits = []

        class Consumer:   # the parts of nameko's QueueConsumer that reconnecting uses
            connect_max_retries = 3
            def create_connection(self):
                return Connection("amqp://guest:guest@127.0.0.1:1//", connect_timeout=1)
            def on_connection_error(self, exc, interval):
                waits.append(interval)
        try:
            with runner.QueueConsumer.establish_connection(Consumer()):
                pass
        except Exception as exc:
            print(json.dumps({"waits": waits, "gave_up": type(exc).__name__}))
    """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip().splitlines()[-1] == \
        '{"waits": [0.05, 0.05, 0.05], "gave_up": "OperationalError"}'


def test_a_service_that_nameko_ends_on_an_error_logs_one_json_line_and_exits_1():
    """The container ended (say a managed thread failed): the process says why in the
    structlog JSON of every other line, not in a bare traceback, and exits 1 for
    supervisord to start it again."""
    probe = textwrap.dedent("""
        from services.common import runner

        def ended(services, config):
            raise ConnectionRefusedError(111, "ECONNREFUSED")
        runner.run = ended
        runner.main(["search", "--instance", "1"])
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]   # every line is JSON
    assert done.returncode == 1
    assert [e["event"] for e in events][-1] == "service_ended_on_error"
    assert "ECONNREFUSED" in events[-1]["exception"] and events[-1]["service"] == "search"
