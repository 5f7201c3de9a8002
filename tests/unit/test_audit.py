"""services/common/audit.py: what may go into a row's details, and the filters a
reader may give (the services' own tests show the rows each action writes)."""
from __future__ import annotations

import pytest

from services.common.audit import AuditQuery, check_details, check_may_read
from services.common.errors import Forbidden, InvalidInput
from services.common.validation import validated


@pytest.mark.parametrize("details", [
    {"password": "x"}, {"new_password": "x"}, {"refresh_token": "x"}, {"reset_link": "x"},
    {"password_hash": "x"}, {"nested": {"client_secret": "x"}}, {"list": [{"Token": "x"}]}])
def test_details_naming_a_secret_are_refused_at_any_depth(details):
    with pytest.raises(ValueError, match="audit details may not hold"):
        check_details(details)


def test_ordinary_details_pass_unchanged():
    details = {"from": "member", "to": "admin", "session_id": "s-1", "user_id": "u-1"}
    assert check_details(details) == details


@pytest.mark.parametrize("access", [
    {"role": "member", "active": True}, {"role": "guest", "active": True},
    {"role": "admin", "active": False}, {}])
def test_only_active_owners_and_admins_may_read(access):
    with pytest.raises(Forbidden):
        check_may_read(access)


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_active_owners_and_admins_may(role):
    check_may_read({"role": role, "active": True})


@pytest.mark.parametrize("filters, field", [
    ({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"since": "2026-01-01"}, "since"),
    ({"until": "2026-01-01T00:00:00"}, "until"), ({"action": "a\x00b"}, "action"),
    ({"actor": ""}, "actor"), ({"colour": "red"}, "colour")])
def test_bad_filters_are_invalid_input_naming_the_field(filters, field):
    with pytest.raises(InvalidInput, match=f"^{field}: "):
        validated(AuditQuery, **filters)


def test_times_with_a_zone_are_accepted():
    query = validated(AuditQuery, since="2026-11-23T00:00:00Z", until="2026-11-24T00:00:00+01:00")
    assert query.since.tzinfo is not None and query.until.tzinfo is not None
