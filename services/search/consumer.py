"""Kafka topics the search service follows, and the RPC method that applies each
(run by `parley-consumer search`, see services/common/consumer.py). Edits and
deletions are followed where the message events define them."""
from services.common import events

ROUTES = {events.MESSAGE_CREATED: "on_message_created"}
for _topic, _method in (("MESSAGE_UPDATED", "on_message_updated"),
                        ("MESSAGE_DELETED", "on_message_deleted")):
    if hasattr(events, _topic):
        ROUTES[getattr(events, _topic)] = _method


def already_applied(answer: dict) -> bool:
    """The index already held this version of the message (or a newer one)."""
    return answer.get("changed") is False
