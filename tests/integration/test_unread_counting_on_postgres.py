"""Unread counting on real PostgreSQL (a scratch database migrated by the users
service's own Alembic scripts): the one statement that counts a message for every
member of a channel, however large, passes the members as arrays."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from services.common.events import Message
from services.users import storage
from tests.support.postgres import scratch_database

MEMBERS = [f"u{n:03}" for n in range(500)]


@pytest.fixture
def engine(stack):
    with scratch_database(stack, "users") as (engine, _):
        yield engine


def message(seq: int, mentions=()) -> Message:
    return Message.model_validate({
        "id": f"m{seq}", "channel_id": "big", "seq": seq, "sender_id": "u000",
        "client_msg_id": f"c{seq}", "text": "hello", "created_at": "2026-11-24T12:00:00Z",
        "mentions": list(mentions)})


def count(engine, message_: Message, members=MEMBERS) -> dict[str, dict]:
    with Session(engine) as session:
        counted = storage.count_message(session, message_, members)
        session.commit()
    return counted


def test_every_member_but_the_sender_is_counted_and_the_named_get_a_mention(engine):
    counted = count(engine, message(1, mentions=["u007"]))
    assert len(counted) == 499 and "u000" not in counted
    assert counted["u007"] == {"unread": 1, "mentions": 1}
    assert counted["u499"] == {"unread": 1, "mentions": 0}
    assert count(engine, message(2, mentions=["channel"]))["u499"] == {"unread": 2, "mentions": 1}


def test_a_member_who_read_past_the_message_is_not_counted(engine):
    count(engine, message(1))
    with Session(engine) as session:
        assert storage.reset_unread(session, "u001", "big", 5) == {"unread": 0, "mentions": 0}
        session.commit()
    counted = count(engine, message(3))
    assert "u001" not in counted and counted["u002"] == {"unread": 2, "mentions": 0}
    with Session(engine) as session:
        assert storage.unread_counts(session, "u001") == {
            "big": {"unread": 0, "mentions": 0, "read_seq": 5}}
