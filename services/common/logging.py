"""structlog JSON logging, one event per line, for every Parley process.

Standard-library loggers (Nameko, kombu, Tornado, aiokafka) are routed through the
same renderer so that each line carries ``service`` and ``instance``. A request id
bound with :func:`bind_request_id` appears on every line logged while handling it.
"""
from __future__ import annotations

import logging
import sys

import structlog

_shared_processors = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
    structlog.processors.format_exc_info,
]


def configure_logging(service: str, instance: str = "", level: str = "INFO") -> None:
    def add_identity(logger, method_name, event_dict):
        # Not a context variable: every thread and greenlet must carry it.
        event_dict.setdefault("service", service)
        event_dict.setdefault("instance", instance or service)
        return event_dict

    processors = [add_identity, *_shared_processors]
    structlog.configure(
        processors=[*processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=processors,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings become JSON log lines too
    for noisy in ("kombu", "amqp", "aiormq", "aio_pika", "aiokafka", "botocore", "urllib3",
                  "tornado.access", "pymongo", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    containers = logging.getLogger("nameko.containers")
    if not any(isinstance(f, ClientErrorsAreNotFailures) for f in containers.filters):
        containers.addFilter(ClientErrorsAreNotFailures())
    structlog.contextvars.clear_contextvars()


class ClientErrorsAreNotFailures(logging.Filter):
    """Nameko logs every exception a worker raises as an error with a traceback.
    A refusal with a 4xx code (bad input, not found, forbidden, ...) is the service
    working as designed: it becomes one info line without a traceback (it is also
    counted by outcome in parley_rpc_calls_total)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .errors import ParleyError  # errors imports nameko; keep logging light

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, ParleyError) and exc.status < 500:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "worker refused: %s (%s)", (exc.code, exc.message)
            record.exc_info = record.exc_text = None
        return True


def bind_request_id(request_id: str | None) -> None:
    structlog.contextvars.bind_contextvars(request_id=request_id)


def get_logger(name: str | None = None):
    return structlog.get_logger(name)
