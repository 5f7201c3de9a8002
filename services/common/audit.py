"""The audit log: who did what security-relevant thing, to whom, when, from where.

Each service that owns such actions (auth, users, channels) keeps an ``audit_log``
table in its own database and writes a row in the same transaction as the action
it records, so an action and its record commit or fail together: there is no
record of a change that did not happen, and no change without its record. The
table refuses UPDATE and DELETE (a trigger, :func:`append_only_ddl`), so not even
the service's own database user can rewrite history. Why this design:
docs/audit.md.

What is here, shared by the three services:

- :class:`AuditLogColumns`: the table's columns, mixed into each service's model;
- :class:`AuditTrail`: a dependency provider whose writer stamps each row with the
  request id and client address the gateway sent along with the call;
- :class:`AuditQuery` and :func:`page`: filters and keyset paging (newest first,
  by ``(at, id)``), what each service's ``audit_log`` RPC answers;
- :func:`check_may_read`: only owners and admins read it;
- :class:`AuditLogEntrypoints`: the ``audit_log`` and ``admin_audit_log`` RPCs.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from nameko.extensions import DependencyProvider
from pydantic import BaseModel, ConfigDict, Field, field_validator
import sqlalchemy as sa
from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, and_, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .cursors import decode_cursor, entry_cursor
from .errors import Forbidden, InvalidInput
from .rpc_entrypoint import rpc
from .times import as_utc
from .validation import plain_text, validated

TABLE = "audit_log"
READERS = ("owner", "admin")
MAX_PAGE = 200

# Keys that must never reach a row's details: what a record holds is readable by
# every admin, for as long as the log is kept.
SECRET_WORDS = ("password", "token", "secret", "hash", "link")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AuditLogColumns:
    """The columns of every service's ``audit_log`` (mixed into its declarative Base).

    ``action`` is a stable code such as ``auth.login_failed`` (docs/audit.md lists
    them); ``actor_id`` is None when the system acted (an admin job in `nameko
    shell`) or nobody is known (a failed login for an unknown address)."""

    __tablename__ = TABLE

    # BIGSERIAL on PostgreSQL; SQLite (unit tests) only autoincrements INTEGER keys
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict] = mapped_column(JSON().with_variant(JSONB, "postgresql"))
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)

    @declared_attr.directive
    def __table_args__(cls):
        return (Index("ix_audit_log_target", "target_type", "target_id"),)

    def to_dict(self, source: str) -> dict[str, Any]:
        return {"source": source, "id": self.id, "at": as_utc(self.at).isoformat(),
                "actor_id": self.actor_id, "action": self.action,
                "target_type": self.target_type, "target_id": self.target_id,
                "details": self.details or {}, "request_id": self.request_id, "ip": self.ip}


def check_details(details: dict[str, Any]) -> dict[str, Any]:
    """Refuse (a programming error, not bad input) details that look like they
    carry a password, token or link, at any depth."""
    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if any(word in str(key).lower() for word in SECRET_WORDS):
                    raise ValueError(f"audit details may not hold {path}{key}")
                walk(inner, f"{path}{key}.")
        elif isinstance(value, (list, tuple)):
            for inner in value:
                walk(inner, path)
    walk(details, "")
    return details


class AuditWriter:
    """Adds audit rows to the caller's SQLAlchemy session (never commits: the row
    belongs to the caller's transaction). One per worker, stamped with the call's
    request id and the client address the gateway saw."""

    def __init__(self, model: type, request_id: str | None = None, ip: str | None = None):
        self.model = model
        self.request_id = request_id
        self.ip = ip

    def record(self, db, action: str, *, actor_id: str | None, target_type: str,
               target_id: str | None = None, details: dict[str, Any] | None = None,
               ip: str | None = None) -> Any:
        row = self.model(at=utcnow(), actor_id=actor_id, action=action,
                         target_type=target_type, target_id=target_id,
                         details=check_details(dict(details or {})),
                         request_id=self.request_id, ip=ip or self.ip)
        db.add(row)
        return row


class AuditTrail(DependencyProvider):
    """``audit = AuditTrail(AuditEntry)`` on a service: ``self.audit`` is an
    :class:`AuditWriter` for that worker. The gateway sends the client's address
    as the ``nameko.client_ip`` header next to ``nameko.request_id``; nested calls
    pass both on, so users' call to ``auth.deactivate`` keeps the admin's."""

    def __init__(self, model: type):
        self.model = model

    def get_dependency(self, worker_ctx):
        return AuditWriter(self.model, worker_ctx.data.get("request_id"),
                           worker_ctx.data.get("client_ip"))


class AuditQuery(BaseModel):
    """Filters of the ``audit_log`` RPC; every one optional. ``actor`` is the
    actor's user id (the RPC's own ``actor_id`` is the reader's); ``since`` is
    inclusive, ``until`` exclusive; ``cursor`` is the previous page's ``next_cursor``."""

    model_config = ConfigDict(extra="forbid")

    action: str | None = Field(None, min_length=1, max_length=64)
    actor: str | None = Field(None, min_length=1, max_length=32)
    target_type: str | None = Field(None, min_length=1, max_length=32)
    target_id: str | None = Field(None, min_length=1, max_length=64)
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=MAX_PAGE)

    @field_validator("action", "actor", "target_type", "target_id")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else plain_text(value)  # PostgreSQL text holds no NUL

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2026-01-01T00:00:00Z)")
        return value


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    key = decode_cursor(cursor, 2)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(key[0]), int(key[1])
    except ValueError:
        raise InvalidInput("cursor: not a cursor from a previous page") from None


