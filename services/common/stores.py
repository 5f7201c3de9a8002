"""Clients for the stores, built from config: one place for every process.

Free of eventlet and Nameko so that asyncio processes (relay, consumers,
gateway) can use it too; Nameko services wrap these in dependencies.py. Every
client built here is timed (store_metrics.py), so every store operation of every
process counts in ``parley_store_operation_duration_seconds``.
"""
from __future__ import annotations

import boto3
import pymongo
import redis.asyncio
import redis.asyncio.retry
import redis.exceptions
from botocore.config import Config as BotoConfig
from redis.backoff import ExponentialBackoff

from .config import get_config
from .store_metrics import MongoTimer, TimedAsyncRedis, TimedRedis, time_s3


def mongo_database():
    cfg = get_config()
    client = pymongo.MongoClient(cfg["mongo.uri"], serverSelectionTimeoutMS=5000, tz_aware=True,
                                 event_listeners=[MongoTimer()])
    return client[cfg["mongo.database"]]


def redis_client():
    """redis-py's own pool: it checks a connection for a close by Redis before lending
    it, so a Redis restart costs no command."""
    return TimedRedis.from_url(get_config()["redis.url"], decode_responses=True,
                               socket_timeout=5)


ASYNC_REDIS_CONNECTIONS = 100   # per process; more callers at once wait for one
ASYNC_REDIS_WAIT = 5.0          # seconds a caller waits for a free connection
# redis.asyncio lends a pooled connection without checking it: one that Redis closed
# (a restart) failed the command it was lent for, a 503 for whoever asked, even
# minutes later for connections idle since. Such a command now reconnects and is tried
# again, twice at most. Every command of the gateway may run twice: reads, expiring
# writes, and token buckets, where a second try costs one token more.
ASYNC_REDIS_RETRIES = 2


def async_redis_client():
    """redis.asyncio, for the asyncio processes (the gateway's session checks). Its
    pool makes a caller wait for a free connection: redis-py's default pool refuses
    the 101st concurrent command with "Too many connections", which in a reconnect
    storm closed over a thousand sockets with 1013 on one gateway."""
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        get_config()["redis.url"], decode_responses=True, socket_timeout=5,
        max_connections=ASYNC_REDIS_CONNECTIONS, timeout=ASYNC_REDIS_WAIT,
        retry=redis.asyncio.retry.Retry(ExponentialBackoff(cap=0.5, base=0.05),
                                        ASYNC_REDIS_RETRIES),
        retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError])
    return TimedAsyncRedis(connection_pool=pool)


def s3_client(endpoint: str | None = None):
    cfg = get_config()
    access_key, secret_key = cfg.s3_credentials()
    client = boto3.client(
        "s3", endpoint_url=endpoint or cfg["s3.endpoint"], region_name=cfg["s3.region"],
        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        config=BotoConfig(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 3}))
    time_s3(client)
    return client
