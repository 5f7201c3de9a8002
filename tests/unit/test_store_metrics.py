"""services/common/store_metrics.py: every operation on a store leaves one sample in
``parley_store_operation_duration_seconds{store, operation}``, and one that fails
counts in ``parley_store_errors_total``, whatever code made the call."""
from __future__ import annotations

from types import SimpleNamespace

import boto3
import fakeredis
import pytest
import redis
from botocore.stub import Stubber
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from services.common import store_metrics
from services.common.store_metrics import MongoTimer, TimedAsyncRedis, TimedRedis


def samples(store: str, operation: str) -> float:
    return REGISTRY.get_sample_value("parley_store_operation_duration_seconds_count",
                                     {"store": store, "operation": operation}) or 0.0


def errors(store: str, operation: str) -> float:
    return REGISTRY.get_sample_value("parley_store_errors_total",
                                     {"store": store, "operation": operation}) or 0.0


class Counted:
    """Samples and errors of one store operation, before and after a block."""

    def __init__(self, store: str, operation: str):
        self.key = (store, operation)
        self.samples = self.errors = 0.0

    def __enter__(self):
        self._before = samples(*self.key), errors(*self.key)
        return self

    def __exit__(self, *exc):
        self.samples = samples(*self.key) - self._before[0]
        self.errors = errors(*self.key) - self._before[1]


# -- PostgreSQL (SQLAlchemy's events are the same on any engine: SQLite here) -------------
@pytest.fixture
def engine():
    store_metrics.time_postgres()
    store_metrics.time_postgres()   # idempotent: still one sample per statement
    engine = create_engine("sqlite://")
    yield engine
    engine.dispose()


@pytest.mark.parametrize("statement, verb", [
    ("SELECT 1", "select"), ("  (SELECT 1)", "select"), ("insert into t values (1)", "insert"),
    ("UPDATE t SET a = 1", "update"), ("DELETE FROM t", "delete"),
    ("CREATE TABLE t (a int)", "other"), ("WITH x AS (SELECT 1) SELECT * FROM x", "other"),
    (None, "commit")])
def test_a_statement_is_labelled_by_its_verb_never_by_its_text(statement, verb):
    assert store_metrics.sql_operation(statement) == verb


def test_a_statement_is_timed_once_and_a_failing_one_counts_as_an_error(engine):
    with engine.connect() as conn, Counted("postgres", "select") as selects:
        conn.execute(text("SELECT 1"))
        with pytest.raises(OperationalError):
            conn.execute(text("SELECT * FROM no_such_table"))
    assert (selects.samples, selects.errors) == (2, 1)


def test_a_sessions_commit_is_timed(engine):
    with Session(engine) as session, Counted("postgres", "commit") as commits:
        session.execute(text("SELECT 1"))
        session.commit()
    assert (commits.samples, commits.errors) == (1, 0)


# -- MongoDB (pymongo's command events, as its monitoring delivers them) ------------------
def test_mongo_commands_are_timed_by_pymongos_own_duration():
    timer = MongoTimer()
    with Counted("mongo", "find") as finds, Counted("mongo", "other") as others:
        timer.succeeded(SimpleNamespace(command_name="find", duration_micros=1500))
        timer.failed(SimpleNamespace(command_name="find", duration_micros=900))
        timer.succeeded(SimpleNamespace(command_name="someNewCommand", duration_micros=10))
    assert (finds.samples, finds.errors) == (2, 1)
    assert (others.samples, others.errors) == (1, 0)   # unknown commands: one bounded label


# -- Redis --------------------------------------------------------------------------------
def fake_pool(cls=redis.ConnectionPool, connection=fakeredis.FakeConnection):
    return cls(connection_class=connection, server=fakeredis.FakeServer())


def test_redis_commands_are_timed_by_name_and_a_refused_one_counts_as_an_error():
    client = TimedRedis(connection_pool=fake_pool(), decode_responses=True)
    with Counted("redis", "set") as sets, Counted("redis", "incrby") as incrs:
        client.set("word", "not a number")
        with pytest.raises(redis.ResponseError):
            client.incrby("word", 2)
    assert (sets.samples, sets.errors) == (1, 0)
    assert (incrs.samples, incrs.errors) == (1, 1)


def test_a_redis_pipeline_is_one_timed_operation():
    client = TimedRedis(connection_pool=fake_pool(), decode_responses=True)
    with Counted("redis", "pipeline") as pipelines, Counted("redis", "sadd") as sadds:
        with client.pipeline() as pipe:
            pipe.sadd("people", "ada")
            pipe.scard("people")
            assert pipe.execute() == [1, 1]
    assert (pipelines.samples, sadds.samples) == (1, 0)


async def test_the_asyncio_redis_client_is_timed_too():
    client = TimedAsyncRedis(connection_pool=fake_pool(redis.asyncio.ConnectionPool,
                                                       fakeredis.FakeAsyncConnection))
    with Counted("redis", "get") as gets, Counted("redis", "pipeline") as pipelines:
        assert await client.get("missing") is None
        async with client.pipeline() as pipe:
            pipe.get("missing")
            assert await pipe.execute() == [None]
    assert (gets.samples, pipelines.samples) == (1, 1)


@pytest.mark.parametrize("command, label", [("GET", "get"), (b"EVALSHA", "evalsha"),
                                            ("CLIENT SETNAME", "client"), ("x-1", "other")])
def test_a_redis_command_is_labelled_by_its_name(command, label):
    assert store_metrics.redis_operation(command) == label


# -- S3 (botocore's Stubber answers in place of the server) -------------------------------
@pytest.fixture
def s3():
    client = boto3.client("s3", region_name="us-east-1", endpoint_url="http://s3.invalid",
                          aws_access_key_id="key", aws_secret_access_key="secret")
    store_metrics.time_s3(client)
    with Stubber(client) as stubber:
        yield client, stubber


def test_s3_calls_are_timed_by_verb_and_a_server_error_counts(s3):
    client, stubber = s3
    stubber.add_response("put_object", {}, {"Bucket": "b", "Key": "k", "Body": b"x"})
    stubber.add_client_error("head_object", "InternalError", http_status_code=500)
    with Counted("s3", "put") as puts, Counted("s3", "head") as heads:
        client.put_object(Bucket="b", Key="k", Body=b"x")
        with pytest.raises(client.exceptions.ClientError):
            client.head_object(Bucket="b", Key="k")
    assert (puts.samples, puts.errors) == (1, 0)
    assert (heads.samples, heads.errors) == (1, 1)


def test_an_object_that_is_not_there_is_an_answer_not_an_s3_error(s3):
    client, stubber = s3
    stubber.add_client_error("get_object", "NoSuchKey", http_status_code=404)
    with Counted("s3", "get") as gets:
        with pytest.raises(client.exceptions.NoSuchKey):
            client.get_object(Bucket="b", Key="gone")
    assert (gets.samples, gets.errors) == (1, 0)


@pytest.mark.parametrize("operation, verb", [
    ("PutObject", "put"), ("GetObject", "get"), ("HeadObject", "head"),
    ("DeleteObjects", "delete"), ("ListObjectsV2", "list"), ("UploadPart", "put"),
    ("CreateBucket", "create"), ("GetBucketPolicy", "get"), ("RestoreObject", "other")])
def test_an_s3_operation_is_labelled_by_its_verb(operation, verb):
    assert store_metrics.s3_operation(operation) == verb
