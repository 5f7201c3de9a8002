"""Workspace membership: the first account is the owner, later ones members, and
other services read a person's role and active flag through ``access``."""
from __future__ import annotations

import pytest

from services.common.errors import NotFound


def test_the_first_account_of_the_workspace_is_its_owner(users):
    assert users.ensure_profile("u1", "ada@example.com", "Ada")["role"] == "owner"


def test_every_later_account_is_a_member(users):
    users.ensure_profile("u1", "ada@example.com", "Ada")
    assert users.ensure_profile("u2", "bob@example.com", "Bob")["role"] == "member"
    assert users.ensure_profile("u3", "cy@example.com", "Cy")["role"] == "member"


def test_ensuring_the_owners_profile_again_keeps_them_owner(users):
    users.ensure_profile("u1", "ada@example.com", "Ada")
    users.ensure_profile("u2", "bob@example.com", "Bob")
    assert users.ensure_profile("u1", "ada@example.com", "Ada")["role"] == "owner"
    assert users.access("u2")["role"] == "member"


def test_access_tells_role_and_active_flag(users):
    users.ensure_profile("u1", "ada@example.com", "Ada")
    assert users.access("u1") == {"user_id": "u1", "role": "owner", "active": True}


def test_access_of_an_unknown_person_is_not_found(users):
    with pytest.raises(NotFound):
        users.access("nobody")
