"""Latency and errors of every store operation, measured where the client library
reaches the store, never at call sites: a new query is measured without a line
of its own.

- PostgreSQL: SQLAlchemy's engine events (every statement, by its verb) and
  session events (``commit``, its flush included), for every engine in the process.
- MongoDB: a pymongo command listener on the client ``stores.mongo_database`` builds.
- Redis: the client classes ``stores`` builds time ``execute_command`` (one command)
  and a pipeline's ``execute`` (``pipeline``).
- S3: botocore's ``before-parameter-build`` / ``after-call`` events on the clients
  ``stores`` builds; a 404 is an answer (the object is not there), not a failure.

Series: ``parley_store_operation_duration_seconds{store, operation}`` and
``parley_store_errors_total{store, operation}``; operations are a bounded set of
verbs (``select``, ``find``, ``get``, ``put``, ...), never keys or statements.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator

import redis
import redis.asyncio
from pymongo import monitoring
from redis.exceptions import NoScriptError

from .metrics import STORE_DURATION, STORE_ERRORS


@contextmanager
def timed(store: str, operation: str, ignore: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Observe the block's duration; count it as an error if it raises (except ``ignore``)."""
    started, failed = time.perf_counter(), False
    try:
        yield
    except Exception as exc:
        failed = not isinstance(exc, ignore)
        raise
    finally:
        observe(store, operation, time.perf_counter() - started, failed)


def observe(store: str, operation: str, seconds: float, failed: bool = False) -> None:
    """One operation timed by the client library itself. Its error series exists
    from the first operation on (at 0), so that an error ratio reads 0, not nothing."""
    STORE_DURATION.labels(store, operation).observe(seconds)
    errors = STORE_ERRORS.labels(store, operation)
    if failed:
        errors.inc()


# -- PostgreSQL ---------------------------------------------------------------------------
SQL_VERBS = frozenset({"select", "insert", "update", "delete"})
_STARTED = "parley_store_started"
_postgres_lock = threading.Lock()


def sql_operation(statement: str | None) -> str:
    """``select``, ``insert``, ``update``, ``delete``, or ``other`` (DDL, SET, WITH …);
    ``commit`` for a failure outside any statement (SQLAlchemy reports none)."""
    if statement is None:
        return "commit"
    words = statement.lstrip(" (\n\t").split(None, 1)
    verb = words[0].lower() if words else ""
    return verb if verb in SQL_VERBS else "other"


