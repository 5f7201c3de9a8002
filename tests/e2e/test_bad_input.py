"""Bad input to messaging through the real stack, over REST and the WebSocket.

Each bad request gets a clear error with a stable code (REST: the `{"error": {"code",
"message"}}` envelope; WebSocket: an `error` frame echoing `req_id`), and changes
nothing: every channel's history is the same afterwards, no other member's socket hears
an event, and nothing reaches the event log (Kafka, fed by messaging's outbox). The
gateway goes on serving: a normal send right afterwards works, and it is the only thing
heard and logged. (File uploads are covered with files.)"""
from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from services.common.events import MESSAGE_CREATED, TOPICS
from tests.support.client import Person, eventually, unique_email
from tests.support.kafka import LogReader

TOO_LONG = "x" * 40_001
NO_SUCH_ID = "0" * 24   # a well-formed message id of no message


@dataclass
class Room:
    """ann owns every channel; bob is a member of open and archived; carol is a member
    of nothing. All three have a socket open: ann's and bob's hear their channels."""
    ann: Person
    bob: Person
    carol: Person
    open: str          # public, ann and bob
    other: str         # public, ann only
    private: str       # private, ann only
    archived: str      # public, ann and bob, archived
    message: str       # ann's, in open
    other_message: str     # ann's, in other
    archived_message: str  # ann's, in archived

    @property
    def channels(self) -> tuple[str, ...]:
        return self.open, self.other, self.private, self.archived

    def person(self, name: str) -> Person:
        return getattr(self, name)

    def path(self, template: str) -> str:
        return template.format(**{k: v for k, v in vars(self).items() if isinstance(v, str)},
                               unknown=uuid.uuid4().hex, none=NO_SUCH_ID)


@pytest.fixture(scope="module")
async def room(base_url) -> Room:
    ann, bob, carol = [await Person(base_url, unique_email(n)).sign_up()
                       for n in ("ann", "bob", "carol")]

    async def channel(is_private=False, with_bob=True) -> tuple[str, str]:
        made = await ann.call("POST", "/channels", {"name": f"bad-{uuid.uuid4().hex[:10]}",
                                                    "is_private": is_private})
        assert made.status == 201, made.body
        if with_bob:
            assert (await bob.call("POST", f"/channels/{made.body['id']}/join")).status == 200
        sent = await ann.call("POST", f"/channels/{made.body['id']}/messages",
                              {"client_msg_id": "first", "text": "the first message"})
        assert sent.status == 201, sent.body
        return made.body["id"], sent.body["id"]

    (open_, message), (other, other_message) = await channel(), await channel(with_bob=False)
    private, _ = await channel(is_private=True, with_bob=False)
    archived, archived_message = await channel()
    assert (await ann.call("POST", f"/channels/{archived}/archive")).status == 200
    for person in (ann, bob, carol):
        await person.connect()
    yield Room(ann, bob, carol, open_, other, private, archived, message, other_message,
               archived_message)
    for person in (ann, bob, carol):
        person.close()


async def histories(room: Room) -> list:
    async def history(channel_id):
        for _ in range(20):  # a gateway restarted by someone else answers 502 for a moment
            page = await room.ann.call("GET", f"/channels/{channel_id}/messages?after=0&limit=200")
            if page.status not in (502, 503):
                break
            await asyncio.sleep(0.25)
        assert page.status == 200, page.body
        return page.body

    return list(await asyncio.gather(*(history(c) for c in room.channels)))


async def connected(person: Person) -> None:
    """Reconnect a socket that a gateway restart (someone else's) has dropped."""
    if person._reader is None or person._reader.done():
        await person.connect()


def heard(frames: list[dict]) -> list[tuple]:
    """The message events among ``frames``, as (type, message id)."""
    return [(f["type"], f["data"].get("message_id") or f["data"].get("id"))
            for f in frames if f["type"] in TOPICS]


@pytest.fixture(scope="module")
async def kafka(stack):
    async with LogReader(stack["kafka.bootstrap"]) as reader:
        yield reader


