"""The walking skeleton: one real path through every component, through Traefik.

Two people sign up, share a channel, connect their sockets; Ann sends a message
that Bob receives live; the Kafka consumers of the users and channels services
update their state; Ann shares a file that Bob downloads from S3; every process
is scraped by Prometheus and logs JSON."""
from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.client import Person, eventually, http, unique_email


@pytest.fixture
async def ann_and_bob(base_url):
    ann = await Person(base_url, unique_email("ann")).sign_up()
    bob = await Person(base_url, unique_email("bob")).sign_up()
    created = await ann.call("POST", "/channels", {"name": f"skeleton-{uuid.uuid4().hex[:8]}"})
    assert created.status == 201, created.body
    channel = created.body
    joined = await bob.call("POST", f"/channels/{channel['id']}/join")
    assert joined.status == 200 and joined.body["joined"] is True
    yield ann, bob, channel
    ann.close()
    bob.close()


async def test_message_travels_from_ann_to_bob_and_through_kafka(ann_and_bob):
    ann, bob, channel = ann_and_bob

    # 3. both connect; presence marks both online in Redis
    hello = await ann.connect()
    assert hello["user_id"] == ann.user_id and hello["protocol"] == 1
    await bob.connect()
    presence = await ann.call("GET", f"/presence?user_ids={ann.user_id},{bob.user_id}")
    assert {u: p["status"] for u, p in presence.body.items()} == {
        ann.user_id: "online", bob.user_id: "online"}

    # 4. Ann sends with a client id; she gets an ack, Bob gets the message live
    ack = await ann.request({"type": "send", "channel_id": channel["id"],
                             "client_msg_id": "c-1", "text": "hello Bob"})
    assert ack["type"] == "ack", ack
    message = ack["message"]
    assert message["seq"] == 1 and message["text"] == "hello Bob"
    live = await bob.next_frame(lambda f: f["type"] == "message.created")
    assert live["data"]["id"] == message["id"] and live["data"]["seq"] == 1

    # ... and sending the same client id again stores nothing new
    again = await ann.request({"type": "send", "channel_id": channel["id"],
                               "client_msg_id": "c-1", "text": "hello Bob"})
    assert again["message"]["id"] == message["id"]
    history = await bob.call("GET", f"/channels/{channel['id']}/messages")
    assert [m["id"] for m in history.body] == [message["id"]]

    # 5. Kafka consumers: Bob's unread count (users) and the channel's activity (channels)
    async def bob_has_one_unread():
        unread = (await bob.call("GET", "/me/unread")).body
        return unread.get(channel["id"], {}).get("unread") == 1

    async def channel_saw_activity():
        got = (await ann.call("GET", f"/channels/{channel['id']}")).body
        return got["last_message_seq"] == 1 and got["last_activity_at"] is not None

    await eventually(bob_has_one_unread)
    await eventually(channel_saw_activity)
    ann_unread = (await ann.call("GET", "/me/unread")).body
    assert ann_unread.get(channel["id"], {}).get("unread", 0) == 0  # own messages don't count

    # reading resets the count
    read = await bob.call("POST", f"/channels/{channel['id']}/read", {"seq": 1})
    assert read.status == 200 and read.body["unread"] == 0


async def test_file_goes_up_through_the_gateway_and_down_by_presigned_url(ann_and_bob, stack):
    ann, bob, channel = ann_and_bob
    content = b"quarterly numbers\n" * 100
    uploaded = await ann.call("POST", "/files?filename=report.txt", raw=content,
                              headers={"Content-Type": "text/plain"})
    assert uploaded.status == 201, uploaded.body
    file_id = uploaded.body["id"]
    assert uploaded.body["size"] == len(content) and uploaded.body["status"] == "ready"

    # Bob cannot see it until it is shared in a channel he is in
    assert (await bob.call("GET", f"/files/{file_id}")).status == 404
    sent = await ann.call("POST", f"/channels/{channel['id']}/messages",
                          {"client_msg_id": "with-file", "text": "see attached",
                           "attachments": [file_id]})
    assert sent.status == 201, sent.body
    assert sent.body["attachments"][0]["id"] == file_id

    link = await bob.call("GET", f"/files/{file_id}")
    assert link.status == 200, link.body
    url = link.body["url"]
    assert parse_qs(urlparse(url).query)["X-Amz-Expires"] == [str(stack["s3.presign_seconds"])]
    downloaded = await http("GET", url)
    assert downloaded.status == 200 and downloaded.body == content

    tampered = url.replace("X-Amz-Expires=", "X-Amz-Expires=9")
    assert (await http("GET", tampered)).status == 403


async def test_every_process_is_scraped_by_prometheus(stack):
    from ops.stack.programs import metrics_targets

    expected = {job for job in metrics_targets()}
    prometheus = f"http://{stack['stack.host']}:{stack['prometheus.port']}"

    async def all_targets_up():
        targets = (await http("GET", f"{prometheus}/api/v1/targets")).body["data"]["activeTargets"]
        up = {t["labels"]["job"] for t in targets if t["health"] == "up"}
        down = [t["scrapeUrl"] for t in targets if t["health"] != "up"]
        return expected <= up and not down

    await eventually(all_targets_up, timeout=60, interval=1)
    query = await http("GET", f"{prometheus}/api/v1/query?query=parley_rpc_calls_total")
    assert query.body["data"]["result"], "services export RPC metrics"

    async def consumer_lag_exported():
        lag = await http("GET", f"{prometheus}/api/v1/query?query=parley_consumer_lag_records")
        groups = {r["metric"]["group"] for r in lag.body["data"]["result"]}
        return {"parley-users", "parley-channels"} <= groups

    await eventually(consumer_lag_exported, timeout=30, interval=1)


def test_logs_are_structlog_json(stack):
    for name in ("gateway-8101", "messaging-1", "outbox-relay", "users-consumer"):
        lines = [line for line in (stack.var_dir / "log" / f"{name}.log").read_text().splitlines()
                 if line.strip()]
        assert lines, f"{name} logged nothing"
        for line in lines:
            event = json.loads(line)
            assert {"event", "timestamp", "level", "service"} <= event.keys(), line


async def test_bad_input_gets_a_stable_code_and_changes_nothing(ann_and_bob):
    ann, _, channel = ann_and_bob
    empty = await ann.call("POST", f"/channels/{channel['id']}/messages",
                           {"client_msg_id": "x", "text": "   "})
    assert empty.status == 400 and empty.body["error"]["code"] == "invalid_input"
    not_json = await ann.call("POST", "/channels", raw=b"{nope")
    assert not_json.status == 400 and not_json.body["error"]["code"] == "invalid_input"
    no_token = await http("GET", f"{ann.api}/me")
    assert no_token.status == 401 and no_token.body["error"]["code"] == "unauthenticated"
    history = await ann.call("GET", f"/channels/{channel['id']}/messages")
    assert history.body == []
    outsider = await Person(ann.base_url, unique_email("eve")).sign_up()
    denied = await outsider.call("POST", f"/channels/{channel['id']}/messages",
                                 {"client_msg_id": "y", "text": "hi"})
    assert denied.status == 403 and denied.body["error"]["code"] == "forbidden"
    assert (await ann.call("GET", f"/channels/{channel['id']}/messages")).body == []