def time_postgres() -> None:
    """Listen on every SQLAlchemy engine and session of this process (idempotent)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    with _postgres_lock:
        if event.contains(Engine, "before_cursor_execute", _before_statement):
            return
        event.listen(Engine, "before_cursor_execute", _before_statement)
        event.listen(Engine, "after_cursor_execute", _after_statement)
        event.listen(Engine, "handle_error", _statement_failed)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _forget_commit)


def _before_statement(conn, cursor, statement, parameters, context, executemany):
    conn.info[_STARTED] = time.perf_counter()   # one statement at a time per connection


def _after_statement(conn, cursor, statement, parameters, context, executemany):
    started = conn.info.pop(_STARTED, None)
    if started is not None:
        observe("postgres", sql_operation(statement), time.perf_counter() - started)


def _statement_failed(context):
    try:
        started = context.connection.info.pop(_STARTED, None)
    except Exception:   # noqa: BLE001 - no connection (connecting failed) or not usable
        started = None
    operation = sql_operation(context.statement)
    if started is not None:
        observe("postgres", operation, time.perf_counter() - started, failed=True)
    else:   # outside a statement: a commit, or the connection itself
        STORE_ERRORS.labels("postgres", operation).inc()


def _before_commit(session):
    session.info[_STARTED] = time.perf_counter()


def _after_commit(session):
    started = session.info.pop(_STARTED, None)
    if started is not None:
        observe("postgres", "commit", time.perf_counter() - started)


def _forget_commit(session, previous_transaction):
    session.info.pop(_STARTED, None)


# -- MongoDB ------------------------------------------------------------------------------
MONGO_COMMANDS = frozenset({
    "find", "insert", "update", "delete", "findAndModify", "aggregate", "getMore", "count",
    "distinct", "createIndexes", "listIndexes", "dropIndexes", "killCursors", "ping",
    "listCollections", "create", "drop", "endSessions"})


class MongoTimer(monitoring.CommandListener):
    """Every command a MongoClient runs, timed by pymongo itself (``duration_micros``)."""

    def started(self, event):
        pass

    def succeeded(self, event):
        observe("mongo", mongo_operation(event.command_name), event.duration_micros / 1e6)

    def failed(self, event):
        observe("mongo", mongo_operation(event.command_name), event.duration_micros / 1e6,
                failed=True)


def mongo_operation(command_name: str) -> str:
    return command_name if command_name in MONGO_COMMANDS else "other"


# -- Redis --------------------------------------------------------------------------------
def redis_operation(command: object) -> str:
    """The command's name, lower case (``get``, ``hset``, ``evalsha``): Redis's own
    command table bounds it. ``CLIENT SETNAME`` counts as ``client``."""
    name = command.decode() if isinstance(command, bytes) else str(command)
    name = name.split(" ", 1)[0].lower()
    return name if name.isalpha() and len(name) <= 24 else "other"


class TimedRedis(redis.Redis):
    """redis.Redis whose commands and pipelines are timed."""

    def execute_command(self, *args, **options):
        with timed("redis", redis_operation(args[0]), ignore=(NoScriptError,)):
            return super().execute_command(*args, **options)

    def pipeline(self, transaction=True, shard_hint=None):
        return TimedPipeline(self.connection_pool, self.response_callbacks, transaction,
                             shard_hint)


class TimedPipeline(redis.client.Pipeline):
    def execute(self, raise_on_error: bool = True):
        with timed("redis", "pipeline"):
            return super().execute(raise_on_error)


class TimedAsyncRedis(redis.asyncio.Redis):
    """redis.asyncio.Redis whose commands and pipelines are timed (the gateway)."""

    async def execute_command(self, *args, **options):
        with timed("redis", redis_operation(args[0]), ignore=(NoScriptError,)):
            return await super().execute_command(*args, **options)

    def pipeline(self, transaction: bool = True, shard_hint=None):
        return TimedAsyncPipeline(self.connection_pool, self.response_callbacks, transaction,
                                  shard_hint)


class TimedAsyncPipeline(redis.asyncio.client.Pipeline):
    async def execute(self, raise_on_error: bool = True):
        with timed("redis", "pipeline"):
            return await super().execute(raise_on_error)


# -- S3 -----------------------------------------------------------------------------------
S3_VERBS = (("Put", "put"), ("Get", "get"), ("Head", "head"), ("Delete", "delete"),
            ("List", "list"), ("Copy", "copy"), ("Create", "create"), ("Upload", "put"),
            ("Complete", "put"), ("Abort", "delete"))


def s3_operation(operation_name: str) -> str:
    """``PutObject`` → ``put``, ``GetObject`` → ``get``, ``DeleteObjects`` → ``delete``,
    ``ListObjectsV2`` → ``list``, ``HeadBucket`` → ``head``; anything else ``other``."""
    for prefix, verb in S3_VERBS:
        if operation_name.startswith(prefix):
            return verb
    return "other"


def time_s3(client) -> None:
    """Time every API call ``client`` makes (retries included in the call)."""
    events = client.meta.events
    events.register("before-parameter-build.s3", _s3_before)   # emitted for every call
    events.register("after-call.s3", _s3_after)
    events.register("after-call-error.s3", _s3_failed)


def _s3_before(model, context, **_):
    context[_STARTED] = (s3_operation(model.name), time.perf_counter())


def _s3_after(http_response, model, context, **_):
    operation, started = context.pop(_STARTED, (None, None))
    if started is not None:
        status = http_response.status_code
        observe("s3", operation, time.perf_counter() - started,
                failed=status >= 400 and status != 404)


def _s3_failed(exception, context, **_):   # no answer at all: refused, reset, timed out
    operation, started = context.pop(_STARTED, (None, None))
    if started is not None:
        observe("s3", operation, time.perf_counter() - started, failed=True)
