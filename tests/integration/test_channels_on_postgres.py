"""The channels service's storage under concurrent writers, and its migrations, on the
real PostgreSQL (a scratch database migrated by the service's own Alembic scripts).

What SQLite in the unit tests cannot show: two people opening the same DM in the
same instant meet on the unique member key and get one conversation; the same
message applied twice at once is counted once."""
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
