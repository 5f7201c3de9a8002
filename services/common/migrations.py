"""Databases and Alembic migrations of the PostgreSQL-backed services.

Each such service owns ``services/<name>/migrations`` (Alembic scripts) whose
``env.py`` calls :func:`run_alembic_env`. ``parley-migrate`` creates each
service's database if needed and upgrades it to head; it is idempotent.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import psycopg2
from alembic import command, context
from alembic.config import Config as AlembicConfig
from psycopg2 import sql
from sqlalchemy import create_engine, pool

from .catalog import POSTGRES_SERVICES
from .config import get_config
from .logging import configure_logging, get_logger


SERVICES_DIR = Path(__file__).resolve().parents[1]

log = get_logger(__name__)


def database_name(service: str) -> str:
    return f"parley_{service}"


def ensure_database(service: str) -> None:
    cfg = get_config()
    conn = psycopg2.connect(host=cfg["postgres.host"], port=cfg["postgres.port"],
                            user=cfg["postgres.user"],
                            password=cfg.secret("postgres.password"), dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database_name(service),))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(
                    sql.Identifier(database_name(service))))
                log.info("database_created", database=database_name(service))
    finally:
        conn.close()


def alembic_config(service: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url",
                        get_config().postgres_url(database_name(service)).replace("%", "%%"))
    return cfg


def upgrade(service: str) -> None:
    ensure_database(service)
    command.upgrade(alembic_config(service), "head")
    log.info("database_migrated", service=service)


def run_alembic_env(target_metadata) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Create and upgrade Parley's databases")
    parser.add_argument("services", nargs="*", default=list(POSTGRES_SERVICES))
    args = parser.parse_args(argv)
    configure_logging("migrate")
    for service in args.services:
        upgrade(service)


if __name__ == "__main__":
    main()
