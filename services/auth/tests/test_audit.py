"""Auth's audit log (docs/audit.md): each security-relevant action writes one row
in the same transaction, a failed sign-in writes its row in its own, no row holds a
secret, and only owners and admins read the log."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from services.auth.models import AuditEntry, Credential, Session
from services.common.errors import Forbidden, InvalidInput, RateLimited, Unauthenticated

from .test_passwords_and_deactivation import NEW_PASSWORD, PASSWORD, reset_token


@pytest.fixture
def ada(auth):
    return auth.register("ada@example.com", PASSWORD, "Ada")["user_id"]


def rows(session, action=None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))


def test_registering_writes_no_audit_row(auth, session, ada):
    assert rows(session) == []


def test_a_sign_in_writes_one_row_naming_the_account_session_request_and_address(
        auth, session, ada):
    pair = auth.login("ada@example.com", PASSWORD, ip="198.51.100.4")
    (row,) = rows(session)
    assert (row.action, row.actor_id, row.target_type, row.target_id) == (
        "auth.login_succeeded", ada, "account", ada)
    assert row.details == {"session_id": pair["session_id"]}
    assert (row.request_id, row.ip) == ("req-1", "198.51.100.4")


def test_a_wrong_password_is_recorded_although_the_sign_in_fails(auth, session, ada):
    with pytest.raises(Unauthenticated):
        auth.login("ada@example.com", "wrong password!", ip="198.51.100.4")
    session.rollback()  # what the worker's session would do: the row was committed
    (row,) = rows(session)
    assert (row.action, row.actor_id, row.target_id) == ("auth.login_failed", None, ada)
    assert row.details == {"email": "ada@example.com", "reason": "unauthenticated"}
    assert session.scalars(select(Session)).all() == []


def test_a_sign_in_to_an_unknown_address_is_recorded_without_an_account(auth, session):
    with pytest.raises(Unauthenticated):
        auth.login("nobody@example.com", "whatever pass")
    (row,) = rows(session)
    assert (row.action, row.target_id, row.details["email"]) == (
        "auth.login_failed", None, "nobody@example.com")


def test_a_deactivated_and_a_throttled_sign_in_are_failures_with_their_reason(
        auth, session, ada):
    auth.deactivate(ada)
    with pytest.raises(Forbidden):
        auth.login("ada@example.com", PASSWORD)
    auth.reactivate(ada)
    with pytest.raises(RateLimited):
        for _ in range(20):
            with pytest.raises((Unauthenticated, RateLimited)) as caught:
                auth.login("ada@example.com", "wrong password!")
            if isinstance(caught.value, RateLimited):
                raise caught.value
    reasons = [row.details["reason"] for row in rows(session, "auth.login_failed")]
    assert reasons[0] == "forbidden"
    assert "rate_limited" in reasons


def test_bad_input_is_no_sign_in_attempt_and_writes_nothing(auth, session):
    with pytest.raises(InvalidInput):
        auth.login("not an address", PASSWORD)
    assert rows(session) == []


def test_signing_out_everywhere_writes_one_row(auth, session, ada):
    auth.login("ada@example.com", PASSWORD)
    auth.logout_all(ada)
    (row,) = rows(session, "auth.logged_out_everywhere")
    assert (row.actor_id, row.target_id) == (ada, ada)


def test_a_password_change_writes_one_row_and_a_repeat_writes_none(auth, session, ada):
    current = auth.login("ada@example.com", PASSWORD)
    auth.change_password(ada, current["session_id"], PASSWORD, NEW_PASSWORD)
    auth.change_password(ada, current["session_id"], PASSWORD, NEW_PASSWORD)
    (row,) = rows(session, "auth.password_changed")
    assert (row.actor_id, row.target_id) == (ada, ada)


def test_a_wrong_current_password_is_recorded_although_the_change_fails(auth, session, ada):
    current = auth.login("ada@example.com", PASSWORD)
    with pytest.raises(Forbidden):
        auth.change_password(ada, current["session_id"], "not my password", NEW_PASSWORD)
    session.rollback()
    (row,) = rows(session, "auth.password_change_failed")
    assert (row.actor_id, row.target_id, row.details) == (ada, ada, {})
    assert rows(session, "auth.password_changed") == []


def test_a_password_reset_writes_one_row(auth, session, outbox, ada):
    auth.request_password_reset("ada@example.com")
    auth.confirm_password_reset(reset_token(outbox), NEW_PASSWORD)
    (row,) = rows(session, "auth.password_reset")
    assert (row.actor_id, row.target_id) == (ada, ada)


def test_an_operators_reset_link_is_recorded_as_the_systems_without_the_link(
        auth, session, ada):
    link = auth.admin_issue_password_reset("ada@example.com")["link"]
    (row,) = rows(session, "auth.password_reset_issued")
    assert (row.actor_id, row.target_id) == (None, ada)
    token = link.rsplit("=", 1)[1]
    assert token not in json.dumps(row.details)


def test_no_row_ever_holds_a_password_or_token(auth, session, outbox, ada):
    pair = auth.login("ada@example.com", PASSWORD)
    with pytest.raises(Unauthenticated):
        auth.login("ada@example.com", "wrong password!")
    auth.change_password(ada, pair["session_id"], PASSWORD, NEW_PASSWORD)
    written = json.dumps([row.to_dict("auth") for row in rows(session)])
    for secret in (PASSWORD, NEW_PASSWORD, "wrong password!", pair["access_token"],
                   pair["refresh_token"], session.get(Credential, ada).password_hash):
        assert secret not in written


# -- reading -------------------------------------------------------------------------
def test_an_admin_pages_through_the_log_newest_first(auth, users, ada):
    users.set("boss", role="admin")
    for _ in range(3):
        auth.login("ada@example.com", PASSWORD)
    first = auth.audit_log("boss", limit=2)
    second = auth.audit_log("boss", limit=2, cursor=first["next_cursor"])
    ids = [e["id"] for e in first["entries"] + second["entries"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    assert second["next_cursor"] is None
    assert {e["source"] for e in first["entries"]} == {"auth"}


def test_the_log_filters_by_action_and_target(auth, users, ada):
    users.set("boss", role="owner")
    auth.login("ada@example.com", PASSWORD)
    with pytest.raises(Unauthenticated):
        auth.login("ada@example.com", "wrong password!")
    failed = auth.audit_log("boss", action="auth.login_failed", target_id=ada)
    assert [e["action"] for e in failed["entries"]] == ["auth.login_failed"]


@pytest.mark.parametrize("role, active", [("member", True), ("guest", True), ("admin", False)])
def test_members_guests_and_deactivated_admins_may_not_read_it(auth, users, ada, role, active):
    users.set("someone", role=role, active=active)
    for filters in ({}, {"limit": 0}):  # refused before their filters are even looked at
        with pytest.raises(Forbidden) as caught:
            auth.audit_log("someone", **filters)
        assert caught.value.code == "forbidden"


@pytest.mark.parametrize("filters", [{"limit": 0}, {"limit": 201}, {"cursor": "nonsense"},
                                     {"since": "2026-01-01T00:00:00"}, {"colour": "red"},
                                     {"action": "auth.\x00"}])
def test_bad_filters_are_invalid_input(auth, users, filters):
    users.set("boss", role="admin")
    with pytest.raises(InvalidInput):
        auth.audit_log("boss", **filters)
