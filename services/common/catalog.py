"""Which services exist and what each one keeps (one list for every tool)."""

SERVICES = ("auth", "users", "channels", "messaging", "presence", "notifications",
            "search")
POSTGRES_SERVICES = ("auth", "users", "channels", "notifications", "search")  # one database each
CONSUMING_SERVICES = ("users", "channels", "search", "notifications")  # follow Kafka topics
