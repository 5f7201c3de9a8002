"""Resume on the running stack (docs/api/websocket.md, "Resume"): Bob is away while Ann
sends, edits, deletes and reacts; back, he gets the messages he missed in order, each
as it is now, then live ones; a channel he left in the meantime is an error entry."""
from __future__ import annotations

import asyncio
import json

from tornado.websocket import websocket_connect

from tests.support.client import Person, people_in_a_channel


async def resumed_socket(base_url: str, person: Person, channels: dict[str, int]):
    """A socket opened with ?resume=1 that has sent ``resume``; returns it and the
    frames up to and including ``resumed``."""
    ws = await websocket_connect(base_url.replace("http", "ws", 1)
                                 + f"/ws?access_token={person.token}&resume=1")
    assert json.loads(await asyncio.wait_for(ws.read_message(), 10))["type"] == "hello"
    await ws.write_message(json.dumps({"type": "resume", "channels": channels}))
    frames = []
    while not frames or frames[-1]["type"] != "resumed":
        frames.append(json.loads(await asyncio.wait_for(ws.read_message(), 10)))
    return ws, frames


async def send(person: Person, channel_id: str, text: str) -> dict:
    return await person.send_until_acknowledged(channel_id, text, text)


async def test_back_from_away_bob_gets_what_he_missed_as_it_is_now_then_live(base_url):
    (ann, bob), channel_id = await people_in_a_channel(base_url, "ann", "bob")
    seen = await send(ann, channel_id, "before bob left")
    kept = await send(ann, channel_id, "typo here")
    gone = await send(ann, channel_id, "never mind")
    plain = await send(ann, channel_id, "plain")
    path = f"/channels/{channel_id}/messages"
    assert (await ann.call("PATCH", f"{path}/{kept['id']}", {"text": "no typo"})).status == 200
    assert (await ann.call("DELETE", f"{path}/{gone['id']}")).status == 200
    assert (await bob.call("PUT", f"{path}/{plain['id']}/reactions/tada")).status == 200

    ws, frames = await resumed_socket(base_url, bob, {channel_id: seen["seq"]})
    replayed = [f["data"] for f in frames if f["type"] == "message.created"]
    assert [m["id"] for m in replayed] == [kept["id"], gone["id"], plain["id"]]
    assert all(f.get("replayed") is True for f in frames if f["type"] == "message.created")
    assert replayed[0]["text"] == "no typo" and replayed[0]["edited_at"]
    assert replayed[1]["text"] == "" and replayed[1]["deleted_at"]
    assert "tada" in json.dumps(replayed[2]["reactions"])
    assert frames[-1]["channels"] == {channel_id: {"replayed": 3, "last_seq": plain["seq"],
                                                   "complete": True}}

    live = await send(ann, channel_id, "welcome back")
    while (frame := json.loads(await asyncio.wait_for(ws.read_message(), 10)))[
            "type"] != "message.created":
        pass
    assert (frame["data"]["id"], frame["data"]["seq"]) == (live["id"], plain["seq"] + 1)
    assert "replayed" not in frame
    ws.close()


async def test_a_channel_left_while_away_is_an_error_entry_and_the_rest_resumes(base_url):
    (_, bob), left = await people_in_a_channel(base_url, "ann", "bob")
    created = await bob.call("POST", "/channels", {"name": f"stayed-{left[:8]}"})
    assert created.status == 201, created.body
    stayed = created.body["id"]
    assert (await bob.call("POST", f"/channels/{left}/leave")).status == 200

    ws, frames = await resumed_socket(base_url, bob, {left: 0, stayed: 0})
    entries = frames[-1]["channels"]
    assert entries[left]["error"]["code"] == "forbidden"
    assert entries[stayed] == {"replayed": 0, "last_seq": 0, "complete": True}
    await ws.write_message(json.dumps({"type": "ping", "req_id": "still open"}))
    assert json.loads(await asyncio.wait_for(ws.read_message(), 10))["type"] == "pong"
    ws.close()
