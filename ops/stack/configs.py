"""Config files the servers read, rendered under var/etc from config/ and the
templates in traefik/ and ops/, plus one-time initialisation of data dirs."""
from __future__ import annotations

import base64
import json
import os
import pwd
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from string import Template

import yaml

from services.common.config import get_config

from . import paths
from .programs import metrics_targets


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _render(template: Path, target: Path, **values) -> None:
    _write(target, Template(template.read_text()).substitute(**values))


def _chown_postgres(path: Path) -> None:
    if paths.is_root():
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _reload_prometheus(program: str = "prometheus") -> None:
    """Prometheus (and Alertmanager) reread their config on SIGHUP; tell a running one."""
    import xmlrpc.client

    from . import supervisor
    if not supervisor.running():
        return
    try:
        supervisor.server().supervisor.signalProcess(program, "HUP")
    except xmlrpc.client.Fault:
        pass   # not started yet: it reads the new file when it starts


def prepare_all() -> None:
    """Render every config file and initialise data dirs that need it (idempotent)."""
    cfg = get_config()
    for sub in ("log", "run", "data", "etc"):
        (paths.var() / sub).mkdir(parents=True, exist_ok=True)
    host = cfg["stack.host"]

    # PostgreSQL: one cluster; the superuser `parley` with a generated password.
    pg_data = paths.data("postgres")
    pg_sock = paths.run_dir() / "postgres"
    pg_sock.mkdir(parents=True, exist_ok=True)
    _chown_postgres(pg_sock)
    if not (pg_data / "PG_VERSION").exists():
        pg_data.mkdir(parents=True, exist_ok=True)
        _chown_postgres(pg_data)
        pwfile = paths.run_dir() / "postgres" / "pwfile"
        pwfile.write_text(cfg.secret("postgres.password") + "\n")
        _chown_postgres(pwfile)
        command = [str(paths.PG_BIN / "initdb"), "-D", str(pg_data), "-U", cfg["postgres.user"],
                   f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256",
                   "-E", "UTF8", "--locale=C.UTF-8"]
        if paths.is_root():
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        pwfile.unlink()

    # RabbitMQ: loopback listener, the Prometheus plugin on its own port.
    rabbit = paths.etc("rabbitmq")
    _write(rabbit / "enabled_plugins", "[rabbitmq_prometheus].\n")
    _write(rabbit / "rabbitmq.conf", "\n".join([
        f"listeners.tcp.default = {host}:{cfg['amqp.port']}",
        f"prometheus.tcp.port = {cfg['amqp.prometheus_port']}",
        f"prometheus.tcp.ip = {host}",
        "log.console = true",
        "log.console.level = warning",
        "log.file = false",
        "disk_free_limit.absolute = 200MB",
    ]) + "\n")
    paths.data("rabbitmq").mkdir(parents=True, exist_ok=True)

    paths.data("redis").mkdir(parents=True, exist_ok=True)

    # Kafka: one KRaft node acting as broker and controller.
    kafka = paths.etc("kafka")
    _render(paths.REPO / "ops" / "kafka" / "server.properties", kafka / "server.properties",
            host=host, port=cfg["kafka.port"], controller_port=cfg["kafka.controller_port"],
            log_dirs=paths.data("kafka"), partitions=cfg["kafka.partitions"])
    shutil.copyfile(paths.REPO / "ops" / "kafka" / "log4j2.properties",
                    kafka / "log4j2.properties")
    shutil.copyfile(paths.REPO / "ops" / "kafka" / "jmx-exporter.yml",
                    kafka / "jmx-exporter.yml")
    if not (paths.data("kafka") / "meta.properties").exists():
        subprocess.run(["java", "-cp", f"{paths.KAFKA_LIB}/*", "kafka.tools.StorageTool",
                        "format", "-t", _kafka_cluster_id(),
                        "-c", str(kafka / "server.properties")],
                       check=True, stdout=subprocess.DEVNULL)

    # SeaweedFS: one S3 identity with the generated keys.
    access_key, secret_key = cfg.s3_credentials()
    _write(paths.etc("seaweedfs") / "s3.json", json.dumps({"identities": [{
        "name": "parley", "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}, indent=2))
    paths.data("seaweedfs").mkdir(parents=True, exist_ok=True)
    (paths.log_dir() / "seaweedfs").mkdir(parents=True, exist_ok=True)

    # Prometheus: scrape every process of the stack.
    prom_path = paths.etc("prometheus") / "prometheus.yml"
    rendered = yaml.safe_dump(prometheus_config(), sort_keys=False)
    changed = not prom_path.exists() or prom_path.read_text() != rendered
    _write(prom_path, rendered)
    if changed:
        _reload_prometheus()   # a new process to scrape (a service added to the catalog)

    # Alertmanager: mail to the on-call addresses through the local mail sink.
    am_path = paths.etc("alertmanager") / "alertmanager.yml"
    am_rendered = alertmanager_config()
    am_changed = am_path.exists() and am_path.read_text() != am_rendered
    _write(am_path, am_rendered)
    if am_changed:
        _reload_prometheus("alertmanager")   # new recipients or SMTP settings
    paths.data("alertmanager").mkdir(parents=True, exist_ok=True)

    # Traefik: static config; the dynamic file is the gateways' (gateway_tornado/discovery.py).
    dynamic = paths.var() / "traefik" / "dynamic"
    dynamic.mkdir(parents=True, exist_ok=True)
    _render(paths.REPO / "traefik" / "traefik.yml", paths.etc("traefik") / "traefik.yml",
            host=host, port=cfg["traefik.port"], metrics_port=cfg["traefik.metrics_port"],
            dynamic_dir=dynamic, log_dir=paths.log_dir())



def prometheus_config() -> dict:
    """ops/prometheus/prometheus.yml with the stack's scrape targets, rule files and
    Alertmanager filled in."""
    cfg = get_config()
    host = cfg["stack.host"]
    scrape = [{"job_name": job, "static_configs": [{"targets": targets}]}
              for job, targets in metrics_targets().items()]
    for job in scrape:
        if job["job_name"] == "node":
            # The disk alerts watch the filesystem that holds var/: label it volume="var".
            job["metric_relabel_configs"] = [{
                "source_labels": ["mountpoint"], "regex": re.escape(str(_mount_point(paths.var()))),
                "target_label": "volume", "replacement": "var"}]
    prom = yaml.safe_load((paths.REPO / "ops" / "prometheus" / "prometheus.yml").read_text())
    prom["scrape_configs"] = scrape
    prom["rule_files"] = [str(paths.REPO / "ops" / "prometheus" / "rules" / "*.yml")]
    prom["alerting"] = {"alertmanagers": [
        {"static_configs": [{"targets": [f"{host}:{cfg['alertmanager.port']}"]}]}]}
    return prom


def _mount_point(path: Path) -> Path:
    path = path.resolve()
    while not os.path.ismount(path):
        path = path.parent
    return path


def alertmanager_config() -> str:
    """ops/alertmanager/alertmanager.yml with the SMTP server and recipients of
    config/parley.yaml (locally: the mail-sink program)."""
    cfg = get_config()
    values = {
        "SMTP_SMARTHOST": f"{cfg['smtp.host']}:{cfg['smtp.port']}",
        "SMTP_FROM": cfg["smtp.sender"],
        "SMTP_USERNAME": cfg["smtp.username"] or "",
        "SMTP_PASSWORD": cfg["smtp.password"] or "",
        "SMTP_REQUIRE_TLS": "true" if cfg["smtp.starttls"] else "false",
        "PAGE_TO": cfg["alertmanager.page_to"],
        "TICKET_TO": cfg["alertmanager.ticket_to"],
    }
    return Template((paths.REPO / "ops" / "alertmanager" / "alertmanager.yml").read_text()
                    ).substitute(values)


def _kafka_cluster_id() -> str:
    """A random cluster id in Kafka's form: a UUID as URL-safe base64, unpadded."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
