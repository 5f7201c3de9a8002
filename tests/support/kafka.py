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


class LogReader:
    """A consumer outside any group, assigned every partition of ``topics``; kept
    open, it answers each question in milliseconds rather than the half second
    connecting takes. ``async with LogReader(bootstrap) as reader: ...``"""

    def __init__(self, bootstrap: str, topics=TOPICS):
        self.bootstrap, self.topics = bootstrap, tuple(topics)
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                         enable_auto_commit=False)
        self.partitions: list[TopicPartition] = []

    async def __aenter__(self) -> "LogReader":
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics(list(self.topics))
        finally:
            await admin.close()
        self.partitions = [TopicPartition(t["topic"], p["partition"])
                           for t in described for p in t["partitions"]]
        await self.consumer.start()
        self.consumer.assign(self.partitions)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.consumer.stop()

    async def ends(self) -> Offsets:
        """The end offset of every partition now."""
        return await self.consumer.end_offsets(self.partitions)

    async def records_since(self, since: Offsets, keys: set[str]) -> list[tuple]:
        """(topic, envelope) of every record keyed by one of ``keys`` (channel ids)
        from ``since`` up to the log end as it is now, in log order per partition."""
        ends, wanted = await self.ends(), {key.encode() for key in keys}
        for tp, offset in since.items():
            self.consumer.seek(tp, offset)
        found = []
        while any([await self.consumer.position(tp) < ends[tp] for tp in since]):
            for tp, records in (await self.consumer.getmany(*since, timeout_ms=1000)).items():
                found += [(tp.topic, json.loads(r.value)) for r in records
                          if r.offset < ends[tp] and r.key in wanted]
        return found


async def log_ends(bootstrap: str, topics=TOPICS) -> Offsets:
    """The end offset of every partition of ``topics`` now."""
    async with LogReader(bootstrap, topics) as reader:
        return await reader.ends()


async def records_since(bootstrap: str, since: Offsets, keys: set[str]) -> list[tuple]:
    """:meth:`LogReader.records_since` with a reader of its own."""
    async with LogReader(bootstrap, {tp.topic for tp in since}) as reader:
        return await reader.records_since(since, keys)


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
