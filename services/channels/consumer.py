"""Kafka topics the channels service follows, and the RPC method that applies each
(run by `parley-consumer channels`, see services/common/consumer.py)."""
from services.common.events import MESSAGE_CREATED

ROUTES = {MESSAGE_CREATED: "on_message_created"}


def already_applied(answer: dict) -> bool:
    """The message had been counted before: nothing changed."""
    return answer.get("counted") is False
