"""Every process of the local stack, declared once: how to run it, which ports
it takes, and how to tell it is healthy. supervisord's config is generated
from this table (supervisor.py); `make status` reads its health checks."""
from __future__ import annotations

from dataclasses import dataclass, field

from services.common.config import get_config
from services.common.catalog import CONSUMING_SERVICES, SERVICES

from . import health, paths
from .health import Check

# Work that happens after a message is acknowledged and on its way to every socket:
# the Kafka path (the broker, the outbox relay, the consumers) and the services whose
# work is mostly applying its events (unread counts, notifications, the search index).
# When the CPU is short they run at a lower priority (``stack.deferred_nice``) and the
# send path (Traefik, gateways, RabbitMQ, messaging, FerretDB) goes first: Kafka keeps
# what they have not applied yet. docs/architecture.md, "Which work waits".
DEFERRED = frozenset({"kafka", "outbox-relay", "users", "notifications", "search",
                      *(f"{service}-consumer" for service in CONSUMING_SERVICES)})


@dataclass
class Program:
    name: str
    command: list[str]
    group: str                        # "infra" (servers) or "app" (Parley's processes)
    ports: dict[str, int]             # what it listens on, to report ports already taken
    check: Check
    user: str | None = None           # run as this user when the stack runs as root
    env: dict[str, str] = field(default_factory=dict)
    stop_wait: int = 15
    nice: int = 0                     # scheduling priority (DEFERRED: stack.deferred_nice)


def deferred_nice(role: str) -> int:
    """The nice value of a program whose role (a service's name for its instances)
    is in DEFERRED, else 0."""
    level = get_config()["stack.deferred_nice"]
    # below 0 would put them ahead of the send path (and needs root)
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 19:
        raise ValueError(f"stack.deferred_nice is {level!r}: a nice value from 0 (the send "
                         "path's) to 19 is expected")
    return level if role in DEFERRED else 0


