"""Admin jobs for `nameko shell`: they act as the system, so no actor is checked,
but the workspace still keeps an active owner and bad input still changes nothing."""
from __future__ import annotations

import pytest

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound


def test_creating_a_user_registers_them_and_gives_them_a_role(people, auth):
    created = people.admin_create_user("Nia@Example.com", "a good password", "Nia", "admin")
    assert (created["email"], created["display_name"], created["role"]) == (
        "nia@example.com", "Nia", "admin")
    assert auth.accounts["nia@example.com"]["user_id"] == created["user_id"]
    assert people.access(created["user_id"])["role"] == "admin"


def test_a_created_user_is_a_member_unless_told_otherwise(people):
    assert people.admin_create_user("nia@example.com", "a good password", "Nia")["role"] == \
        "member"


def test_creating_the_same_user_again_returns_the_same_person(people):
    first = people.admin_create_user("nia@example.com", "a good password", "Nia", "guest")
    again = people.admin_create_user("nia@example.com", "a good password", "Nia", "guest")
    assert again == first


def test_creating_a_user_with_a_taken_email_and_another_password_conflicts(people, auth):
    people.admin_create_user("nia@example.com", "a good password", "Nia")
    with pytest.raises(Conflict):
        people.admin_create_user("nia@example.com", "another password", "Nia", "admin")


@pytest.mark.parametrize("email, name, role", [("not-an-email", "Nia", "member"),
                                               ("nia@example.com", " ", "member"),
                                               ("nia@example.com", "Nia", "root")])
def test_bad_input_creates_nobody(people, auth, email, name, role):
    with pytest.raises(InvalidInput):
        people.admin_create_user(email, "a good password", name, role)
    assert auth.accounts == {}


def test_the_first_user_created_in_an_empty_workspace_is_its_owner(users):
    assert users.admin_create_user("first@example.com", "pw-123456", "First",
                                   "owner")["role"] == "owner"


def test_without_a_role_the_first_user_owns_a_new_workspace_and_the_next_is_a_member(users):
    first = users.admin_create_user("first@example.com", "pw-123456", "First")
    assert first["role"] == "owner"
    assert users.admin_create_user("first@example.com", "pw-123456", "First") == first
    assert users.admin_create_user("next@example.com", "pw-123456", "Next")["role"] == "member"


@pytest.mark.parametrize("role", ["admin", "member", "guest"])
def test_a_first_user_asked_for_below_owner_is_refused_and_nothing_is_created(users, auth,
                                                                              role):
    with pytest.raises(Forbidden, match="first account of a workspace is its owner"):
        users.admin_create_user("first@example.com", "pw-123456", "First", role)
    assert auth.accounts == {}
    assert users.admin_create_user("first@example.com", "pw-123456", "First")["role"] == "owner"


@pytest.mark.parametrize("who", ["mo", "mo@example.com", "MO@Example.COM"])
def test_a_role_is_set_by_user_id_or_email(people, who):
    assert people.admin_set_role(who, "admin")["role"] == "admin"
    assert people.access("mo")["role"] == "admin"


def test_an_unknown_user_is_not_found(people):
    for job in (lambda: people.admin_set_role("nobody@example.com", "admin"),
                lambda: people.admin_deactivate("nobody"),
                lambda: people.admin_reactivate("nobody")):
        with pytest.raises(NotFound):
            job()


def test_deactivating_and_reactivating_tell_auth(people, auth):
    assert people.admin_deactivate("mo@example.com")["active"] is False
    assert people.admin_reactivate("mo")["active"] is True
    assert auth.told == [("deactivate", "mo"), ("reactivate", "mo")]


def test_listing_users_includes_deactivated_people(people):
    people.admin_deactivate("max")
    listed = people.admin_list_users()
    assert [(p["display_name"], p["role"], p["active"]) for p in listed] == [
        ("Ada", "admin", True), ("Gus", "guest", True), ("Max", "member", False),
        ("Mo", "member", True), ("Olive", "owner", True)]


def test_listing_users_by_prefix_and_limit(people):
    assert [p["user_id"] for p in people.admin_list_users("m")] == ["max", "mo"]
    assert [p["user_id"] for p in people.admin_list_users(limit=2)] == ["ada", "gus"]