@asynccontextmanager
async def nothing_changes(room: Room, kafka: LogReader):
    for person in (room.ann, room.bob, room.carol):
        await connected(person)
    before, offsets = await histories(room), await kafka.ends()
    frames_before = [(person, len(person.frames)) for person in (room.ann, room.bob)]
    yield
    assert await histories(room) == before
    # the gateway goes on serving: a normal send works ...
    sent = await room.ann.call("POST", f"/channels/{room.open}/messages",
                               {"client_msg_id": uuid.uuid4().hex, "text": "still serving"})
    assert sent.status == 201, sent.body
    normal = sent.body["id"]
    # ... and is all that the members' sockets heard and all that reached Kafka
    for person, seen in frames_before:
        await person.next_frame(lambda f: f["type"] == MESSAGE_CREATED
                                and f["data"]["id"] == normal)
        assert heard(person.frames[seen:]) == [(MESSAGE_CREATED, normal)]

    async def logged():
        records = await kafka.records_since(offsets, set(room.channels))
        return records if any(e["event_id"] == normal for _, e in records) else None

    records = await eventually(logged, timeout=20, interval=0.05)
    assert {(topic, e["event_id"]) for topic, e in records} == {(MESSAGE_CREATED, normal)}


def refused(answer, status: int, code: str) -> str:
    assert answer.status == status, answer.body
    error = answer.body["error"]
    assert set(error) == {"code", "message"} and error["code"] == code and error["message"]
    return error["message"]


MESSAGES = "/channels/{open}/messages"
MESSAGE = "/channels/{open}/messages/{message}"