def infrastructure() -> list[Program]:
    cfg = get_config()
    host = cfg["stack.host"]
    rabbit_env = {
        "RABBITMQ_NODENAME": "parley@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": host,
        "RABBITMQ_NODE_PORT": str(cfg["amqp.port"]),
        "RABBITMQ_DIST_PORT": str(cfg["amqp.dist_port"]),
        "ERL_EPMD_PORT": str(cfg["amqp.epmd_port"]),
        "ERL_EPMD_ADDRESS": host,
        "RABBITMQ_MNESIA_BASE": str(paths.data("rabbitmq") / "mnesia"),
        "RABBITMQ_LOG_BASE": str(paths.log_dir() / "rabbitmq"),
        "RABBITMQ_LOGS": "-",
        "RABBITMQ_CONFIG_FILE": str(paths.etc("rabbitmq") / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(paths.etc("rabbitmq") / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(paths.run_dir() / "rabbitmq.pid"),
        "HOME": str(paths.data("rabbitmq")),
    }
    return [
        Program("postgres", [str(paths.PG_BIN / "postgres"), "-D", str(paths.data("postgres")),
                             "-p", str(cfg["postgres.port"]), "-h", host,
                             "-k", str(paths.run_dir() / "postgres")],
                "infra", {"postgres": cfg["postgres.port"]}, health.postgres(cfg),
                user="postgres", stop_wait=30),
        Program("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], "infra",
                {"amqp": cfg["amqp.port"], "rabbitmq-dist": cfg["amqp.dist_port"],
                 "rabbitmq-prometheus": cfg["amqp.prometheus_port"]},
                health.all_of(health.tcp(host, cfg["amqp.port"]),
                              health.http(f"http://{host}:{cfg['amqp.prometheus_port']}/metrics")),
                env=rabbit_env, stop_wait=30),
        Program("redis", ["/usr/bin/redis-server", "--port", str(cfg["redis.port"]),
                          "--bind", host, "--dir", str(paths.data("redis")),
                          "--appendonly", "yes", "--save", "60 1", "--daemonize", "no"],
                "infra", {"redis": cfg["redis.port"]}, health.redis_ping(cfg)),
        # The JMX exporter agent serves the broker's metrics (ops/kafka/jmx-exporter.yml).
        Program("kafka", ["java", "-Xms256m", "-Xmx768m", "-XX:+UseG1GC",
                          f"-javaagent:{paths.JMX_AGENT}={host}:{cfg['kafka.metrics_port']}:"
                          f"{paths.etc('kafka') / 'jmx-exporter.yml'}",
                          f"-Dlog4j2.configurationFile={paths.etc('kafka') / 'log4j2.properties'}",
                          "-cp", f"{paths.KAFKA_LIB}/*", "kafka.Kafka",
                          str(paths.etc("kafka") / "server.properties")],
                "infra", {"kafka": cfg["kafka.port"], "kafka-controller": cfg["kafka.controller_port"],
                          "kafka-metrics": cfg["kafka.metrics_port"]},
                health.all_of(health.tcp(host, cfg["kafka.port"]),
                              health.http(f"http://{host}:{cfg['kafka.metrics_port']}/metrics")),
                stop_wait=30, nice=deferred_nice("kafka")),
        Program("ferretdb", [str(paths.FERRETDB_BIN), "-listen", f"{host}:{cfg['mongo.port']}",
                             "-data-dir", str(paths.data("ferretdb")),
                             "-metrics", f"{host}:{cfg['mongo.metrics_port']}"],
                "infra", {"mongo": cfg["mongo.port"], "ferretdb-metrics": cfg["mongo.metrics_port"]},
                health.mongo_ping(cfg)),
        Program("seaweedfs", [str(paths.VENV_BIN / "weed"), f"-logdir={paths.log_dir() / 'seaweedfs'}",
                              "server", f"-dir={paths.data('seaweedfs')}", f"-ip={host}",
                              f"-ip.bind={host}", "-master.telemetry=false",
                              f"-master.port={cfg['s3.master_port']}",
                              f"-master.port.grpc={cfg['s3.master_port'] + 10000}",
                              f"-volume.port={cfg['s3.volume_port']}",
                              f"-volume.port.grpc={cfg['s3.volume_port'] + 10000}",
                              "-volume.max=0", "-master.volumeSizeLimitMB=256",
                              "-filer", f"-filer.port={cfg['s3.filer_port']}",
                              f"-filer.port.grpc={cfg['s3.filer_port'] + 10000}",
                              "-s3", f"-s3.port={cfg['s3.port']}",
                              f"-s3.port.grpc={cfg['s3.port'] + 10000}",
                              "-s3.port.iceberg=0", "-s3.port.lance=0",
                              f"-s3.config={paths.etc('seaweedfs') / 's3.json'}",
                              f"-metricsPort={cfg['s3.metrics_port']}"],
                "infra", {"s3": cfg["s3.port"], "seaweedfs-master": cfg["s3.master_port"],
                          "seaweedfs-volume": cfg["s3.volume_port"],
                          "seaweedfs-filer": cfg["s3.filer_port"]},
                health.s3_ready(cfg), stop_wait=30),
        Program("prometheus", ["/usr/bin/prometheus",
                               f"--config.file={paths.etc('prometheus') / 'prometheus.yml'}",
                               f"--storage.tsdb.path={paths.data('prometheus')}",
                               f"--web.listen-address={host}:{cfg['prometheus.port']}",
                               "--storage.tsdb.retention.time=7d"],
                "infra", {"prometheus": cfg["prometheus.port"]},
                health.http(f"http://{host}:{cfg['prometheus.port']}/-/ready")),
        # Alerts from Prometheus, routed by severity (ops/alertmanager/alertmanager.yml);
        # one node, so no cluster listener (its default port is Kafka's controller's).
        Program("alertmanager", ["/usr/bin/prometheus-alertmanager",
                                 f"--config.file={paths.etc('alertmanager') / 'alertmanager.yml'}",
                                 f"--storage.path={paths.data('alertmanager')}",
                                 f"--web.listen-address={host}:{cfg['alertmanager.port']}",
                                 "--cluster.listen-address=", "--log.level=warn"],
                "infra", {"alertmanager": cfg["alertmanager.port"]},
                health.http(f"http://{host}:{cfg['alertmanager.port']}/-/ready")),
        # Only the filesystem collector: free space of the disk under var/ (disk alerts).
        Program("node-exporter", ["/usr/bin/prometheus-node-exporter",
                                  "--collector.disable-defaults", "--collector.filesystem",
                                  f"--web.listen-address={host}:{cfg['node_exporter.port']}"],
                "infra", {"node-exporter": cfg["node_exporter.port"]},
                health.http(f"http://{host}:{cfg['node_exporter.port']}/metrics")),
        # Debian's exporters for the servers without metrics of their own. PostgreSQL is
        # read over its socket (local connections are trusted: no password to pass on).
        Program("postgres-exporter",
                ["/usr/bin/prometheus-postgres-exporter",
                 f"--web.listen-address={host}:{cfg['postgres.exporter_port']}",
                 "--log.level=warn"],
                "infra", {"postgres-exporter": cfg["postgres.exporter_port"]},
                health.sample_is(f"http://{host}:{cfg['postgres.exporter_port']}/metrics", "pg_up"),
                env={"DATA_SOURCE_NAME": f"host={paths.run_dir() / 'postgres'} "
                                         f"port={cfg['postgres.port']} user={cfg['postgres.user']} "
                                         "dbname=postgres sslmode=disable"}),
        Program("redis-exporter",
                ["/usr/bin/prometheus-redis-exporter", f"-redis.addr={cfg['redis.url']}",
                 f"-web.listen-address={host}:{cfg['redis.exporter_port']}"],
                "infra", {"redis-exporter": cfg["redis.exporter_port"]},
                health.sample_is(f"http://{host}:{cfg['redis.exporter_port']}/metrics", "redis_up")),
        Program("mail-sink", [str(paths.VENV_BIN / "python"), "-m", "ops.mailsink"],
                "infra", {"smtp": cfg["smtp.port"]}, health.smtp(host, cfg["smtp.port"])),
        Program("traefik", [str(paths.VENV_BIN / "traefik"),
                            f"--configFile={paths.etc('traefik') / 'traefik.yml'}"],
                "infra", {"traefik": cfg["traefik.port"], "traefik-metrics": cfg["traefik.metrics_port"]},
                health.http(f"http://{host}:{cfg['traefik.metrics_port']}/ping")),
    ]


def parley() -> list[Program]:
    """Parley's own processes: two gateways, two instances of every service,
    the Kafka consumers and the outbox relay."""
    cfg = get_config()
    host = cfg["stack.host"]
    bin_ = paths.VENV_BIN
    programs = [
        Program(f"gateway-{port}", [str(bin_ / "parley-gateway"), "--port", str(port)], "app",
                {f"gateway-{port}": port}, health.http(f"http://{host}:{port}/healthz"))
        for port in cfg["gateway.instances"]
    ]
    for service in SERVICES:
        for instance in range(1, int(cfg["services.instances"]) + 1):
            port = cfg["services.metrics_base"][service] + instance
            programs.append(Program(
                f"{service}-{instance}",
                [str(bin_ / "parley-service"), service, "--instance", str(instance)], "app",
                {f"{service}-{instance}-metrics": port},
                health.http(f"http://{host}:{port}/health"), nice=deferred_nice(service)))
    for consumer in CONSUMING_SERVICES:
        port = cfg[f"events.{consumer}_consumer_metrics_port"]
        programs.append(Program(f"{consumer}-consumer",
                                [str(bin_ / "parley-consumer"), consumer], "app",
                                {f"{consumer}-consumer-metrics": port},
                                health.http(f"http://{host}:{port}/metrics"),
                                nice=deferred_nice(f"{consumer}-consumer")))
    port = cfg["events.relay_metrics_port"]
    programs.append(Program("outbox-relay", [str(bin_ / "parley-outbox-relay")], "app",
                            {"outbox-relay-metrics": port},
                            health.http(f"http://{host}:{port}/metrics"),
                            nice=deferred_nice("outbox-relay")))
    return programs


def all_programs() -> list[Program]:
    return infrastructure() + parley()


def metrics_targets() -> dict[str, list[str]]:
    """Prometheus scrape targets by job, for ops/prometheus/prometheus.yml."""
    cfg = get_config()
    host = cfg["stack.host"]
    jobs: dict[str, list[str]] = {
        "rabbitmq": [f"{host}:{cfg['amqp.prometheus_port']}"],
        "traefik": [f"{host}:{cfg['traefik.metrics_port']}"],
        "ferretdb": [f"{host}:{cfg['mongo.metrics_port']}"],
        "postgres": [f"{host}:{cfg['postgres.exporter_port']}"],
        "redis": [f"{host}:{cfg['redis.exporter_port']}"],
        "kafka": [f"{host}:{cfg['kafka.metrics_port']}"],
        "seaweedfs": [f"{host}:{cfg['s3.metrics_port']}"],
        "prometheus": [f"{host}:{cfg['prometheus.port']}"],
        "alertmanager": [f"{host}:{cfg['alertmanager.port']}"],
        "node": [f"{host}:{cfg['node_exporter.port']}"],
        "gateway": [f"{host}:{port}" for port in cfg["gateway.instances"]],
        "events": [f"{host}:{cfg['events.relay_metrics_port']}"] + [
            f"{host}:{cfg[f'events.{name}_consumer_metrics_port']}"
            for name in CONSUMING_SERVICES],
    }
    for service in SERVICES:
        jobs[service] = [f"{host}:{cfg['services.metrics_base'][service] + i}"
                         for i in range(1, int(cfg["services.instances"]) + 1)]
    return jobs
