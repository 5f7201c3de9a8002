"""Which services exist and what each one keeps (one list for every tool)."""

SERVICES = ("auth", "users", "channels", "messaging", "presence", "notifications")
POSTGRES_SERVICES = ("auth", "users", "channels", "notifications")   # one database each
CONSUMING_SERVICES = ("users", "channels")                            # follow Kafka topics
