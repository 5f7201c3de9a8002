"""Users' audit log (docs/audit.md): a role change, a deactivation and a
reactivation each write one row in the transaction of the change, by the person
who made it (None: an admin job); a refused or empty change writes none; only
owners and admins read the log."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.common.errors import Forbidden, InvalidInput
from services.users.models import AuditEntry


def rows(session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


@pytest.fixture
def quiet(people, session):
    """The workspace, with the rows its setup wrote (roles given by admin jobs) read."""
    setup = len(rows(session))
    return lambda: rows(session)[setup:]


def test_the_setup_roles_were_recorded_as_the_systems(people, session):
    assert {(r.action, r.actor_id, r.target_id, r.details["to"]) for r in rows(session)} == {
        ("users.role_changed", None, "ada", "admin"), ("users.role_changed", None, "gus", "guest")}


def test_a_role_change_writes_one_row_with_the_roles_before_and_after(people, quiet):
    people.set_role("olive", "mo", "admin")
    (row,) = quiet()
    assert (row.action, row.actor_id, row.target_type, row.target_id) == (
        "users.role_changed", "olive", "user", "mo")
    assert row.details == {"from": "member", "to": "admin"}
    assert (row.request_id, row.ip) == ("req-1", "203.0.113.7")


def test_asking_for_the_role_already_held_writes_nothing(people, quiet):
    people.set_role("olive", "mo", "member")
    assert quiet() == []


def test_a_refused_role_change_writes_nothing(people, session, quiet):
    with pytest.raises(Forbidden):
        people.set_role("mo", "max", "admin")
    session.rollback()
    assert quiet() == []


def test_deactivating_and_reactivating_write_one_row_each(people, quiet):
    people.deactivate("ada", "mo")
    people.deactivate("ada", "mo")  # a repeat tells auth again but records nothing
    people.reactivate("ada", "mo")
    assert [(r.action, r.actor_id, r.target_id) for r in quiet()] == [
        ("users.deactivated", "ada", "mo"), ("users.reactivated", "ada", "mo")]


def test_an_admin_job_is_recorded_with_no_actor(people, quiet):
    people.admin_deactivate("max@example.com")
    (row,) = quiet()
    assert (row.action, row.actor_id, row.target_id) == ("users.deactivated", None, "max")


def test_owners_and_admins_read_the_log_newest_first(people, quiet):
    people.set_role("olive", "mo", "guest")
    people.deactivate("ada", "max")
    page = people.audit_log("ada", limit=1)
    assert [e["action"] for e in page["entries"]] == ["users.deactivated"]
    rest = people.audit_log("olive", cursor=page["next_cursor"], action="users.role_changed",
                            target_id="mo")
    assert [(e["source"], e["details"]) for e in rest["entries"]] == [
        ("users", {"from": "member", "to": "guest"})]


@pytest.mark.parametrize("reader", ["mo", "gus", "nobody"])
def test_members_guests_and_strangers_may_not_read_it(people, reader):
    with pytest.raises(Forbidden) as caught:
        people.audit_log(reader)
    assert caught.value.code == "forbidden"


def test_a_deactivated_admin_may_not_read_it(people):
    people.deactivate("olive", "ada")
    with pytest.raises(Forbidden):
        people.audit_log("ada")


def test_a_bad_filter_is_invalid_input(people):
    with pytest.raises(InvalidInput):
        people.audit_log("olive", until="yesterday")