# id: (who, method, path, JSON body or raw bytes, status, code)
REST_CASES = {
    "text over 40 000 characters": (
        "ann", "POST", MESSAGES, {"client_msg_id": "long", "text": TOO_LONG}, 400, "invalid_input"),
    "an edit over 40 000 characters": (
        "ann", "PATCH", MESSAGE, {"text": TOO_LONG}, 400, "invalid_input"),
    "a body that is not UTF-8": (
        "ann", "POST", MESSAGES, b'{"client_msg_id": "latin1", "text": "caf\xe9"}', 400,
        "invalid_input"),
    "an edit body that is not UTF-8": (
        "ann", "PATCH", MESSAGE, b'{"text": "\xff\xfe"}', 400, "invalid_input"),
    "malformed JSON": (
        "ann", "POST", MESSAGES, b'{"client_msg_id": "m", "text": "hi"', 400, "invalid_input"),
    "JSON nested too deeply": (
        "ann", "POST", MESSAGES, b"[" * 100_000 + b"]" * 100_000, 400, "invalid_input"),
    "a body that is not a JSON object": (
        "ann", "POST", MESSAGES, b'["hi"]', 400, "invalid_input"),
    "text that is not a string": (
        "ann", "POST", MESSAGES, {"client_msg_id": "t", "text": 5}, 400, "invalid_input"),
    "a client_msg_id that is not a string": (
        "ann", "POST", MESSAGES, {"client_msg_id": 5, "text": "hi"}, 400, "invalid_input"),
    "attachments that are not a list": (
        "ann", "POST", MESSAGES, {"client_msg_id": "a", "text": "hi", "attachments": "f1"}, 400,
        "invalid_input"),
    "a thread_parent_id that is not an id": (
        "ann", "POST", MESSAGES, {"client_msg_id": "p", "text": "hi", "thread_parent_id": 7},
        400, "invalid_input"),
    "an edit whose text is not a string": (
        "ann", "PATCH", MESSAGE, {"text": ["hi"]}, 400, "invalid_input"),
    "text that is only blanks": (
        "ann", "POST", MESSAGES, {"client_msg_id": "blank", "text": " \n "}, 400,
        "invalid_input"),
    "text with a NUL character": (
        "ann", "POST", MESSAGES, {"client_msg_id": "nul", "text": "a\u0000b"}, 400,
        "invalid_input"),
    "an edit with a control character": (
        "ann", "PATCH", MESSAGE, {"text": "\u001b[31mred"}, 400, "invalid_input"),
    "an unknown channel": (
        "ann", "POST", "/channels/{unknown}/messages", {"client_msg_id": "u", "text": "hi"},
        404, "not_found"),
    "a non-member, into a private channel": (
        "carol", "POST", "/channels/{private}/messages", {"client_msg_id": "c", "text": "hi"},
        404, "not_found"),
    "a non-member, into a public channel not joined": (
        "carol", "POST", MESSAGES, {"client_msg_id": "c", "text": "hi"}, 403, "forbidden"),
    "a non-member reacting in a public channel": (
        "carol", "PUT", MESSAGE + "/reactions/thumbsup", None, 403, "forbidden"),
    "a send into an archived channel": (
        "ann", "POST", "/channels/{archived}/messages", {"client_msg_id": "ar", "text": "hi"},
        403, "forbidden"),
    "an edit in an archived channel": (
        "ann", "PATCH", "/channels/{archived}/messages/{archived_message}", {"text": "new"},
        403, "forbidden"),
    "a reaction in an archived channel": (
        "bob", "PUT", "/channels/{archived}/messages/{archived_message}/reactions/tada", None,
        403, "forbidden"),
    "a delete in an archived channel": (
        "ann", "DELETE", "/channels/{archived}/messages/{archived_message}", None, 403,
        "forbidden"),
    "an edit of an unknown message": (
        "ann", "PATCH", "/channels/{open}/messages/{none}", {"text": "new"}, 404, "not_found"),
    "a delete of an unknown message": (
        "ann", "DELETE", "/channels/{open}/messages/{none}", None, 404, "not_found"),
    "a reaction to an unknown message": (
        "ann", "PUT", "/channels/{open}/messages/{none}/reactions/thumbsup", None, 404,
        "not_found"),
    "a pin of an unknown message": (
        "ann", "POST", "/channels/{open}/messages/{none}/pin", None, 404, "not_found"),
    "a reply to an unknown message": (
        "ann", "POST", MESSAGES, {"client_msg_id": "r", "text": "hi", "thread_parent_id": NO_SUCH_ID},
        404, "not_found"),
    "a message of another channel, named through this one": (
        "ann", "PATCH", "/channels/{open}/messages/{other_message}", {"text": "new"}, 404,
        "not_found"),
    "a message id that is not an id": (
        "ann", "PATCH", "/channels/{open}/messages/not-an-id", {"text": "new"}, 400,
        "invalid_input"),
    "an emoji that is words": (
        "ann", "PUT", MESSAGE + "/reactions/not%20an%20emoji", None, 400, "invalid_input"),
    "an emoji name too long": (
        "ann", "PUT", MESSAGE + "/reactions/" + "a" * 70, None, 400, "invalid_input"),
    "an emoji that is a letter": (
        "ann", "PUT", MESSAGE + "/reactions/%C3%A9", None, 400, "invalid_input"),
    "an emoji that is not UTF-8": (
        "ann", "PUT", MESSAGE + "/reactions/%FF%FE", None, 400, "invalid_input"),
    "removing an emoji that is not one": (
        "ann", "DELETE", MESSAGE + "/reactions/%3Cscript%3E", None, 400, "invalid_input"),
}


@pytest.mark.parametrize("case", REST_CASES, ids=list(REST_CASES))
async def test_bad_rest_input_is_refused_with_a_stable_code_and_changes_nothing(
        room, kafka, case):
    who, method, path, body, status, code = REST_CASES[case]
    raw = body if isinstance(body, bytes) else None
    async with nothing_changes(room, kafka):
        answer = await room.person(who).call(method, room.path(path),
                                             None if raw is not None else body, raw=raw)
        refused(answer, status, code)


async def test_a_body_that_is_not_utf8_is_refused_saying_so(room):
    answer = await room.ann.call("POST", room.path(MESSAGES), raw=b'{"text": "\xff"}')
    assert "UTF-8" in refused(answer, 400, "invalid_input")


def send(channel: str = "{open}", **fields) -> dict:
    """A send frame (without req_id), with ``fields`` replaced."""
    return {"type": "send", "channel_id": channel, "client_msg_id": "x", "text": "hi", **fields}


def on_message(kind: str, message: str = "{none}", **fields) -> dict:
    return {"type": kind, "channel_id": "{open}", "message_id": message, **fields}


