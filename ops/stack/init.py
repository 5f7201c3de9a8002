"""One-time, idempotent initialisation once the servers answer: databases and
migrations, Kafka topics, the S3 bucket."""
from __future__ import annotations

import asyncio
import subprocess

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from botocore.exceptions import ClientError

from services.common.config import get_config
from services.common.events import TOPICS
from services.common.stores import s3_client

from . import paths


def migrate() -> None:
    subprocess.run([str(paths.VENV_BIN / "parley-migrate")], check=True)


async def _ensure_topics() -> list[str]:
    cfg = get_config()
    admin = AIOKafkaAdminClient(bootstrap_servers=cfg["kafka.bootstrap"])
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in TOPICS if t not in existing]
        if missing:
            await admin.create_topics([NewTopic(t, num_partitions=int(cfg["kafka.partitions"]),
                                                replication_factor=1) for t in missing])
        return missing
    finally:
        await admin.close()


def kafka_topics() -> list[str]:
    return asyncio.run(_ensure_topics())


def s3_bucket() -> None:
    client = s3_client()
    bucket = get_config()["s3.bucket"]
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        client.create_bucket(Bucket=bucket)


STEPS = [("databases and migrations", migrate), ("kafka topics", kafka_topics),
         ("s3 bucket", s3_bucket)]
