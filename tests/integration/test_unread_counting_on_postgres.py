"""Unread counting on real PostgreSQL (a scratch database migrated by the users
service's own Alembic scripts): the one statement that counts a message for every
member of a channel, however large, passes the members as arrays."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from services.common.events import Message
from services.users import storage
from services.users.models import Unread
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


def count(engine, message_: Message, members=MEMBERS) -> list[str]:
    with Session(engine) as session:
        counted = storage.count_message(session, message_, members)
        session.commit()
    return counted


def counters(engine, user_id) -> dict:
    with Session(engine) as session:
        return storage.counts(session.get(Unread, (user_id, "big")))


def test_every_member_but_the_sender_is_counted_and_the_named_get_a_mention(engine):
    counted = count(engine, message(1, mentions=["u007"]))
    assert len(counted) == 499 and "u000" not in counted
    assert counters(engine, "u007") == {"unread": 1, "mentions": 1, "read_seq": 0,
                                        "counted_seq": 1}
    assert counters(engine, "u499") == {"unread": 1, "mentions": 0, "read_seq": 0,
                                        "counted_seq": 1}
    count(engine, message(2, mentions=["channel"]))
    assert counters(engine, "u499") == {"unread": 2, "mentions": 1, "read_seq": 0,
                                        "counted_seq": 2}


def test_the_highest_seq_counted_stays_when_an_earlier_message_is_counted_later(engine):
    count(engine, message(7))
    count(engine, message(6))
    assert counters(engine, "u001")["counted_seq"] == 7


def test_a_member_who_read_past_the_message_is_not_counted(engine):
    count(engine, message(1))
    with Session(engine) as session:
        assert storage.reset_unread(session, "u001", "big", 5) == {
            "unread": 0, "mentions": 0, "read_seq": 5, "counted_seq": 1}
        session.commit()
    counted = count(engine, message(3))
    assert "u001" not in counted and counters(engine, "u002")["unread"] == 2
    with Session(engine) as session:
        assert storage.unread_counts(session, "u001") == {
            "big": {"unread": 0, "mentions": 0, "read_seq": 5, "counted_seq": 1}}
