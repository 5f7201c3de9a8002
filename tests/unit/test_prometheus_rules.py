"""Prometheus rules and config, Alertmanager config: checked by the real tools.

promtool (Debian `prometheus`) checks the config the stack renders and every rules
file, and runs the unit tests under ops/prometheus/tests/; every alert must have a
test where it fires and one where it does not. amtool (Debian
`prometheus-alertmanager`) checks the Alertmanager config as the local stack renders
it and as the compose entrypoint renders it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ops.stack import configs

REPO = Path(__file__).resolve().parents[2]
RULES = sorted((REPO / "ops" / "prometheus" / "rules").glob("*.yml"))
RULE_TESTS = sorted((REPO / "ops" / "prometheus" / "tests").glob("*.yml"))
SEVERITIES = {"page", "ticket"}


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} not found: ops/bootstrap.sh installs it (Debian prometheus, prometheus-alertmanager)"
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def alerting_rules() -> list[dict]:
    return [rule for path in RULES for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"] if "alert" in rule]


def test_there_are_rules_and_rule_tests():
    assert {p.name for p in RULES} >= {"recording.yml", "alerts.yml"}
    assert RULE_TESTS


def test_rendered_prometheus_config_is_valid(tmp_path):
    config = configs.prometheus_config()
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert {"alertmanager", "node"} <= {job["job_name"] for job in config["scrape_configs"]}
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    result = run(tool("promtool"), "check", "config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    # The rule files the config names are the repository's, and promtool read them all.
    for rules in RULES:
        assert str(rules) in result.stdout


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_rules_file_is_valid(path):
    result = run(tool("promtool"), "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass():
    result = run(tool("promtool"), "test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS), result.stdout


def test_every_alert_has_a_firing_and_a_quiet_unit_test():
    fired: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for group in yaml.safe_load(path.read_text())["tests"]:
            for case in group.get("alert_rule_test", []):
                (fired if case.get("exp_alerts") else quiet).add(case["alertname"])
    names = {rule["alert"] for rule in alerting_rules()}
    assert names, "no alerting rules"
    assert not names - fired, f"alerts never tested firing: {sorted(names - fired)}"
    assert not names - quiet, f"alerts never tested staying quiet: {sorted(names - quiet)}"
    assert not (fired | quiet) - names, f"tests of unknown alerts: {sorted((fired | quiet) - names)}"


def test_every_alert_says_how_bad_what_and_where_the_runbook_is():
    for rule in alerting_rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, name
        notes = rule["annotations"]
        assert notes["summary"].strip() and notes["description"].strip(), name
        runbook = notes["runbook_url"]
        assert runbook.startswith("docs/runbooks/") and runbook.endswith(".md"), name
        text = (REPO / runbook).read_text()
        assert name in text, f"{runbook} does not name {name}"
        for section in ("## What it means", "## First checks", "## Likely causes", "## Fixes"):
            assert section in text, f"{runbook}: no '{section}'"


def test_every_runbook_belongs_to_an_alert():
    used = {rule["annotations"]["runbook_url"] for rule in alerting_rules()}
    present = {f"docs/runbooks/{p.name}" for p in (REPO / "docs" / "runbooks").glob("*.md")}
    assert present - {"docs/runbooks/README.md"} <= used, present - used


def test_alertmanager_config_of_the_local_stack(tmp_path):
    path = tmp_path / "alertmanager.yml"
    path.write_text(configs.alertmanager_config())
    result = run(tool("amtool"), "check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(path.read_text())
    routes = {r["matchers"][0]: r["receiver"] for r in config["route"]["routes"]}
    assert routes == {'severity="page"': "oncall-page", 'severity="ticket"': "oncall-ticket"}
    # Locally every alert mail goes to the mail sink (var/mail/), nowhere else.
    cfg = configs.get_config()
    assert config["global"]["smtp_smarthost"] == f"{cfg['smtp.host']}:{cfg['smtp.port']}"


def test_alertmanager_config_as_compose_renders_it(tmp_path):
    out = tmp_path / "alertmanager.yml"
    env = {"PATH": os.environ["PATH"],
           "ALERTMANAGER_TEMPLATE": str(REPO / "ops" / "alertmanager" / "alertmanager.yml"),
           "ALERTMANAGER_CONFIG": str(out), "SMTP_HOST": "smtp.example.com",
           "SMTP_PORT": "587", "SMTP_SENDER": "Parley <alerts@example.com>",
           "ALERT_PAGE_TO": "oncall@example.com"}
    result = subprocess.run(["sh", str(REPO / "ops" / "compose" / "alertmanager" / "entrypoint.sh"),
                             tool("amtool"), "check-config", str(out)],
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(out.read_text())
    assert config["global"]["smtp_smarthost"] == "smtp.example.com:587"
    assert config["global"]["smtp_require_tls"] is True
    receivers = {r["name"]: r["email_configs"][0]["to"] for r in config["receivers"]}
    assert receivers == {"oncall-page": "oncall@example.com", "oncall-ticket": "oncall@example.com"}
    refused = subprocess.run(["sh", str(REPO / "ops" / "compose" / "alertmanager" / "entrypoint.sh"), "true"],
                             env={**env, "SMTP_PASSWORD": 'pa"ss'}, capture_output=True,
                             text=True, timeout=60, check=False)
    assert refused.returncode == 64


@pytest.mark.parametrize("severity, receiver", [("page", "oncall-page"), ("ticket", "oncall-ticket"),
                                                ("none", "oncall-ticket")])
def test_alertmanager_routes_by_severity(tmp_path, severity, receiver):
    path = tmp_path / "alertmanager.yml"
    path.write_text(configs.alertmanager_config())
    result = run(tool("amtool"), "config", "routes", "test", f"--config.file={path}",
                 "alertname=ParleyInstanceDown", f"severity={severity}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [receiver]