# id: (who, frame without req_id, code)
WS_CASES = {
    "text over 40 000 characters": ("ann", send(text=TOO_LONG), "invalid_input"),
    "a channel_id that is not a string": ("ann", send(channel=5), "invalid_input"),
    "text that is not a string": ("ann", send(text=["hi"]), "invalid_input"),
    "attachments that are not a list": ("ann", send(attachments="f1"), "invalid_input"),
    "text with a NUL character": ("ann", send(text="a\u0000b"), "invalid_input"),
    "an unknown frame type": ("ann", {"type": "shout", "channel_id": "{open}"}, "invalid_input"),
    "a frame type that is not a string": ("ann", {"type": ["send"]}, "invalid_input"),
    "an unknown channel": ("ann", send("{unknown}"), "not_found"),
    "a non-member, into a private channel": ("carol", send("{private}"), "not_found"),
    "a non-member, into a public channel not joined": ("carol", send(), "forbidden"),
    "a send into an archived channel": ("bob", send("{archived}"), "forbidden"),
    "an edit of an unknown message": ("ann", on_message("edit", text="new"), "not_found"),
    "a delete of an unknown message": ("ann", on_message("delete"), "not_found"),
    "a message id that is not an id": ("ann", on_message("edit", "zz", text="new"),
                                       "invalid_input"),
    "a bad emoji": ("ann", on_message("react", "{message}", emoji="not an emoji"),
                    "invalid_input"),
}


@pytest.mark.parametrize("case", WS_CASES, ids=list(WS_CASES))
async def test_a_bad_websocket_frame_gets_an_error_frame_and_changes_nothing(room, kafka, case):
    who, frame, code = WS_CASES[case]
    frame = {k: room.path(v) if isinstance(v, str) else v for k, v in frame.items()}
    person = room.person(who)
    async with nothing_changes(room, kafka):
        reply = await person.request(frame)
        assert reply["type"] == "error" and reply["code"] == code and reply["message"], reply
        assert (await person.request({"type": "ping"}))["type"] == "pong"  # still open


@pytest.mark.parametrize("raw, binary", [
    ('{"type": "send", "channel_id": ', False),           # malformed JSON
    ('["send"]', False),                                  # not a JSON object
    (b"[" * 100_000 + b"]" * 100_000, False),             # nested too deeply
    (b'{"type": "send", "text": "\xff\xfe"}', True),      # binary, not UTF-8
], ids=["malformed JSON", "not an object", "nested too deeply", "binary frame not UTF-8"])
async def test_a_frame_that_cannot_be_read_gets_an_error_frame_and_the_socket_stays_open(
        room, kafka, raw, binary):
    ann = room.ann
    async with nothing_changes(room, kafka):
        earlier = list(ann.frames)
        await ann.ws.write_message(raw, binary=binary)
        error = await ann.next_frame(lambda f: f["type"] == "error"
                                     and all(f is not e for e in earlier))
        assert error["code"] == "invalid_input" and error["message"] and "req_id" not in error
        assert (await ann.request({"type": "ping"}))["type"] == "pong"


async def test_a_text_frame_that_is_not_utf8_closes_only_that_socket_with_1007(
        room, kafka, base_url):
    ann = room.ann
    second = Person(base_url, ann.email, user_id=ann.user_id, token=ann.token)
    await second.connect()
    try:
        async with nothing_changes(room, kafka):
            await second.ws.write_message(
                json.dumps({"type": "send", "channel_id": room.open, "client_msg_id": "bad",
                            "text": "@"}).encode().replace(b"@", b"\xff\xfe"), binary=False)
            async def closed():
                return second.ws.close_code is not None

            await eventually(closed, timeout=10)
            assert (second.ws.close_code, second.ws.close_reason) == (
                1007, "a text frame must be valid UTF-8")
            assert (await ann.request({"type": "ping"}))["type"] == "pong"  # her other socket
        again = Person(base_url, ann.email, user_id=ann.user_id, token=ann.token)
        await again.connect()   # and she can connect again
        again.close()
    finally:
        second.close()
