"""Kafka topics the users service follows, and the RPC method that applies each
(run by `parley-consumer users`, see services/common/consumer.py)."""
from services.common.events import MESSAGE_CREATED

ROUTES = {MESSAGE_CREATED: "on_message_created"}


def already_applied(answer: dict) -> bool:
    """The message had been counted before (its id was claimed): nothing changed."""
    return answer.get("counted") is False
