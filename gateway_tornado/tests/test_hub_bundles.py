"""The hub hands each event of a bus message to the sockets listening on its keys: a
plain message by its routing key, a bundle (several events, each with its keys, see
services/common/events.py ``bundle_messages``) event by event, each socket once."""
from __future__ import annotations

import json
from types import SimpleNamespace

from gateway_tornado.hub import RECEIVED_AT, Hub
from services.common.events import BUNDLE, bundle_messages


class Socket:
    def __init__(self, name):
        self.name, self.heard = name, []

    def deliver(self, routing_key, event):
        self.heard.append((routing_key, event["event_id"]))


def hub_with(listening: dict[str, list[Socket]]) -> Hub:
    hub = Hub("amqp://unused", "gateway-test")
    for key, sockets in listening.items():
        hub._listeners[key].update(sockets)
    return hub


def incoming(body, routing_key, message_type=None):
    return SimpleNamespace(body=json.dumps(body).encode(), routing_key=routing_key,
                           type=message_type, headers={})


def event(event_id):
    return {"type": "unread.changed", "event_id": event_id, "data": {}}


async def test_a_plain_message_goes_to_the_sockets_of_its_routing_key():
    ann, bob = Socket("ann"), Socket("bob")
    hub = hub_with({"user.ann": [ann], "user.bob": [bob]})
    await hub._on_event(incoming(event("e1"), "user.ann"))
    assert (ann.heard, bob.heard) == ([("user.ann", "e1")], [])


async def test_a_plain_message_that_is_not_an_event_object_is_dropped():
    ann = Socket("ann")
    hub = hub_with({"user.ann": [ann]})
    await hub._on_event(incoming(["not", "an", "event"], "user.ann"))
    assert ann.heard == []


async def test_each_event_of_a_bundle_goes_to_the_sockets_of_its_own_keys():
    ann, bob, cy = Socket("ann"), Socket("bob"), Socket("cy")
    hub = hub_with({"user.ann": [ann], "user.bob": [bob], "channel.c1": [cy]})
    [(routing_key, cc, body)] = bundle_messages([(["user.ann"], event("for-ann")),
                                                 (["user.bob"], event("for-bob")),
                                                 (["user.dee"], event("for-dee"))])
    await hub._on_event(incoming(body, routing_key, BUNDLE))
    assert ann.heard == [("user.ann", "for-ann")]
    assert bob.heard == [("user.bob", "for-bob")]
    assert cy.heard == []   # listens on none of the bundle's keys


async def test_a_socket_on_several_keys_of_one_event_hears_it_once():
    ann = Socket("ann")
    hub = hub_with({"user.ann": [ann], "channel.c1": [ann], "channel.c2": [ann]})
    shared = event("presence-1")
    [(routing_key, _, body)] = bundle_messages([(["user.ann", "channel.c1", "channel.c2"],
                                                 shared)])
    await hub._on_event(incoming(body, routing_key, BUNDLE))
    assert ann.heard == [("user.ann", "presence-1")]


async def test_a_bundle_that_is_not_a_list_of_events_with_keys_is_dropped():
    ann = Socket("ann")
    hub = hub_with({"user.ann": [ann]})
    for body in ({"keys": ["user.ann"]}, [{"event": event("e1")}], ["user.ann"],
                 [{"keys": [["user.ann"]], "event": event("e2")}],
                 [{"keys": ["user.ann"], "event": "e3"}]):
        await hub._on_event(incoming(body, "user.ann", BUNDLE))
    assert ann.heard == []


async def test_a_malformed_item_does_not_hold_up_the_rest_of_its_bundle():
    ann = Socket("ann")
    hub = hub_with({"user.ann": [ann]})
    body = [{"keys": ["user.ann"], "event": None}, {"keys": ["user.ann"], "event": event("e1")}]
    await hub._on_event(incoming(body, "user.ann", BUNDLE))
    assert ann.heard == [("user.ann", "e1")]


def test_received_at_is_stamped_on_each_event_of_a_bundle():
    ann = Socket("ann")
    hub = hub_with({"user.ann": [ann]})
    first, second = event("e1"), event("e2")
    hub._deliver(["user.ann"], first)
    hub._deliver(["user.ann", "user.bob"], second)
    assert RECEIVED_AT in first and RECEIVED_AT in second
