"""``publish.many`` against the real RabbitMQ, in a process patched for eventlet as a
service's is (services/common/runner.py): many events travel as one bundle, routed by
the ``CC`` header to every queue bound to any of its keys, once per queue, and to no
other queue."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import eventlet
    eventlet.monkey_patch()

    import json, time, uuid
    from kombu import Connection, Exchange, Queue, binding
    from nameko.amqp.publish import Publisher
    from services.common.config import get_config
    from services.common.dependencies import RealtimePublish
    from services.common.events import REALTIME_EXCHANGE, UnreadChanged

    uri = get_config()["amqp.uri"]
    exchange = Exchange(REALTIME_EXCHANGE, type="topic", durable=True)
    tag = uuid.uuid4().hex[:8]
    keys = [f"user.probe-{tag}-{i}" for i in range(60)]
    bound_to = {"first-half": keys[:30], "second-half": keys[30:], "none": [f"user.other-{tag}"]}

    class Worker:
        data = {"request_id": f"probe-{tag}"}

    with Connection(uri) as connection:
        queues = {}
        for name, their_keys in bound_to.items():
            queue = Queue(f"probe-{tag}-{name}", exclusive=True, auto_delete=True,
                          bindings=[binding(exchange, routing_key=key) for key in their_keys])
            queues[name] = queue(connection.channel())
            queues[name].declare()
        publisher = Publisher(uri, exchange=exchange, declare=[exchange], use_confirms=True,
                              serializer="json")
        RealtimePublish(publisher, Worker()).many(
            (key, UnreadChanged(data={"channel_id": "c", "unread": i, "mentions": 0,
                                      "read_seq": 0, "counted_seq": 0}))
            for i, key in enumerate(keys))
        time.sleep(1)
        received = {}
        for name, queue in queues.items():
            received[name] = []
            while (message := queue.get(no_ack=True)) is not None:
                received[name].append({"type": message.properties.get("type"),
                                       "body": json.loads(message.body)})
        print(json.dumps({"keys": keys, "received": received, "tag": tag}))
""")


def test_a_bundle_reaches_each_queue_bound_to_any_of_its_keys_once(stack):
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    keys, received = result["keys"], result["received"]
    assert received["none"] == []
    for half in ("first-half", "second-half"):
        [message] = received[half]
        assert message["type"] == "parley.bundle"
        assert [(item["keys"], item["event"]["data"]["unread"], item["event"]["request_id"])
                for item in message["body"]] \
            == [([key], i, f"probe-{result['tag']}") for i, key in enumerate(keys)]
