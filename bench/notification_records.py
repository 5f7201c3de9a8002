"""What recording a message's notification decisions costs, by how many there are,
and reading the members' settings that decide them.

For every ``message.created`` the notifications consumer applies, the service records
one row per decision (a person and push or email) with ``INSERT … ON CONFLICT DO
NOTHING``: an @channel into a big channel decides for each member. This times
services/notifications/store.py's ``Store.record`` (one statement, its rows sent in
multi-row pages) against a statement per decision (how it was recorded before), on
the running PostgreSQL, in the notifications database, for messages of its own (rolled
back): the CPU this process spends per message and the time its statements take.
Before deciding, the service reads every member's settings once per channel and batch
(``Store.settings``, as plain tuples, defaults for people without a row); the ORM
objects it built before, one for each member, are timed beside it.

    .venv/bin/python -m bench.notification_records [--messages 10] [--sizes 5 50 500]

JSON in var/bench/notification_records.json.
"""
from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from bench.load.report import save_and_print
from services.common.config import get_config
from services.notifications.models import Notification, Settings
from services.notifications.store import Store

CHANNEL = "bench-" + "c" * 26
CONTENT = {"message_id": "m" * 24, "channel_id": CHANNEL, "title": "Ada in #general",
           "preview": "@channel the deploy is done", "url": "http://127.0.0.1:8000/#/c/x"}


def decisions(size: int) -> list[tuple[str, str, str, dict]]:
    return [(f"bench-{n:026}", "push", "channel", CONTENT) for n in range(size)]


def one_statement_each(session: Session, message_id: str, rows) -> int:
    """The way before: a statement per decision (its compiled form cached)."""
    recorded = 0
    for user_id, kind, reason, content in rows:
        recorded += session.execute(
            insert(Notification).values(message_id=message_id, user_id=user_id, kind=kind,
                                        channel_id=CHANNEL, seq=1, reason=reason,
                                        status="pending", attempts=0, last_error="",
                                        content=content)
            .on_conflict_do_nothing(index_elements=[Notification.message_id,
                                                    Notification.user_id,
                                                    Notification.kind])).rowcount
    return recorded


def store_record(session: Session, message_id: str, rows) -> int:
    return len(Store(session).record(message_id, CHANNEL, 1, rows))


def orm_settings(session: Session, user_ids: list[str]) -> int:
    """The way before: the rows as ORM objects, and one made for each person without."""
    rows = {row.user_id: row for row in session.scalars(
        select(Settings).where(Settings.user_id.in_(user_ids)))}
    return len({u: rows.get(u) or Settings(user_id=u, push_enabled=True, email_enabled=True,
                                           previews=True) for u in user_ids})


def members(rows) -> list[str]:
    return [user_id for user_id, *_ in rows]


WAYS = {   # name: (the rows of a message's decisions) -> how many it wrote or read
    "record: a statement per decision":
        lambda session, rows: one_statement_each(session, uuid.uuid4().hex[:24], rows),
    "record: Store.record":
        lambda session, rows: store_record(session, uuid.uuid4().hex[:24], rows),
    "settings: ORM objects": lambda session, rows: orm_settings(session, members(rows)),
    "settings: Store.settings":
        lambda session, rows: len(Store(session).settings(members(rows))),
}


def timing(session: Session, way, size: int, messages: int) -> dict:
    rows = decisions(size)
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        for _ in range(messages):
            assert way(session, rows) == size
        return {"decisions": size, "messages": messages,
                "cpu_ms_per_message": round((time.process_time() - cpu) / messages * 1000, 2),
                "ms_per_message": round((time.perf_counter() - wall) / messages * 1000, 2)}
    finally:
        session.rollback()   # nothing of the benchmark stays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10, help="messages per size and way")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 50, 500])
    args = parser.parse_args()
    cfg = get_config()
    engine = create_engine(cfg.postgres_url("parley_notifications"))
    rows = []
    with Session(engine) as session:
        for way in WAYS.values():
            timing(session, way, args.sizes[0], 3)   # warm: connection, statement caches
        for size in args.sizes:
            for name, way in WAYS.items():
                rows.append({"way": name} | timing(session, way, size, args.messages))
    engine.dispose()
    save_and_print("notification_records", {"rows": rows},
                   ["decisions", "way", "CPU ms per message", "ms per message"],
                   [[row["decisions"], row["way"], row["cpu_ms_per_message"],
                     row["ms_per_message"]] for row in rows],
                   Path(cfg["stack.var_dir"]) / "bench")

if __name__ == "__main__":
    main()
