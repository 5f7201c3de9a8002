"""Kafka topics the notifications service follows, and the RPC method that applies
each (run by `parley-consumer notifications`, see services/common/consumer.py)."""
from services.common.events import MESSAGE_CREATED

ROUTES = {MESSAGE_CREATED: "on_message_created"}
