"""The compose deployment watches the same servers as the local stack: PostgreSQL and
Redis through their exporters, Kafka through the JMX exporter agent (the version the
local stack's bootstrap fetches), all scraped under the local stack's job names."""
from __future__ import annotations

import re

import yaml

from tests.deployment.test_compose import (  # noqa: F401 (fixtures)
    PROMETHEUS_CONFIG, REPO, model, secrets_env)


def scraped(config: dict) -> dict[str, set[str]]:
    return {job["job_name"]: {target for static in job.get("static_configs", [])
                              for target in static["targets"]}
            for job in config["scrape_configs"]}


def test_the_exporters_run_and_are_scraped_under_the_local_job_names(model):
    services = model["services"]
    assert services["postgres-exporter"]["image"].startswith(
        "quay.io/prometheuscommunity/postgres-exporter:")
    assert services["redis-exporter"]["image"].startswith("oliver006/redis_exporter:")
    assert services["postgres-exporter"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["redis-exporter"]["environment"]["REDIS_ADDR"] == "redis://redis:6379"
    jobs = scraped(yaml.safe_load(PROMETHEUS_CONFIG.read_text()))
    assert jobs["postgres"] == {"postgres-exporter:9187"}
    assert jobs["redis"] == {"redis-exporter:9121"}
    assert jobs["kafka"] == {"kafka:9404"}


def test_the_postgres_exporter_gets_its_password_from_the_environment(model, secrets_env):
    env = model["services"]["postgres-exporter"]["environment"]
    assert env["DATA_SOURCE_PASS"] == secrets_env["POSTGRES_PASSWORD"]
    assert "DATA_SOURCE_NAME" not in env   # no password inside a URL


def test_kafka_runs_the_jmx_agent_of_the_local_stacks_version(model):
    kafka = model["services"]["kafka"]
    agent = "/opt/jmx-exporter/jmx_prometheus_javaagent.jar"
    assert kafka["environment"]["KAFKA_OPTS"] == (
        f"-javaagent:{agent}=9404:/etc/kafka/jmx-exporter.yml")
    mounts = {v["target"]: v for v in kafka["volumes"]}
    assert mounts["/opt/jmx-exporter"]["source"] == "kafka-jmx-agent"
    assert mounts["/etc/kafka/jmx-exporter.yml"]["source"] == str(REPO / "ops/kafka/jmx-exporter.yml")
    assert kafka["depends_on"]["kafka-jmx-agent"]["condition"] == "service_completed_successfully"
    pom = (REPO / "ops/kafka/pom.xml").read_text()
    version = re.search(r"<jmx-exporter.version>(.+)</jmx-exporter.version>", pom).group(1)
    fetcher = model["services"]["kafka-jmx-agent"]
    assert fetcher["environment"]["JMX_EXPORTER_VERSION"] == version
    assert "repo1.maven.org/maven2/io/prometheus/jmx/jmx_prometheus_javaagent/" in " ".join(
        fetcher["entrypoint"])