def page(db, model: type, query: AuditQuery, source: str) -> dict[str, Any]:
    """One page of entries matching ``query``, newest first, and the cursor of the
    next page (None at the end). Keyset paging by ``(at, id)``: entries written
    while someone pages never shift or repeat what they see."""
    statement = select(model)
    for name, column in (("action", model.action), ("actor", model.actor_id),
                         ("target_type", model.target_type), ("target_id", model.target_id)):
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(column == value)
    if query.since is not None:
        statement = statement.where(model.at >= query.since)
    if query.until is not None:
        statement = statement.where(model.at < query.until)
    after = _position(query.cursor)
    if after is not None:
        at, entry_id = after
        statement = statement.where(or_(model.at < at, and_(model.at == at, model.id < entry_id)))
    rows = list(db.scalars(statement.order_by(model.at.desc(), model.id.desc())
                           .limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    return {"entries": [row.to_dict(source) for row in rows],
            "next_cursor": entry_cursor(rows[-1].at, rows[-1].id) if more else None}


def check_may_read(access: dict[str, Any]) -> None:
    """Owners and admins of the workspace read the audit log; nobody else."""
    if not access.get("active") or access.get("role") not in READERS:
        raise Forbidden("only workspace owners and admins may read the audit log")


def create_table(op) -> None:
    """The table and its append-only trigger, for a service's Alembic migration (the
    same columns as :class:`AuditLogColumns`)."""
    op.create_table(
        TABLE,
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(32), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=True),
        sa.Column("details", JSONB(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    op.create_index("ix_audit_log_at", TABLE, ["at"])
    op.create_index("ix_audit_log_actor_id", TABLE, ["actor_id"])
    op.create_index("ix_audit_log_action", TABLE, ["action"])
    op.create_index("ix_audit_log_target", TABLE, ["target_type", "target_id"])
    for statement in append_only_ddl():
        op.execute(statement)


def drop_table(op) -> None:
    for statement in drop_append_only_ddl():
        op.execute(statement)
    op.drop_table(TABLE)


def read(db, model: type, source: str, query: AuditQuery,
         access: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a service's ``audit_log`` RPC answers: a page, if the reader (their
    ``users.access``; None for the system, an operator in `nameko shell`) may read."""
    if access is not None:
        check_may_read(access)
    return page(db, model, query, source)


class AuditLogEntrypoints:
    """The RPCs that read a service's audit log, mixed into the service class. The
    service has ``db`` (nameko-sqlalchemy), sets ``audit_model`` and says what the
    reader may do with ``reader_access(actor_id)`` (``users.access`` shape)."""

    audit_model: type

    def reader_access(self, actor_id) -> dict[str, Any]:
        raise NotImplementedError

    @rpc
    def audit_log(self, actor_id, **filters):
        """This service's audit entries, newest first, a page at a time (filters:
        :class:`AuditQuery`): for workspace owners and admins only."""
        check_may_read(self.reader_access(actor_id))  # before the filters: a stranger
        query = validated(AuditQuery, **filters)      # learns nothing, not even bad input
        return page(self.db.session, self.audit_model, query, self.name)

    @rpc
    def admin_audit_log(self, **filters):
        """For operators in `nameko shell`: the system reads, no role needed."""
        return read(self.db.session, self.audit_model, self.name,
                    validated(AuditQuery, **filters))


def append_only_ddl(table: str = TABLE) -> list[str]:
    """PostgreSQL statements that make ``table`` append-only: a trigger refuses
    every UPDATE and DELETE (also TRUNCATE), whoever runs it, the service's own
    user included. Used by each service's migration."""
    function = f"{table}_is_append_only"
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{table} is append-only: % is not allowed', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER {table}_no_update_or_delete
            BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_no_truncate
            BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
    ]


def drop_append_only_ddl(table: str = TABLE) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_update_or_delete ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_is_append_only()"]
