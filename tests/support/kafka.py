"""Reading Parley's Kafka topics in tests: by offsets, not by consumer groups, so a
test sees exactly what was written after a point it chose, and setting a consumer
group's committed offsets (what a crashed consumer restarts from)."""
from __future__ import annotations

import json

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from services.common.events import TOPICS

Offsets = dict[TopicPartition, int]


async def log_ends(bootstrap: str, topics=TOPICS) -> Offsets:
    """The end offset of every partition of ``topics`` now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions = [TopicPartition(t["topic"], p["partition"])
                  for t in described for p in t["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        return await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def records_since(bootstrap: str, since: Offsets, keys: set[str]) -> list[tuple]:
    """(topic, envelope) of every record keyed by one of ``keys`` (channel ids) from
    ``since`` up to the log end as it is now, in log order per partition."""
    ends = await log_ends(bootstrap, {tp.topic for tp in since})
    wanted = {key.encode() for key in keys}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(since))
        for tp, offset in since.items():
            consumer.seek(tp, offset)
        found = []
        while any([await consumer.position(tp) < ends[tp] for tp in since]):
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                found += [(tp.topic, json.loads(r.value)) for r in records
                          if r.offset < ends[tp] and r.key in wanted]
        return found
    finally:
        await consumer.stop()


async def rewind(bootstrap: str, group: str, offsets: Offsets) -> bool:
    """Commit ``offsets`` for ``group``, whose consumers must be stopped: what a
    consumer that applied records but died before committing restarts from. False
    while the group still has a member (one that died stays until its session ends)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
        return True
    except KafkaError:
        return False
    finally:
        await consumer.stop()


async def committed_up_to(bootstrap: str, group: str, ends: Offsets) -> bool:
    """Whether ``group`` has committed at least ``ends`` on each of those partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return all(tp in committed and committed[tp].offset >= end for tp, end in ends.items())
