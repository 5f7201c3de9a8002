"""What counting a message as unread costs the users service, by channel size.

Every ``message.created`` the users consumer applies runs services/users/storage.py's
``count_message``: one statement that adds 1 unread (and maybe a mention) for every
member but the sender. This times that call, and the commit after it, on the running
PostgreSQL, in the users database, into channels of its own (deleted afterwards):
the CPU this process spends per message (building and sending the statement, reading
the counters back) and the time until the commit returns.

    .venv/bin/python -m bench.unread_counting [--messages 40] [--sizes 5 50 500]

JSON in var/bench/unread_counting.json.
"""
from __future__ import annotations

import argparse
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, delete
from sqlalchemy.orm import Session

from bench.load.report import save_and_print
from services.common.config import get_config
from services.common.events import Message
from services.users import storage
from services.users.models import Unread


def message(channel_id: str, seq: int, mentioned: str) -> Message:
    return Message.model_validate({
        "id": uuid.uuid4().hex[:24], "channel_id": channel_id, "seq": seq,
        "sender_id": "bench-sender", "client_msg_id": f"bench-{seq}", "text": "hello",
        "created_at": datetime.now(timezone.utc).isoformat(), "mentions": [mentioned]})


def counting(session: Session, size: int, messages: int) -> dict:
    """``messages`` messages into a channel of ``size`` members, one commit each."""
    channel_id = f"bench-{uuid.uuid4().hex[:20]}"
    members = [f"bench-{uuid.uuid4().hex[:20]}" for _ in range(size)]
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        for seq in range(1, messages + 1):
            counted = storage.count_message(session, message(channel_id, seq, members[0]),
                                            members)
            session.commit()
        assert len(counted) == size and counted[members[0]]["mentions"] == messages
        return {"members": size, "messages": messages,
                "cpu_ms_per_message": round((time.process_time() - cpu) / messages * 1000, 2),
                "ms_per_message": round((time.perf_counter() - wall) / messages * 1000, 2)}
    finally:
        session.rollback()
        session.execute(delete(Unread).where(Unread.channel_id == channel_id))
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=40, help="messages per channel")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 50, 500])
    args = parser.parse_args()
    cfg = get_config()
    engine = create_engine(cfg.postgres_url("parley_users"))
    with Session(engine) as session:
        counting(session, args.sizes[0], 5)   # warm: connection, statement cache
        rows = [counting(session, size, args.messages) for size in args.sizes]
    engine.dispose()
    save_and_print("unread_counting", {"rows": rows},
                   ["members", "CPU ms per message", "ms per message"],
                   [[row["members"], row["cpu_ms_per_message"], row["ms_per_message"]]
                    for row in rows], Path(cfg["stack.var_dir"]) / "bench")

if __name__ == "__main__":
    main()
