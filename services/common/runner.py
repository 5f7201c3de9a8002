"""`parley-service NAME`: run one instance of a Nameko service.

Like ``nameko run`` but with Parley's configuration and structlog set up first, so
that nothing needs a hand-written YAML per instance. The metrics port is
``services.metrics_base.NAME + --instance`` unless PARLEY_METRICS_PORT is set.
"""
from __future__ import annotations

import warnings

# Nameko 2 runs on eventlet, which warns at import that it is in maintenance mode.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # must precede every other import

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib  # noqa: E402
import os  # noqa: E402

from nameko.cli.run import run  # noqa: E402
from nameko.messaging import QueueConsumer  # noqa: E402

from .config import get_config  # noqa: E402
from .logging import configure_logging, get_logger  # noqa: E402
from .catalog import POSTGRES_SERVICES, SERVICES  # noqa: E402




def nameko_config(service: str, instance: int) -> dict:
    cfg = get_config()
    metrics_port = int(os.environ.get("PARLEY_METRICS_PORT")
                       or cfg["services.metrics_base"][service] + instance)
    config = {
        "AMQP_URI": cfg["amqp.uri"],
        "max_workers": 10,
        "parent_calls_tracked": 10,
        "serializer": "json",
        "PARLEY_METRICS_PORT": metrics_port,
        "PARLEY_METRICS_HOST": cfg["stack.host"],
        "DB_URIS": {f"{name}:Base": cfg.postgres_url(f"parley_{name}")
                    for name in POSTGRES_SERVICES},
        "RPC_TIMEOUT": cfg["amqp.rpc_timeout"],
    }
    return config


def reconnect_quickly(every: float) -> None:
    """A Nameko service's consumers (its entrypoints, its RPC replies) connect to
    RabbitMQ again every ``every`` seconds, where kombu's ConsumerMixin waits 2, 4, 6,
    8… up to 30 s between tries: a RabbitMQ restart of 14 s left every service away
    for 6 s more, answering ``service_unavailable`` meanwhile (`make chaos`). Nameko
    builds its QueueConsumer itself and kombu takes no interval setting for it, so
    this replaces the one method that decides it."""

    @contextlib.contextmanager
    def establish_connection(consumer: QueueConsumer):
        with consumer.create_connection() as connection:
            connection.ensure_connection(consumer.on_connection_error,
                                         consumer.connect_max_retries, interval_start=every,
                                         interval_step=0, interval_max=every)
            yield connection
    QueueConsumer.establish_connection = establish_connection


def service_class(service: str):
    module = importlib.import_module(f"services.{service}.service")
    return module.Service


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--instance", type=int, default=1)
    args = parser.parse_args(argv)
    configure_logging(args.service, f"{args.service}-{args.instance}")
    config = nameko_config(args.service, args.instance)
    reconnect_quickly(float(get_config()["amqp.reconnect_seconds"]))
    log = get_logger(__name__)
    log.info("service_starting", metrics_port=config["PARLEY_METRICS_PORT"])
    try:
        run([service_class(args.service)], config)
    except Exception:   # Nameko ended the container on an error: one JSON log line, not
        log.exception("service_ended_on_error")   # a bare traceback; supervisord restarts
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
