"""gateway_tornado/discovery.py: the Traefik dynamic file the gateways maintain."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from gateway_tornado import discovery
from services.common.config import REPO_ROOT, load_config


@pytest.fixture
def traefik_dir(config):
    return config.var_dir / "traefik"


@pytest.fixture
def dynamic(traefik_dir):
    """Traefik's view: the parsed dynamic file."""
    def read() -> dict:
        return yaml.safe_load((traefik_dir / "dynamic" / "parley.yml").read_text())
    return read


def servers(dynamic_config: dict) -> list[str]:
    balancer = dynamic_config["http"]["services"]["gateways"]["loadBalancer"]
    return [server["url"] for server in balancer["servers"]]


def test_a_registered_gateway_is_a_server_of_the_gateways_service(config, dynamic):
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    assert servers(dynamic()) == ["http://127.0.0.1:8101"]


def test_a_gateway_announces_itself_in_its_own_file(config, traefik_dir):
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    announcement = json.loads((traefik_dir / "gateways" / "gateway-8101.json").read_text())
    assert announcement == {"name": "gateway-8101", "url": "http://127.0.0.1:8101"}


def test_every_registered_gateway_is_listed_in_a_stable_order(config, dynamic):
    discovery.register(config, "gateway-8102", "http://127.0.0.1:8102")
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    assert servers(dynamic()) == ["http://127.0.0.1:8101", "http://127.0.0.1:8102"]


def test_registering_again_under_the_same_name_replaces_the_address(config, dynamic):
    discovery.register(config, "gateway-a", "http://127.0.0.1:8101")
    discovery.register(config, "gateway-a", "http://127.0.0.1:9101")
    assert servers(dynamic()) == ["http://127.0.0.1:9101"]


def test_a_withdrawn_gateway_is_no_longer_a_server(config, dynamic, traefik_dir):
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    discovery.register(config, "gateway-8102", "http://127.0.0.1:8102")
    discovery.withdraw(config, "gateway-8101")
    assert servers(dynamic()) == ["http://127.0.0.1:8102"]
    assert not (traefik_dir / "gateways" / "gateway-8101.json").exists()


def test_when_the_last_gateway_withdraws_the_service_has_no_servers(config, dynamic):
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    discovery.withdraw(config, "gateway-8101")
    assert servers(dynamic()) == []


def test_withdrawing_a_gateway_that_never_registered_changes_nothing(config, dynamic):
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    discovery.withdraw(config, "gateway-9999")
    assert servers(dynamic()) == ["http://127.0.0.1:8101"]


def test_gateways_of_separate_processes_see_each_other(config, dynamic, tmp_path):
    other_process = load_config(REPO_ROOT / "config" / "parley.yaml",
                                environ={"PARLEY_STACK_VAR_DIR": str(tmp_path / "var")})
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    discovery.register(other_process, "gateway-8102", "http://127.0.0.1:8102")
    assert servers(dynamic()) == ["http://127.0.0.1:8101", "http://127.0.0.1:8102"]


def test_the_router_sends_requests_through_defined_middlewares_to_the_gateways(config, dynamic):
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    http = dynamic()["http"]
    (router,) = http["routers"].values()
    assert router["service"] in http["services"]
    assert router["entryPoints"] == ["web"]
    assert set(router["middlewares"]) <= set(http["middlewares"])


def test_health_check_and_rate_limit_follow_the_configuration(tmp_path):
    cfg = load_config(REPO_ROOT / "config" / "parley.yaml", environ={
        "PARLEY_STACK_VAR_DIR": str(tmp_path / "var"), "PARLEY_TRAEFIK_HEALTH_INTERVAL": "3s",
        "PARLEY_TRAEFIK_RATE_AVERAGE": "50", "PARLEY_TRAEFIK_RATE_BURST": "75"})
    http = discovery.dynamic_config(cfg, ["http://127.0.0.1:8101"])["http"]
    health = http["services"]["gateways"]["loadBalancer"]["healthCheck"]
    assert (health["path"], health["interval"]) == ("/readyz", "3s")
    (limit,) = [m["rateLimit"] for m in http["middlewares"].values() if "rateLimit" in m]
    assert limit == {"average": 50, "burst": 75}


# -- atomic replacement -----------------------------------------------------------
def test_the_file_is_replaced_not_rewritten_so_a_reader_never_sees_half_a_file(
        config, traefik_dir):
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    path = traefik_dir / "dynamic" / "parley.yml"
    with open(path) as being_read:  # Traefik in the middle of reading the old file
        discovery.register(config, "gateway-8102", "http://127.0.0.1:8102")
        old = yaml.safe_load(being_read.read())
    assert servers(old) == ["http://127.0.0.1:8101"]
    assert servers(yaml.safe_load(path.read_text())) == [
        "http://127.0.0.1:8101", "http://127.0.0.1:8102"]


def test_no_temporary_file_is_left_next_to_the_dynamic_file(config, traefik_dir):
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    discovery.withdraw(config, "gateway-8101")
    assert [p.name for p in (traefik_dir / "dynamic").iterdir()] == ["parley.yml"]


def test_a_failure_while_generating_leaves_the_previous_file_in_place(
        config, dynamic, monkeypatch):
    discovery.register(config, "gateway-8101", "http://127.0.0.1:8101")
    before = dynamic()

    def broken(cfg, urls):
        raise RuntimeError("disk full, say")

    monkeypatch.setattr(discovery, "dynamic_config", broken)
    with pytest.raises(RuntimeError):
        discovery.register(config, "gateway-8102", "http://127.0.0.1:8102")
    assert dynamic() == before


def test_concurrent_registrations_all_end_up_in_the_file(config, dynamic):
    urls = [f"http://127.0.0.1:{8100 + i}" for i in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda url: discovery.register(config, f"gw-{url[-4:]}", url), urls))
    assert servers(dynamic()) == sorted(urls)
