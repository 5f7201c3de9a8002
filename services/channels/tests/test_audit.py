"""Channels' audit log (docs/audit.md): removing someone else, archiving,
unarchiving, renaming and the admin jobs each write one row in the transaction of
the change; everyday membership and refused or empty requests write none; only
owners and admins read the log."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.channels.models import AuditEntry
from services.common.errors import Forbidden, InvalidInput


def rows(session) -> list[tuple]:
    return [(r.action, r.actor_id, r.target_id, r.details)
            for r in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def general(channels):
    """#general, created by Ada; Bob and Cy in it."""
    channel = channels.create("ada", "general")
    channels.join("bob", channel["id"])
    channels.join("cy", channel["id"])
    return channel["id"]


def test_creating_joining_inviting_leaving_and_the_topic_write_nothing(channels, session,
                                                                        general):
    channels.invite("bob", general, ["dee"])
    channels.leave("cy", general)
    channels.update("bob", general, topic="lunch")
    channels.remove("bob", general, "bob")  # removing oneself is leaving
    assert rows(session) == []


def test_an_admin_removing_someone_writes_one_row(channels, session, general):
    channels.remove("admin", general, "bob")
    channels.remove("admin", general, "bob")  # a repeat removes nobody and records nothing
    row = rows(session)
    assert row == [("channels.member_removed", "admin", general,
                    {"user_id": "bob", "kind": "public"})]
    stored = session.scalars(select(AuditEntry)).one()
    assert (stored.target_type, stored.request_id, stored.ip) == ("channel", "req-1",
                                                                  "203.0.113.7")


def test_archiving_and_unarchiving_write_one_row_each(channels, session, general):
    channels.archive("owner", general)
    channels.archive("owner", general)
    channels.unarchive("ada", general)
    assert [(a, actor) for a, actor, _, _ in rows(session)] == [
        ("channels.archived", "owner"), ("channels.unarchived", "ada")]


def test_a_rename_records_the_old_and_new_names(channels, session, general):
    channels.update("ada", general, name="town-square", purpose="everyone")
    assert rows(session) == [("channels.renamed", "ada", general,
                              {"from": "general", "to": "town-square"})]


def test_a_refused_change_writes_nothing(channels, session, general):
    with pytest.raises(Forbidden):
        channels.archive("bob", general)
    with pytest.raises(Forbidden):
        channels.remove("cy", general, "bob")
    session.rollback()
    assert rows(session) == []


def test_admin_jobs_are_recorded_with_no_actor(channels, session, general):
    channels.admin_add_member("general", "dee")
    channels.admin_archive(general)
    assert [(a, actor) for a, actor, _, _ in rows(session)] == [
        ("channels.member_added", None), ("channels.archived", None)]


def test_admins_read_the_log_newest_first_with_filters(channels, general):
    channels.remove("admin", general, "bob")
    channels.archive("admin", general)
    page = channels.audit_log("owner", limit=1)
    assert [e["action"] for e in page["entries"]] == ["channels.archived"]
    rest = channels.audit_log("admin", cursor=page["next_cursor"])
    assert [e["action"] for e in rest["entries"]] == ["channels.member_removed"]
    assert rest["next_cursor"] is None
    assert channels.audit_log("admin", actor="ada")["entries"] == []


@pytest.mark.parametrize("reader", ["ada", "gus"])
def test_members_and_guests_may_not_read_it(channels, reader):
    with pytest.raises(Forbidden) as caught:
        channels.audit_log(reader)
    assert caught.value.code == "forbidden"


def test_a_bad_filter_is_invalid_input(channels):
    with pytest.raises(InvalidInput):
        channels.audit_log("admin", limit="many")
