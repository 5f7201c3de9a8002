"""Kafka topics the notifications service follows, and the RPC method that applies
each (run by `parley-consumer notifications`, see services/common/consumer.py)."""
from services.common.events import MESSAGE_CREATED

ROUTES = {MESSAGE_CREATED: "on_message_created"}


def already_applied(answer: dict) -> bool:
    """People were to be told, but every decision was on record already (a replay)."""
    return bool(answer.get("notified")) and answer.get("recorded") == 0
