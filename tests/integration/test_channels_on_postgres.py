"""The channels service's storage under concurrent writers, and its migrations, on the
real PostgreSQL (a scratch database migrated by the service's own Alembic scripts).

What SQLite in the unit tests cannot show: two people opening the same DM in the
same instant meet on the unique member key and get one conversation; the same
message applied twice at once is counted once; deliveries and reads racing on one
membership leave its cursors at the highest seq."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.channels.models import Channel, Membership
from services.channels.store import Store
from services.common.events import Message
from tests.support.postgres import race, scratch_database

WRITERS = 8


@pytest.fixture
def engine(stack):
    with scratch_database(stack, "channels", pool_size=WRITERS) as (engine, _):
        yield engine


def count(engine, model, *where) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_people_opening_one_conversation_at_once_get_one(engine):
    people = ["ann", "bob", "cy"]

    def open_it(session, i):
        channel, created = Store(session).insert_conversation(people[i % 3], people)
        if created:
            for person in people:
                Store(session).add_member(channel.id, person)
        return channel.id, created

    outcomes = race(engine, WRITERS, open_it)
    assert len({channel_id for channel_id, _ in outcomes}) == 1, outcomes
    assert sorted(created for _, created in outcomes) == [False] * (WRITERS - 1) + [True]
    assert count(engine, Channel) == 1 and count(engine, Membership) == 3


def test_creators_racing_for_one_name_get_one_channel(engine):
    outcomes = race(engine, WRITERS, lambda session, i: Store(session).insert_channel(
        f"user{i}", "general", False)[1])
    assert sorted(outcomes) == [False] * (WRITERS - 1) + [True]
    assert count(engine, Channel) == 1


def test_one_message_applied_at_once_by_several_consumers_counts_once(engine):
    with Session(engine) as session:
        channel, _ = Store(session).insert_channel("ann", "general", False)
        channel_id = channel.id
        session.commit()
    message = Message(id="0" * 23 + "1", channel_id=channel_id, seq=1, sender_id="ann",
                      client_msg_id="c-1", text="hi",
                      created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    outcomes = race(engine, WRITERS, lambda session, i: Store(session).apply_message(message))
    assert sorted(outcomes) == [False] * (WRITERS - 1) + [True]
    with Session(engine) as session:
        assert session.get(Channel, channel_id).message_count == 1


def test_the_migration_keeps_existing_channels_and_counts_and_can_be_undone(stack):
    with scratch_database(stack, "channels", revision="0001") as (engine, config):
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO channels (id, name, is_private, created_by, last_message_seq) "
                "VALUES ('c1', 'secret', true, 'ann', 7), ('c2', 'general', false, 'ann', 0)"))
            connection.execute(text(
                "INSERT INTO memberships (channel_id, user_id) VALUES ('c1', 'ann')"))
        command.upgrade(config, "head")
        with Session(engine) as session:
            secret, general = session.get(Channel, "c1"), session.get(Channel, "c2")
            assert (secret.kind, secret.message_count) == ("private", 7)
            assert (general.kind, general.message_count, general.archived_at) == ("public", 0,
                                                                                  None)
            mine = session.get(Membership, ("c1", "ann"))
            assert (mine.last_read_seq, mine.notification_level, mine.muted) == (0, "all", False)
        command.downgrade(config, "0001")
        command.upgrade(config, "head")
        assert count(engine, Channel) == 2


def test_concurrent_deliveries_and_reads_leave_each_cursor_at_the_highest_seq(engine):
    """Devices acknowledging and reading at once, in any order: the row lock makes
    each UPDATE re-check its WHERE on the latest row, so no cursor moves back."""
    with Session(engine) as session:
        channel, _ = Store(session).insert_channel("ann", "general", False)
        channel_id = channel.id
        Store(session).add_member(channel_id, "bob")
        session.commit()
    seqs = [5, 9, 2, 7, 9, 1, 8, 3]

    def move(session, i):
        _, moved = Store(session).move_cursors(channel_id, "bob", seqs[i], read=i % 2 == 1)
        return moved

    outcomes = race(engine, WRITERS, move)
    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    with Session(engine) as session:
        bob = session.get(Membership, (channel_id, "bob"))
        assert (bob.last_delivered_seq, bob.last_read_seq) == (9, max(seqs[1::2]))


def test_receipt_counts_are_one_aggregate_over_the_other_members(engine):
    with Session(engine) as session:
        store = Store(session)
        channel, _ = store.insert_channel("ann", "general", False)
        for person, delivered, read in [("ann", 9, 9), ("bob", 4, 4), ("cy", 6, 0),
                                        ("dee", 2, 0)]:
            store.add_member(channel.id, person)
            store.move_cursors(channel.id, person, delivered, read=False)
            store.move_cursors(channel.id, person, read, read=True)
        session.commit()
        assert store.receipt_counts(channel.id, "ann", 4) == {"members": 3, "delivered": 2,
                                                              "seen": 1}


def test_the_delivered_cursor_migration_starts_it_at_the_read_cursor(stack):
    with scratch_database(stack, "channels", revision="0002") as (engine, config):
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO channels (id, name, created_by) VALUES ('c1', 'general', 'ann')"))
            connection.execute(text(
                "INSERT INTO memberships (channel_id, user_id, last_read_seq) "
                "VALUES ('c1', 'ann', 7), ('c1', 'bob', 0)"))
        command.upgrade(config, "head")
        with Session(engine) as session:
            assert session.get(Membership, ("c1", "ann")).last_delivered_seq == 7
            assert session.get(Membership, ("c1", "bob")).last_delivered_seq == 0
        command.downgrade(config, "0002")
        with engine.connect() as connection:
            columns = connection.execute(text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'memberships'")).scalars().all()
        assert "last_delivered_seq" not in columns
