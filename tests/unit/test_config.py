"""services/common/config.py: defaults, environment overrides, secrets, URLs."""
from __future__ import annotations

import stat

import pytest
import yaml
from sqlalchemy.engine import make_url

from services.common.config import load_config


# -- defaults ---------------------------------------------------------------
def test_every_key_defaults_to_its_value_in_parley_yaml(make_config, defaults):
    cfg = make_config()
    for section, values in defaults.items():
        for key, value in values.items():
            assert cfg[f"{section}.{key}"] == value, f"{section}.{key}"


def test_a_section_is_returned_as_a_copy_that_cannot_change_the_config(make_config, defaults):
    cfg = make_config()
    section = cfg.section("postgres")
    assert section == defaults["postgres"]
    section["port"] = -1
    assert cfg["postgres.port"] == defaults["postgres"]["port"]


def test_an_unknown_key_is_a_key_error(make_config):
    cfg = make_config()
    with pytest.raises(KeyError):
        cfg["postgres.no_such_key"]


def test_parley_config_file_names_the_file_to_read(tmp_path, monkeypatch):
    other = tmp_path / "elsewhere.yaml"
    other.write_text(yaml.safe_dump({"stack": {"var_dir": "v", "host": "10.1.2.3"}}))
    monkeypatch.setenv("PARLEY_CONFIG_FILE", str(other))
    assert load_config(environ={})["stack.host"] == "10.1.2.3"


# -- environment overrides ---------------------------------------------------
def test_an_override_of_a_number_is_parsed_as_a_number(make_config):
    cfg = make_config(PARLEY_POSTGRES_PORT="6543")
    assert cfg["postgres.port"] == 6543
    assert isinstance(cfg["postgres.port"], int)


def test_an_override_of_a_list_is_parsed_as_yaml(make_config):
    assert make_config(PARLEY_GATEWAY_INSTANCES="[8201, 8202]")["gateway.instances"] == [8201, 8202]


def test_an_override_of_a_mapping_is_parsed_as_yaml(make_config):
    cfg = make_config(PARLEY_SERVICES_METRICS_BASE="{auth: 9300, users: 9310}")
    assert cfg["services.metrics_base"] == {"auth": 9300, "users": 9310}


def test_an_override_of_a_string_keeps_the_raw_text_even_when_it_looks_like_yaml(make_config):
    cfg = make_config(PARLEY_JWT_SECRET="12345", PARLEY_TRAEFIK_HEALTH_INTERVAL="[2]",
                      PARLEY_STACK_HOST="0.0.0.0")
    assert cfg["jwt.secret"] == "12345"
    assert cfg["traefik.health_interval"] == "[2]"
    assert cfg["stack.host"] == "0.0.0.0"


def test_an_override_changes_only_the_key_it_names(make_config, defaults):
    cfg = make_config(PARLEY_REDIS_PORT="6380")
    assert cfg["redis.port"] == 6380
    assert cfg["redis.url"] == defaults["redis"]["url"]
    assert cfg["postgres.port"] == defaults["postgres"]["port"]


def test_a_variable_that_names_no_key_is_ignored(make_config):
    cfg = make_config(PARLEY_POSTGRES_NOPE="1", PARLEY_NOSECTION_PORT="2")
    with pytest.raises(KeyError):
        cfg["postgres.nope"]
    with pytest.raises(KeyError):
        cfg["nosection.port"]


def test_overrides_come_from_the_process_environment_by_default(config_file, monkeypatch):
    monkeypatch.setenv("PARLEY_KAFKA_PARTITIONS", "12")
    assert load_config(config_file)["kafka.partitions"] == 12


# -- the var dir -------------------------------------------------------------
def test_a_relative_var_dir_is_under_the_repository_root(make_config, tmp_path):
    cfg = make_config(PARLEY_STACK_VAR_DIR="state")
    assert cfg.var_dir == tmp_path / "state"


def test_an_absolute_var_dir_is_used_as_it_is(make_config, tmp_path):
    elsewhere = tmp_path / "elsewhere" / "state"
    assert make_config(PARLEY_STACK_VAR_DIR=str(elsewhere)).var_dir == elsewhere


# -- secrets -----------------------------------------------------------------
def test_an_empty_secret_is_generated_once_into_a_private_file(make_config):
    cfg = make_config()
    secret = cfg.secret("jwt.secret")
    path = cfg.var_dir / "secrets" / "jwt_secret"
    assert len(secret) >= 32
    assert path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_generated_secret_is_reused_by_every_later_start(make_config):
    first = make_config().secret("jwt.secret")
    assert make_config().secret("jwt.secret") == first
    assert make_config().jwt_secret == first


def test_each_secret_key_gets_its_own_value(make_config):
    cfg = make_config()
    access, secret = cfg.s3_credentials()
    values = {cfg.jwt_secret, cfg.secret("postgres.password"), access, secret}
    assert len(values) == 4
    assert sorted(p.name for p in (cfg.var_dir / "secrets").iterdir()) == [
        "jwt_secret", "postgres_password", "s3_access_key", "s3_secret_key"]


def test_a_configured_secret_wins_and_nothing_is_written(make_config):
    cfg = make_config(PARLEY_JWT_SECRET="from-the-environment")
    assert cfg.jwt_secret == "from-the-environment"
    assert not (cfg.var_dir / "secrets" / "jwt_secret").exists()


def test_a_secret_written_by_another_process_first_is_used(make_config):
    cfg = make_config()
    path = cfg.var_dir / "secrets" / "postgres_password"
    path.parent.mkdir(parents=True)
    path.write_text("written-by-someone-else\n")
    assert cfg.secret("postgres.password") == "written-by-someone-else"


def test_a_secret_can_be_stored_under_another_file_name(make_config):
    cfg = make_config()
    value = cfg.secret("jwt.secret", generated_name="signing_key")
    assert (cfg.var_dir / "secrets" / "signing_key").read_text().strip() == value
    assert not (cfg.var_dir / "secrets" / "jwt_secret").exists()


# -- postgres_url --------------------------------------------------------------
def test_postgres_url_names_user_generated_password_host_port_and_database(make_config):
    cfg = make_config(PARLEY_POSTGRES_HOST="db.internal", PARLEY_POSTGRES_PORT="6543")
    url = make_url(cfg.postgres_url("parley_auth"))
    assert url.drivername == "postgresql+psycopg2"
    assert url.username == cfg["postgres.user"]
    assert url.password == (cfg.var_dir / "secrets" / "postgres_password").read_text().strip()
    assert (url.host, url.port, url.database) == ("db.internal", 6543, "parley_auth")


def test_postgres_url_uses_a_configured_password_and_another_driver(make_config):
    cfg = make_config(PARLEY_POSTGRES_PASSWORD="s3cret")
    url = make_url(cfg.postgres_url("parley_users", driver="postgresql+asyncpg"))
    assert (url.drivername, url.password, url.database) == (
        "postgresql+asyncpg", "s3cret", "parley_users")


def test_postgres_url_escapes_a_password_with_url_characters(make_config):
    password = "p@ss/w:rd#1%?"
    cfg = make_config(PARLEY_POSTGRES_PASSWORD=password)
    url = make_url(cfg.postgres_url("parley_auth"))
    assert (url.password, url.host, url.database) == (password, cfg["postgres.host"],
                                                      "parley_auth")
