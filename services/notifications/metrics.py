"""The notifications service's Prometheus series (labels are bounded sets)."""
from prometheus_client import Counter

DECIDED = Counter("parley_notifications_decided_total",
                  "Notifications decided (once per message, person and channel)",
                  ["channel", "reason"])              # push|email × dm|mention|thread|channel|here|all
DELIVERED = Counter("parley_notifications_delivered_total",
                    "Notifications finished, by how",
                    ["channel", "outcome"])           # sent|failed|no_device|read|disabled
ATTEMPTS = Counter("parley_notification_attempts_total",
                   "Delivery attempts (one push to one device, one digest email)",
                   ["channel", "outcome"])            # sent|gone|retry|failed
